#include "producer/spool_write_pipeline.h"

#include <mutex>
#include <utility>

namespace upfleet {

namespace {

// A suspended drain(): resumed on its own executor when the background write finishes.
class Waiter {
 public:
  virtual ~Waiter() = default;
  virtual void resume() = 0;
};

template <class Handler>
class HandlerWaiter final : public Waiter {
 public:
  explicit HandlerWaiter(Handler handler) : handler_(std::move(handler)) {}
  void resume() override {
    auto executor = asio::get_associated_executor(handler_);
    asio::post(executor, [handler = std::move(handler_)]() mutable { std::move(handler)(); });
  }

 private:
  Handler handler_;
};

}  // namespace

struct SpoolWritePipeline::State {
  State(asio::thread_pool& pool_in, std::unique_ptr<SpoolWriter> writer_in,
        SpoolWritePipelineOptions options_in)
      : pool(pool_in), writer(std::move(writer_in)), options(options_in) {}

  bool in_line() const { return submitted < options.inline_bytes; }

  asio::thread_pool& pool;
  std::unique_ptr<SpoolWriter> writer;
  const SpoolWritePipelineOptions options;
  // Sized on first use, the second once writes go to the pool; not zeroed (only received
  // bytes are ever read), which for a 1 MiB upload saved a 256 KiB memset.
  std::unique_ptr<char[]> buffers[2];
  size_t sizes[2] = {0, 0};
  int current = 0;         // buffer() is buffers[current]
  uint64_t submitted = 0;  // bytes handed to write() so far

  // Shared with the pool thread of the write in flight.
  std::mutex mutex;
  bool in_flight = false;
  Status result;  // of the last background write, until drain() returns it
  std::unique_ptr<Waiter> waiter;

  // On the pool: writes one chunk, then hands the result to drain() or resumes it.
  void write_in_background(int index, size_t size) {
    Status status = writer->write(std::as_bytes(std::span(buffers[index].get(), size)));
    std::unique_ptr<Waiter> resume;
    {
      std::lock_guard lock(mutex);
      result = std::move(status);
      in_flight = false;
      resume = std::move(waiter);
    }
    if (resume) resume->resume();
  }
};

SpoolWritePipeline::SpoolWritePipeline(asio::thread_pool& pool, std::unique_ptr<SpoolWriter> writer,
                                       SpoolWritePipelineOptions options)
    : state_(std::make_shared<State>(pool, std::move(writer), options)) {}

SpoolWritePipeline::~SpoolWritePipeline() = default;

std::span<char> SpoolWritePipeline::buffer() {
  State& state = *state_;
  // Never the buffer in flight: that one is buffers[1 - current].
  const int next = state.current;
  const size_t size =
      state.in_line() ? state.options.inline_chunk_bytes : state.options.background_chunk_bytes;
  if (state.sizes[next] != size) {
    state.buffers[next] = std::make_unique_for_overwrite<char[]>(size);
    state.sizes[next] = size;
  }
  return {state.buffers[next].get(), size};
}

SpoolWriter& SpoolWritePipeline::writer() {
  return *state_->writer;
}

asio::awaitable<Status> SpoolWritePipeline::write(size_t size) {
  State& state = *state_;
  const int index = state.current;
  if (state.in_line()) {
    state.submitted += size;
    co_return state.writer->write(std::as_bytes(std::span(state.buffers[index].get(), size)));
  }
  if (auto previous = co_await drain(); !previous) co_return previous;
  {
    std::lock_guard lock(state.mutex);
    state.in_flight = true;
  }
  asio::post(state.pool,
             [shared = state_, index, size] { shared->write_in_background(index, size); });
  state.current = 1 - index;
  state.submitted += size;
  co_return Status{};
}

asio::awaitable<Status> SpoolWritePipeline::drain() {
  State& state = *state_;
  {
    std::lock_guard lock(state.mutex);
    if (!state.in_flight) co_return std::exchange(state.result, Status{});
  }
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      [&state](auto handler) {
        std::unique_lock lock(state.mutex);
        if (!state.in_flight) {
          lock.unlock();
          // Finished since the check above: resume through the executor, like any completion.
          HandlerWaiter<decltype(handler)>(std::move(handler)).resume();
          return;
        }
        state.waiter = std::make_unique<HandlerWaiter<decltype(handler)>>(std::move(handler));
      },
      asio::use_awaitable);
  std::lock_guard lock(state.mutex);
  co_return std::exchange(state.result, Status{});
}

}  // namespace upfleet
