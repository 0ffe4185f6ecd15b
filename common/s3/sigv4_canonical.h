// The canonical forms SigV4 hashes: path, query string and headers. Kept apart from the
// signer so the pieces can be tested one by one against the AWS test suite.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/http/http_transport.h"

namespace upfleet::s3 {

// Query parameters, decoded (not percent-encoded). A parameter without '=' has an empty value.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Names and values percent-encoded (uri_encode_query), sorted by name then value, joined
// with '&'; a parameter with an empty value becomes "name=". This is also what we put on
// the wire, so the server canonicalises exactly what we signed.
std::string canonical_query_string(const QueryParams& params);

// Removes "." and ".." segments and duplicate slashes, keeping a trailing slash:
// "//a/./b/../c/" -> "/a/c/". Generic AWS services sign this form; S3 never normalises.
std::string normalize_path(std::string_view path);

// Signed headers: lower-case names, sorted, values trimmed with inner whitespace runs
// collapsed to one space, repeated names joined with ',' in arrival order. `authorization`
// is never signed.
struct CanonicalHeaders {
  std::string block;           // "name:value\n" lines
  std::string signed_headers;  // "host;x-amz-date"
};
CanonicalHeaders canonicalize_headers(const http::Headers& headers);

// ASCII lower-casing; header names are ASCII tokens.
std::string to_lower_ascii(std::string_view text);

}  // namespace upfleet::s3
