#include "producer/spool_write_pipeline.h"

#include <algorithm>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace upfleet {

namespace {

// A suspended coroutine: resumed on its own executor once enough chunks finished.
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

// Page-aligned buffers, so the spool can write whole chunks with O_DIRECT.
constexpr std::align_val_t kBufferAlign{4096};

struct AlignedDelete {
  void operator()(char* buffer) const { ::operator delete[](buffer, kBufferAlign); }
};

}  // namespace

struct SpoolWritePipeline::State {
  State(asio::thread_pool& pool, std::unique_ptr<SpoolWriter> writer_in,
        SpoolWritePipelineOptions options_in)
      : writer(std::move(writer_in)),
        options(options_in),
        appends(asio::make_strand(pool)),
        hashes(asio::make_strand(pool)),
        buffers(std::max<size_t>(options.background_buffers, 2)),
        sizes(buffers.size(), 0),
        halves_left(buffers.size(), 0) {}

  ~State() {
    if (reserved > 0) options.budget->give(reserved);
  }

  // False once the body is past inline_bytes and got its background buffers from the budget.
  bool in_line() {
    if (mode == Mode::kUndecided && submitted >= options.inline_bytes) {
      const uint64_t bytes = static_cast<uint64_t>(options.background_chunk_bytes) * buffers.size();
      if (!options.budget || options.budget->try_take(bytes)) {
        reserved = options.budget ? bytes : 0;
        mode = Mode::kBackground;
      } else {
        mode = Mode::kInLineOnly;
      }
    }
    return mode != Mode::kBackground;
  }

  enum class Mode { kUndecided, kBackground, kInLineOnly };
  Mode mode = Mode::kUndecided;
  uint64_t reserved = 0;  // taken from the budget, given back when the last user lets go

  std::unique_ptr<SpoolWriter> writer;
  const SpoolWritePipelineOptions options;
  // Each runs its half of every chunk in submission order, one at a time.
  asio::strand<asio::thread_pool::executor_type> appends;
  asio::strand<asio::thread_pool::executor_type> hashes;
  // A ring: chunks finish in submission order (each half in order on its strand), so the
  // buffers in flight are always the `in_flight` ones before `current`. Sized on first use
  // and not zeroed (only received bytes are ever read).
  std::vector<std::unique_ptr<char[], AlignedDelete>> buffers;
  std::vector<size_t> sizes;
  size_t current = 0;      // buffer() is buffers[current]
  uint64_t submitted = 0;  // bytes handed to write() so far

  // Shared with the pool threads.
  std::mutex mutex;
  size_t in_flight = 0;            // chunks submitted and not yet both stored and hashed
  std::vector<int> halves_left;    // per buffer: halves of its chunk still running
  Status result;                   // the first background failure, until returned
  std::unique_ptr<Waiter> waiter;  // a write() or drain() waiting for chunks to finish
  size_t resume_at_most = 0;       // ... until in_flight is at most this

  // On the pool: one half of the chunk in `index` finished.
  void finish_half(size_t index, Status status) {
    std::unique_ptr<Waiter> resume;
    {
      std::lock_guard lock(mutex);
      if (!status && result) result = std::move(status);
      if (--halves_left[index] > 0) return;
      --in_flight;
      if (waiter && in_flight <= resume_at_most) resume = std::move(waiter);
    }
    if (resume) resume->resume();
  }

  // Suspends until at most `limit` chunks are in flight; returns and clears the first
  // background failure.
  asio::awaitable<Status> wait_until_at_most(size_t limit) {
    {
      std::lock_guard lock(mutex);
      if (in_flight <= limit) co_return std::exchange(result, Status{});
    }
    co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
        [this, limit](auto handler) {
          std::unique_lock lock(mutex);
          if (in_flight <= limit) {
            lock.unlock();
            // Finished since the check above: resume through the executor, like any completion.
            HandlerWaiter<decltype(handler)>(std::move(handler)).resume();
            return;
          }
          resume_at_most = limit;
          waiter = std::make_unique<HandlerWaiter<decltype(handler)>>(std::move(handler));
        },
        asio::use_awaitable);
    std::lock_guard lock(mutex);
    co_return std::exchange(result, Status{});
  }
};

SpoolWritePipeline::SpoolWritePipeline(asio::thread_pool& pool, std::unique_ptr<SpoolWriter> writer,
                                       SpoolWritePipelineOptions options)
    : state_(std::make_shared<State>(pool, std::move(writer), options)) {}

SpoolWritePipeline::~SpoolWritePipeline() = default;

std::span<char> SpoolWritePipeline::buffer() {
  State& state = *state_;
  const size_t next = state.current;
  const size_t size =
      state.in_line() ? state.options.inline_chunk_bytes : state.options.background_chunk_bytes;
  if (state.sizes[next] != size) {
    state.buffers[next].reset(new (kBufferAlign) char[size]);
    state.sizes[next] = size;
  }
  return {state.buffers[next].get(), size};
}

SpoolWriter& SpoolWritePipeline::writer() {
  return *state_->writer;
}

asio::awaitable<Status> SpoolWritePipeline::write(size_t size) {
  State& state = *state_;
  const size_t index = state.current;
  const auto bytes = std::as_bytes(std::span(state.buffers[index].get(), size));
  if (state.in_line()) {
    state.submitted += size;
    co_return state.writer->write(bytes);
  }
  {
    std::lock_guard lock(state.mutex);
    if (!state.result) co_return std::exchange(state.result, Status{});
    ++state.in_flight;
    state.halves_left[index] = 2;
  }
  // Storing and hashing read the same bytes and touch disjoint state: on two threads they
  // take as long as the slower of them instead of both.
  asio::post(state.appends, [shared = state_, index, bytes] {
    shared->finish_half(index, shared->writer->append(bytes));
  });
  asio::post(state.hashes, [shared = state_, index, bytes] {
    shared->writer->hash(bytes);
    shared->finish_half(index, {});
  });
  state.current = (index + 1) % state.buffers.size();
  state.submitted += size;
  // The next buffer must be free before the caller receives into it.
  co_return co_await state.wait_until_at_most(state.buffers.size() - 1);
}

asio::awaitable<Status> SpoolWritePipeline::drain() {
  co_return co_await state_->wait_until_at_most(0);
}

asio::awaitable<void> SpoolWritePipeline::abandon() {
  (void)co_await state_->wait_until_at_most(0);
  // Nothing is in flight: no pool thread touches the writer any more.
  state_->writer.reset();
}

bool PipelineBufferBudget::try_take(uint64_t bytes) {
  uint64_t free = free_.load();
  while (free >= bytes) {
    if (free_.compare_exchange_weak(free, free - bytes)) return true;
  }
  return false;
}

}  // namespace upfleet
