#include <cstdio>
#include "vec.h"
static int unused_helper(int a) { return a * 2; }
int step(int frames) {
  int scratch;
  unsigned count = 4;
  for (int i = 0; i < count; i++) frames += i;
  Vec<int> v{1, 2};
  printf("%s\n", frames);
  return v.len() + frames;
}
