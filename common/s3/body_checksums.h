// Checksums of a body range, computed by reading it once before sending: S3 then verifies
// them (Content-MD5, signed x-amz-content-sha256), so bytes corrupted between our disk and
// S3's never become an object.
#pragma once

#include <cstdint>
#include <string>

#include "common/byte_source.h"
#include "common/error.h"

namespace upfleet::s3 {

struct BodyChecksums {
  std::string md5_base64;  // Content-MD5 value
  std::string sha256_hex;  // x-amz-content-sha256 value
};

// Reads [offset, offset + length) of `source` in bounded chunks and hashes it. Errors: the
// source's own (retryable ones stay retryable); kIntegrity if the source ends early.
Result<BodyChecksums> checksum_range(ByteSource& source, uint64_t offset, uint64_t length);

}  // namespace upfleet::s3
