#pragma once
#warning "hdr.h is deprecated"
static inline int twice(int x) { int unused; return x * 2; }
template <typename T> T half(T v) { int z = v; return v / 2; }
