// Runs blocking work (fsync, waiting for Kafka, large file reads) on a thread pool from a
// coroutine, and resumes the coroutine on its own executor afterwards, so I/O threads never
// block.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "common/asio.h"

namespace upfleet {

template <class Work>
asio::awaitable<std::invoke_result_t<Work>> run_blocking(asio::thread_pool& pool, Work work) {
  using Value = std::invoke_result_t<Work>;
  auto initiate = [&pool, work = std::move(work)](auto handler) mutable {
    asio::post(pool, [work = std::move(work), handler = std::move(handler)]() mutable {
      Value value = work();
      auto executor = asio::get_associated_executor(handler);
      asio::dispatch(executor, [handler = std::move(handler), value = std::move(value)]() mutable {
        std::move(handler)(std::move(value));
      });
    });
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(Value)>(
      std::move(initiate), asio::use_awaitable);
}

namespace detail {

// Results of two pieces of work running at once; the one that finishes last resumes the
// coroutine with both.
template <class Handler, class First, class Second>
struct BothResults {
  explicit BothResults(Handler h) : handler(std::move(h)) {}
  Handler handler;
  std::optional<First> first;
  std::optional<Second> second;
  std::atomic<int> pending{2};

  static void finished_one(std::shared_ptr<BothResults> self) {
    if (self->pending.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    auto executor = asio::get_associated_executor(self->handler);
    asio::dispatch(executor, [self = std::move(self)]() mutable {
      std::move(self->handler)(
          std::pair<First, Second>(std::move(*self->first), std::move(*self->second)));
    });
  }
};

}  // namespace detail

// Runs `first` and `second` on two pool threads at the same time and returns both results.
template <class First, class Second>
asio::awaitable<std::pair<std::invoke_result_t<First>, std::invoke_result_t<Second>>>
run_blocking_both(asio::thread_pool& pool, First first, Second second) {
  using A = std::invoke_result_t<First>;
  using B = std::invoke_result_t<Second>;
  auto initiate = [&pool, first = std::move(first),
                   second = std::move(second)](auto handler) mutable {
    using State = detail::BothResults<decltype(handler), A, B>;
    auto state = std::make_shared<State>(std::move(handler));
    asio::post(pool, [state, work = std::move(first)]() mutable {
      state->first.emplace(work());
      State::finished_one(std::move(state));
    });
    asio::post(pool, [state, work = std::move(second)]() mutable {
      state->second.emplace(work());
      State::finished_one(std::move(state));
    });
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::pair<A, B>)>(
      std::move(initiate), asio::use_awaitable);
}

}  // namespace upfleet
