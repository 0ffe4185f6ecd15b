// Retrying one S3 or source call: exponential backoff with full jitter per call, and a retry
// budget shared by all calls of one upload so a sick endpoint cannot keep an upload busy
// forever.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "common/backoff.h"
#include "common/error.h"

namespace upfleet::upload {

class RetryBudget {
 public:
  explicit RetryBudget(int retries) : left_(retries) {}
  // Takes one retry from the budget; false when it is spent.
  bool take() { return left_.fetch_sub(1) > 0; }
  int used(int initial) const { return initial - std::max(0, left_.load()); }

 private:
  std::atomic<int> left_;
};

// Waits `delay` in short slices so a cancellation is noticed quickly. False if cancelled.
inline bool wait_unless_cancelled(std::chrono::milliseconds delay,
                                  const std::function<bool()>& cancelled) {
  const auto deadline = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cancelled && cancelled()) return false;
    const auto left = deadline - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
  return !(cancelled && cancelled());
}

// Calls `call` until it succeeds, fails permanently, runs out of attempts or budget, or is
// cancelled (the last error is returned then). `on_retry` sees every retried error.
template <class Call>
auto with_retries(Backoff& backoff, RetryBudget& budget, const std::function<bool()>& cancelled,
                  const std::function<void(const Error&)>& on_retry, Call&& call)
    -> decltype(call()) {
  for (int attempt = 1;; ++attempt) {
    auto result = call();
    if (result || !result.error().retryable) return result;
    if (!backoff.allows(attempt + 1) || !budget.take()) return result;
    if (on_retry) on_retry(result.error());
    if (!wait_unless_cancelled(backoff.delay(attempt - 1), cancelled)) return result;
  }
}

}  // namespace upfleet::upload
