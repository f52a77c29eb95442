#include "mathx.h"
long route(long y) { return below(y) ? 2 : 3; }
