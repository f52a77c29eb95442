#include "hdr.h"
#include <cstdio>
static_assert(sizeof(int) == 8, "int must be 8 bytes");
int main() { float f = 1.5; unsigned u = 3; int s = -1; if (s < u) printf("%d\n", half(f)); return twice(2); }
