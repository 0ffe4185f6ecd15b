// Percent-encoding exactly as S3 and SigV4 expect it. Getting this wrong shows up only for
// keys with spaces, '+', or non-ASCII names, as SignatureDoesNotMatch, so it lives in one
// place shared by URL building and signing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace upfleet::s3 {

// Percent-encodes every byte except the RFC 3986 unreserved set (A-Z a-z 0-9 - . _ ~), with
// upper-case hex: space is %20 (never '+'), '+' is %2B, UTF-8 bytes are encoded one by one.
// '/' is kept when keep_slash is true (object key paths) and encoded otherwise (query
// names and values).
std::string uri_encode(std::string_view text, bool keep_slash);

// An object key as a URL path segment list: "a b/c+d" -> "a%20b/c%2Bd".
inline std::string uri_encode_path(std::string_view key) {
  return uri_encode(key, true);
}

// A query parameter name or value: "a/b c" -> "a%2Fb%20c".
inline std::string uri_encode_query(std::string_view text) {
  return uri_encode(text, false);
}

// Decodes %XX escapes (either case); '+' stays '+' (S3 never form-encodes). nullopt when an
// escape is truncated or not hex.
std::optional<std::string> uri_decode(std::string_view text);

}  // namespace upfleet::s3
