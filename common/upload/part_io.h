// Reading one part of a source into a buffer leased from the byte budget.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "common/byte_source.h"
#include "common/error.h"

namespace upfleet::upload {

// Reads exactly buf.size() bytes at `offset`. A source that ends early is a permanent
// kIntegrity error (it no longer matches the job); other errors keep their retryable flag.
Status read_exactly(ByteSource& source, uint64_t offset, std::span<std::byte> buf);

// An uninitialised buffer (no zero-fill: it is overwritten at once).
inline std::unique_ptr<std::byte[]> make_buffer(size_t size) {
  return std::make_unique_for_overwrite<std::byte[]>(size == 0 ? 1 : size);
}

}  // namespace upfleet::upload
