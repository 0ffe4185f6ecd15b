// Writes a request body into a SpoolWriter while the connection receives the next chunk.
//
// Receiving, copying into the page cache and hashing (SHA-256) of one upload all ran on its
// connection's I/O thread; for a large body that thread was the bottleneck while the second
// core had little to do. Past the first `inline_bytes`, each chunk is now written (and
// hashed) on the blocking pool while the next one is received into the other buffer: two
// buffers, at most one write in flight per upload, each awaited before the next starts and
// before the writer is used again. The bytes, their order and the hash are the same as when
// written in line; small bodies stay in line, where a thread hop would cost more than it
// overlaps. Peak buffer memory per upload: inline_chunk_bytes for small bodies, twice
// background_chunk_bytes for large ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "common/asio.h"
#include "common/error.h"
#include "common/spool.h"

namespace upfleet {

struct SpoolWritePipelineOptions {
  size_t inline_chunk_bytes = 256 * 1024;       // buffer while writing in line
  size_t background_chunk_bytes = 1024 * 1024;  // each of the two buffers afterwards
  uint64_t inline_bytes = 4 * 1024 * 1024;      // written in line before going to the pool
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

  // Where to receive the next chunk: never the buffer of the write in flight.
  std::span<char> buffer();

  // Writes the first `size` bytes of buffer(). In line until `inline_bytes` were written, then
  // in the background: this waits for the previous background write and returns its error,
  // if any, before starting the next. Call from the connection's coroutine only.
  asio::awaitable<Status> write(size_t size);

  // Waits for the write in flight. Afterwards (and only then) writer() may be used.
  asio::awaitable<Status> drain();

  SpoolWriter& writer();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace upfleet
