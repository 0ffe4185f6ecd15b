// A random-access source of bytes: a spooled file, a shared-volume file, an ingest's spool
// endpoint, or memory in tests. Uploads pull parts from it by offset, so parts can be read in
// parallel and resumed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.h"

namespace upfleet {

class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Total size in bytes. Constant for the life of the source.
  virtual uint64_t size() const = 0;

  // Fills `buf` with bytes starting at `offset`. Returns the number of bytes read: buf.size(),
  // or fewer only when the end of the source is reached (0 at or past the end).
  // Thread-safe: concurrent calls at different offsets are allowed.
  // Errors: kNotFound if the source vanished; retryable kUnavailable/kTimeout/kIo for
  // transient failures (the caller may retry the same range).
  virtual Result<size_t> read_at(uint64_t offset, std::span<std::byte> buf) = 0;
};

}  // namespace upfleet
