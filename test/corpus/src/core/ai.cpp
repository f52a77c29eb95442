#include "mathx.h"
int think(int x) { return below(x) ? 1 : 0; }
