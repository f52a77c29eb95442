#include "vec.h"
struct A;
void foo(A* a);
int bar() { foo(1); return undeclared_thing; }
