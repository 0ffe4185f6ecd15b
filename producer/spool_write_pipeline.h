// Writes a request body into a SpoolWriter while the connection receives the next chunks.
//
// Receiving, copying into the page cache and hashing (SHA-256) of one upload all ran on its
// connection's I/O thread; for a large body that thread was the bottleneck while the second
// core had little to do. Past the first `inline_bytes`, each chunk is stored and hashed on
// the blocking pool, the two at the same time (SpoolWriter::append and ::hash, each on a
// strand of its own, so each sees the chunks one at a time and in order), while the
// connection receives the next chunks into the other buffers of a small ring. It waits only
// when every buffer but the one to receive into is still in flight, and everything is
// finished before the writer is used again. The buffers are page-aligned whole multiples of
// 4 KiB, so DiskSpool writes them with O_DIRECT. The bytes, their order and the hash are the
// same as when written in line; small bodies stay in line, where thread hops would cost more
// than they overlap. Buffer memory per upload: inline_chunk_bytes for small bodies,
// background_buffers x background_chunk_bytes for large ones, while the budget allows.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "common/asio.h"
#include "common/error.h"
#include "common/spool.h"

namespace upfleet {

// Bounds the buffer memory of all pipelines together: a body gets its background buffers only
// while they fit, else it is written in line to the end (slower, nothing more held).
// Thread-safe.
class PipelineBufferBudget {
 public:
  explicit PipelineBufferBudget(uint64_t bytes) : free_(bytes) {}
  bool try_take(uint64_t bytes);
  void give(uint64_t bytes) { free_ += bytes; }
  uint64_t free_bytes() const { return free_.load(); }

 private:
  std::atomic<uint64_t> free_;
};

struct SpoolWritePipelineOptions {
  size_t inline_chunk_bytes = 256 * 1024;          // the buffer while writing in line
  size_t background_chunk_bytes = 2048 * 1024;     // each buffer afterwards (4 KiB-aligned)
  size_t background_buffers = 4;                   // at least 2: one receiving, others in flight
  uint64_t inline_bytes = 4 * 1024 * 1024;         // written in line before going to the pool
  std::shared_ptr<PipelineBufferBudget> budget{};  // null: unbounded
};

class SpoolWritePipeline {
 public:
  SpoolWritePipeline(asio::thread_pool& pool, std::unique_ptr<SpoolWriter> writer,
                     SpoolWritePipelineOptions options);
  // A write still in flight keeps what it uses alive and finishes on its own; the writer is
  // then destroyed (uncommitted, so its partial file is removed).
  ~SpoolWritePipeline();
  SpoolWritePipeline(const SpoolWritePipeline&) = delete;
  SpoolWritePipeline& operator=(const SpoolWritePipeline&) = delete;

  // Where to receive the next chunk: never a buffer in flight.
  std::span<char> buffer();

  // Writes the first `size` bytes of buffer(). In line until `inline_bytes` were written, then
  // in the background: returns once the next buffer is free, with the first error of any
  // background write so far (nothing more is started after one). Call from the connection's
  // coroutine only.
  asio::awaitable<Status> write(size_t size);

  // Waits for every chunk in flight. Afterwards (and only then) writer() may be used.
  asio::awaitable<Status> drain();

  // For a body that will not be committed: waits for every chunk in flight, then destroys
  // the writer, so its partial file is gone before the caller answers the client. writer()
  // must not be used afterwards.
  asio::awaitable<void> abandon();

  SpoolWriter& writer();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace upfleet
