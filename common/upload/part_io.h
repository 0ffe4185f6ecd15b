// Reading one part of a source into a buffer leased from the byte budget (Lease::buffer).
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

}  // namespace upfleet::upload
