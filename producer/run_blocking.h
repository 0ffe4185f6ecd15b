// Runs blocking work (fsync, waiting for Kafka, large file reads) on a thread pool from a
// coroutine, and resumes the coroutine on its own executor afterwards, so I/O threads never
// block.
#pragma once

#include <type_traits>

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

}  // namespace upfleet
