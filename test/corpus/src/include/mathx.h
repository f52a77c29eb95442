#pragma once
template <typename T> bool below(T a) { unsigned limit = 10; return a < limit; }
