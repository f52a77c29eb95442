#include "hdr.h"
#include "missing_header.h"
int g() { return 0; }
