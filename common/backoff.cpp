#include "common/backoff.h"

#include <algorithm>

namespace upfleet {

uint64_t jitter_seed() {
  thread_local std::mt19937_64 seeds(std::random_device{}());
  return seeds();
}

std::chrono::milliseconds Backoff::ceiling(int retry) const {
  const int64_t base = std::max<int64_t>(1, policy_.base.count());
  const int64_t cap = std::max<int64_t>(base, policy_.cap.count());
  // Doubling stops at the cap (checked before multiplying), so nothing can overflow.
  int64_t value = base;
  for (int i = 0; i < retry && value < cap; ++i) value = value > cap / 2 ? cap : value * 2;
  return std::chrono::milliseconds(std::min(value, cap));
}

std::chrono::milliseconds Backoff::delay(int retry) {
  std::uniform_int_distribution<int64_t> pick(0, ceiling(retry).count());
  return std::chrono::milliseconds(pick(rng_));
}

}  // namespace upfleet
