// S3 addressing: which host and path name a bucket and key, in path-style or virtual-hosted
// form, and the URL that goes with them.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "common/http/url.h"
#include "common/s3/sigv4_canonical.h"

namespace upfleet::s3 {

struct S3Target {
  std::string host;  // Host header value (and what SigV4 signs)
  std::string path;  // percent-encoded: "/bucket/a%20b" or "/a%20b"
  std::string url;   // scheme://host/path[?query]
};

class S3Endpoint {
 public:
  // kInvalidArgument naming s3.endpoint when the URL is unusable.
  static Result<S3Endpoint> parse(std::string_view endpoint, bool path_style);

  // The target for `bucket` and `key` (key empty: the bucket itself; both empty: the
  // service). `query` is appended in canonical form, exactly as it will be signed.
  S3Target target(std::string_view bucket, std::string_view key,
                  const QueryParams& query = {}) const;

  bool path_style() const { return path_style_; }

 private:
  S3Endpoint(http::Url url, bool path_style) : url_(std::move(url)), path_style_(path_style) {}
  bool use_virtual_host(std::string_view bucket) const;

  http::Url url_;
  bool path_style_;
};

// True when `bucket` can be the first label of a host name: 3-63 chars of a-z 0-9 - and '.',
// starting and ending alphanumeric. With HTTPS, dots are refused too: they break wildcard
// certificates (*.s3.amazonaws.com).
bool is_virtual_host_compatible(std::string_view bucket, bool https);

}  // namespace upfleet::s3
