// X-Checksum-Sha256: the SHA-256 a client expects its upload to have, checked against the one
// the spool computes while writing. Both upload endpoints accept it (PUT as a request header,
// POST /v1/files as a header of each file part).
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace upfleet {

inline constexpr std::string_view kChecksumSha256Header = "X-Checksum-Sha256";

// Accepts 64 hex digits (either case) or the canonical standard base64 of the 32 digest bytes
// (44 characters with padding, the form of S3's x-amz-checksum-sha256). Returns the digest as
// lower-case hex, the form the spool reports; kInvalidArgument for anything else.
Result<std::string> parse_sha256_checksum(std::string_view value);

}  // namespace upfleet
