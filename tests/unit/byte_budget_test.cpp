// The upload engine's small primitives: the worker-wide ByteBudget (blocking, oversize
// requests, cancellation, leases) and per-upload retries (with_retries, RetryBudget).
#include "common/upload/byte_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "common/upload/retry.h"

namespace upfleet::upload {
namespace {

using namespace std::chrono_literals;

constexpr auto kPatience = 10s;  // only reached when the code under test is broken

// Acquires on another thread. The `cancelled` probe runs under the budget's lock, so once it
// has run, budget.in_use() (which takes that lock) shows whether the acquire went through.
class BackgroundAcquire {
 public:
  BackgroundAcquire(ByteBudget& budget, uint64_t bytes) {
    result_ = std::async(std::launch::async, [this, &budget, bytes] {
      return budget.acquire(bytes, [this] {
        if (!probed_.exchange(true)) probe_.set_value();
        return cancel_.load();
      });
    });
  }
  // A test that fails must not hang: the acquire gives up once cancelled.
  ~BackgroundAcquire() { cancel_ = true; }
  BackgroundAcquire(const BackgroundAcquire&) = delete;
  BackgroundAcquire& operator=(const BackgroundAcquire&) = delete;
  // True once acquire() has looked at the budget at least once.
  bool probed() { return probe_.get_future().wait_for(kPatience) == std::future_status::ready; }
  bool done_now() { return result_.wait_for(0s) == std::future_status::ready; }
  void cancel() { cancel_ = true; }
  std::optional<std::optional<ByteBudget::Lease>> get() {
    if (result_.wait_for(kPatience) != std::future_status::ready) return std::nullopt;
    return result_.get();
  }

 private:
  std::atomic<bool> probed_{false};
  std::atomic<bool> cancel_{false};
  std::promise<void> probe_;
  std::future<std::optional<ByteBudget::Lease>> result_;
};

TEST(ByteBudgetBuffersTest, BufferOfAnEndedLeaseIsReusedForTheSameSizeClass) {
  constexpr uint64_t kPart = 4 * ByteBudget::kSizeClass;
  ByteBudget budget(10 * kPart);
  std::byte* first = nullptr;
  {
    auto lease = budget.acquire(kPart);
    ASSERT_TRUE(lease.has_value());
    auto bytes = lease->buffer();
    ASSERT_EQ(bytes.size(), kPart);
    bytes.front() = std::byte{1};
    bytes.back() = std::byte{2};  // the whole span is writable (ASan checks it)
    first = bytes.data();
  }
  EXPECT_EQ(budget.kept_bytes(), kPart);
  auto again = budget.acquire(kPart - 10);  // same 64 KiB class
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->buffer().data(), first);
  EXPECT_EQ(again->buffer().size(), kPart - 10);
  EXPECT_EQ(budget.kept_bytes(), 0u);
}

TEST(ByteBudgetBuffersTest, KeptAndLeasedBytesNeverExceedTheCapacity) {
  constexpr uint64_t kClass = ByteBudget::kSizeClass;
  ByteBudget budget(8 * kClass);
  {
    auto a = budget.acquire(4 * kClass);
    auto b = budget.acquire(4 * kClass);
    a->buffer();
    b->buffer();
  }
  EXPECT_EQ(budget.kept_bytes(), 8 * kClass) << "both buffers fit the capacity";
  // A lease of another class: the kept buffers make room for its new buffer.
  auto c = budget.acquire(3 * kClass);
  c->buffer();
  EXPECT_LE(budget.in_use() + budget.kept_bytes(), budget.capacity());
  EXPECT_EQ(budget.kept_bytes(), 4 * kClass);
  c.reset();
  EXPECT_EQ(budget.kept_bytes(), 7 * kClass) << "c's buffer is kept too: 4 + 3 fit";
}

TEST(ByteBudgetBuffersTest, KeptBuffersAreFreedOnceIdleBetweenTwoTrims) {
  ByteBudget budget(1 << 20);
  budget.acquire(ByteBudget::kSizeClass)->buffer();
  EXPECT_EQ(budget.kept_bytes(), ByteBudget::kSizeClass);
  budget.trim_if_idle();  // a lease since the last trim: the budget is busy
  EXPECT_EQ(budget.kept_bytes(), ByteBudget::kSizeClass);
  budget.trim_if_idle();  // nothing since: idle
  EXPECT_EQ(budget.kept_bytes(), 0u);
}

TEST(ByteBudgetBuffersTest, SmallLeasesGetExactBuffersThatAreNotKept) {
  ByteBudget budget(1 << 20);
  {
    auto tiny = budget.acquire(0);
    ASSERT_TRUE(tiny.has_value());
    EXPECT_EQ(tiny->buffer().size(), 0u);
    auto small = budget.acquire(100);
    EXPECT_EQ(small->buffer().size(), 100u);
  }
  EXPECT_EQ(budget.kept_bytes(), 0u);
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(ByteBudgetTest, LeasesCountUntilDestroyed) {
  ByteBudget budget(100);
  EXPECT_EQ(budget.capacity(), 100u);
  {
    auto a = budget.acquire(60);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->bytes(), 60u);
    EXPECT_EQ(budget.in_use(), 60u);
    auto b = budget.try_acquire(40);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(budget.in_use(), 100u);
    EXPECT_FALSE(budget.try_acquire(1).has_value());
    EXPECT_EQ(budget.in_use(), 100u);
  }
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(ByteBudgetTest, AcquireBlocksUntilEnoughIsReleased) {
  ByteBudget budget(10);
  auto held = budget.acquire(8);
  ASSERT_TRUE(held.has_value());
  BackgroundAcquire waiter(budget, 5);
  ASSERT_TRUE(waiter.probed());
  EXPECT_EQ(budget.in_use(), 8u) << "acquire(5) went through with only 2 bytes free";
  EXPECT_FALSE(waiter.done_now());

  held->release();
  auto lease = waiter.get();
  ASSERT_TRUE(lease.has_value()) << "acquire did not wake up after the release";
  ASSERT_TRUE(lease->has_value());
  EXPECT_EQ((*lease)->bytes(), 5u);
  EXPECT_EQ(budget.in_use(), 5u);
}

TEST(ByteBudgetTest, OversizeRequestWaitsForAnEmptyBudgetThenRunsAlone) {
  ByteBudget budget(10);
  auto small = budget.acquire(3);
  ASSERT_TRUE(small.has_value());
  BackgroundAcquire big(budget, 25);
  ASSERT_TRUE(big.probed());
  EXPECT_EQ(budget.in_use(), 3u);

  small.reset();
  auto big_lease = big.get();
  ASSERT_TRUE(big_lease.has_value() && big_lease->has_value());
  EXPECT_EQ(budget.in_use(), 25u);
  EXPECT_FALSE(budget.try_acquire(1).has_value()) << "nothing may join an oversize lease";

  BackgroundAcquire next(budget, 1);
  ASSERT_TRUE(next.probed());
  EXPECT_EQ(budget.in_use(), 25u);
  big_lease->reset();
  auto next_lease = next.get();
  ASSERT_TRUE(next_lease.has_value() && next_lease->has_value());
  EXPECT_EQ(budget.in_use(), 1u);
}

TEST(ByteBudgetTest, CancellationEndsTheWaitWithNullopt) {
  ByteBudget budget(10);
  auto held = budget.acquire(10);
  BackgroundAcquire waiter(budget, 1);
  ASSERT_TRUE(waiter.probed());
  waiter.cancel();
  auto result = waiter.get();
  ASSERT_TRUE(result.has_value()) << "a cancelled acquire kept waiting";
  EXPECT_FALSE(result->has_value());
  EXPECT_EQ(budget.in_use(), 10u);
}

TEST(ByteBudgetTest, LeasesMoveWithoutDoubleRelease) {
  ByteBudget budget(100);
  auto first = budget.acquire(30);
  auto second = budget.acquire(20);
  ASSERT_TRUE(first && second);

  ByteBudget::Lease moved(std::move(*first));
  EXPECT_EQ(moved.bytes(), 30u);
  first.reset();  // the moved-from lease gives nothing back
  EXPECT_EQ(budget.in_use(), 50u);

  moved = std::move(*second);  // releases the 30 it held, takes over the 20
  EXPECT_EQ(moved.bytes(), 20u);
  EXPECT_EQ(budget.in_use(), 20u);
  second.reset();
  EXPECT_EQ(budget.in_use(), 20u);

  moved.release();
  moved.release();  // idempotent
  EXPECT_EQ(budget.in_use(), 0u);

  ByteBudget::Lease empty;
  EXPECT_EQ(empty.bytes(), 0u);
  empty = ByteBudget::Lease();
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(ByteBudgetTest, ConcurrentLeasesNeverExceedCapacity) {
  ByteBudget budget(1000);
  std::atomic<uint64_t> worst{0};
  std::vector<std::jthread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto lease = budget.acquire(static_cast<uint64_t>(100 + (t * 37 + i * 11) % 300));
        ASSERT_TRUE(lease.has_value());
        const uint64_t now = budget.in_use();
        uint64_t seen = worst.load();
        while (now > seen && !worst.compare_exchange_weak(seen, now)) {
        }
      }
    });
  }
  threads.clear();
  EXPECT_LE(worst.load(), 1000u);
  EXPECT_GT(worst.load(), 0u);
  EXPECT_EQ(budget.in_use(), 0u);
}

// with_retries and RetryBudget.

constexpr BackoffPolicy kFastRetry{1ms, 2ms, 4};

Result<int> retryable_failure() {
  return fail(Error::transient(ErrorCode::kUnavailable, "503"));
}

TEST(RetryBudgetTest, TakesUntilSpent) {
  RetryBudget budget(2);
  EXPECT_TRUE(budget.take());
  EXPECT_TRUE(budget.take());
  EXPECT_FALSE(budget.take());
  EXPECT_FALSE(budget.take());
  EXPECT_EQ(budget.used(2), 2);
  EXPECT_FALSE(RetryBudget(0).take());
}

TEST(WithRetriesTest, PermanentErrorStopsAtOnce) {
  Backoff backoff(kFastRetry, 1);
  RetryBudget budget(100);
  int calls = 0;
  int retries = 0;
  auto result = with_retries(
      backoff, budget, {}, [&](const Error&) { ++retries; },
      [&]() -> Result<int> {
        ++calls;
        return fail(Error::permanent(ErrorCode::kPermissionDenied, "403"));
      });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(retries, 0);
  EXPECT_EQ(budget.used(100), 0);
}

TEST(WithRetriesTest, RetryableErrorIsRetriedUpToMaxAttempts) {
  Backoff backoff(kFastRetry, 1);
  RetryBudget budget(100);
  int calls = 0;
  int retries = 0;
  auto result = with_retries(
      backoff, budget, {}, [&](const Error&) { ++retries; },
      [&] {
        ++calls;
        return retryable_failure();
      });
  ASSERT_FALSE(result.has_value());
  EXPECT_TRUE(result.error().retryable);
  EXPECT_EQ(calls, kFastRetry.max_attempts);
  EXPECT_EQ(retries, kFastRetry.max_attempts - 1);
  EXPECT_EQ(budget.used(100), kFastRetry.max_attempts - 1);
}

TEST(WithRetriesTest, SucceedsAfterTransientFailures) {
  Backoff backoff(kFastRetry, 1);
  RetryBudget budget(100);
  int calls = 0;
  auto result = with_retries(backoff, budget, {}, {}, [&]() -> Result<int> {
    if (++calls < 3) return retryable_failure();
    return 42;
  });
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, 42);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(budget.used(100), 2);
}

TEST(WithRetriesTest, SharedBudgetRunsOutAcrossCalls) {
  Backoff backoff({1ms, 2ms, 100}, 1);
  RetryBudget budget(3);
  int calls = 0;
  auto call = [&] {
    ++calls;
    return retryable_failure();
  };
  EXPECT_FALSE(with_retries(backoff, budget, {}, {}, call).has_value());
  EXPECT_EQ(calls, 4) << "3 retries then the budget is spent";
  calls = 0;
  auto second = with_retries(backoff, budget, {}, {}, call);
  ASSERT_FALSE(second.has_value());
  EXPECT_TRUE(second.error().retryable);
  EXPECT_EQ(calls, 1) << "a spent budget allows no retry";
}

TEST(WithRetriesTest, CancellationStopsTheWaitBetweenAttempts) {
  const BackoffPolicy slow{10s, 10s, 5};
  ASSERT_GT(Backoff(slow, 2).delay(0), 5s) << "seed 2 must give a wait the test would notice";
  Backoff backoff(slow, 2);
  RetryBudget budget(100);
  std::atomic<bool> cancelled{false};
  int calls = 0;
  const auto start = std::chrono::steady_clock::now();
  auto result = with_retries(
      backoff, budget, [&] { return cancelled.load(); }, [&](const Error&) { cancelled = true; },
      [&] {
        ++calls;
        return retryable_failure();
      });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(calls, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace upfleet::upload
