// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
// Jitter"): the n-th retry waits a uniformly random time in [0, min(cap, base * 2^n)], which
// spreads retries of many workers instead of synchronising them.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace upfleet {

struct BackoffPolicy {
  std::chrono::milliseconds base{100};
  std::chrono::milliseconds cap{20'000};
  int max_attempts = 5;  // attempts in all, including the first
};

// A seed for jitter: cheap (a per-thread generator seeded once from std::random_device, which
// costs a system call or more per construction) and different on every call.
uint64_t jitter_seed();

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy, uint64_t seed = jitter_seed())
      : policy_(policy), rng_(seed) {}

  // Upper bound of the wait before retry number `retry` (0 = first retry).
  std::chrono::milliseconds ceiling(int retry) const;
  // A random wait in [0, ceiling(retry)].
  std::chrono::milliseconds delay(int retry);
  // True while attempt number `attempt` (1-based, the one about to run) is allowed.
  bool allows(int attempt) const { return attempt <= policy_.max_attempts; }
  const BackoffPolicy& policy() const { return policy_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 rng_;
};

}  // namespace upfleet
