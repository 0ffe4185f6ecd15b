// Invariant checks for fuzz targets: they must hold in release builds too (assert() is
// compiled out by NDEBUG), and a failure must crash so libFuzzer saves the input.
#pragma once

#include <cstdio>
#include <cstdlib>

#define UPFLEET_FUZZ_CHECK(condition)                                                              \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #condition, __FILE__, __LINE__); \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)
