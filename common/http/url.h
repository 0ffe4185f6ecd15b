// Splitting an endpoint URL ("https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:9000")
// into the parts request building needs: the Host header value and the base path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace upfleet::http {

struct Url {
  std::string scheme;            // "http" or "https", lower case
  std::string host;              // "example.com", "127.0.0.1" or "[::1]" (brackets kept)
  std::optional<uint16_t> port;  // only when written in the URL
  std::string path;              // "" or "/prefix" without trailing slash; no query

  // host[:port] as an HTTP client sends it in Host: the port is left out when it is the
  // scheme's default, which is also what SigV4 must sign.
  std::string authority() const;
  // scheme://authority
  std::string origin() const;
};

// Parses an absolute http(s) URL without query or fragment. kInvalidArgument naming the
// problem for anything else (missing scheme, unsupported scheme, bad port, userinfo).
Result<Url> parse_url(std::string_view text);

}  // namespace upfleet::http
