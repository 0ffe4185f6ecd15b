// Object keys arrive from clients (URL paths, form filenames, job messages) and become S3
// keys and, on shared volumes, path names. One validator guards all of them.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace upfleet {

inline constexpr size_t kMaxObjectKeyBytes = 1024;  // S3's limit

// Accepts UTF-8 keys of 1..1024 bytes made of '/'-separated non-empty segments. Rejects
// (kInvalidArgument, message says why): invalid UTF-8, NUL and other control bytes, a leading
// '/', empty segments ("a//b", "a/"), "." and ".." segments, and backslashes (a Windows path
// separator that could become a traversal on a shared volume).
Status validate_object_key(std::string_view key);

// Decodes %XX escapes of a URL path (not '+'); fails on truncated or non-hex escapes.
// Keys are validated after decoding, so "%2e%2e" is caught as "..".
Result<std::string> percent_decode(std::string_view encoded);

}  // namespace upfleet
