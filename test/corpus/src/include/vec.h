#pragma once
template <typename T> struct Vec {
  T x, y;
  T dot(const Vec& o) const { return x * o.x + y * o.y; }
  int len() const { unsigned n = 3; return n - x; }
};
