#include "common/s3/s3_endpoint.h"

#include "common/s3/uri_encode.h"

namespace upfleet::s3 {
namespace {

bool is_ip_literal(std::string_view host) {
  if (host.starts_with('[')) return true;
  return host.find_first_not_of("0123456789.") == std::string_view::npos;
}

}  // namespace

bool is_virtual_host_compatible(std::string_view bucket, bool https) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(bucket.front()) || !alnum(bucket.back())) return false;
  for (char c : bucket) {
    if (alnum(c) || c == '-') continue;
    if (c == '.' && !https) continue;
    return false;
  }
  return bucket.find("..") == std::string_view::npos;
}

Result<S3Endpoint> S3Endpoint::parse(std::string_view endpoint, bool path_style) {
  auto url = http::parse_url(endpoint);
  if (!url) return fail(url.error().with_context("s3.endpoint"));
  return S3Endpoint(std::move(*url), path_style);
}

bool S3Endpoint::use_virtual_host(std::string_view bucket) const {
  return !path_style_ && !bucket.empty() && !is_ip_literal(url_.host) &&
         is_virtual_host_compatible(bucket, url_.scheme == "https");
}

S3Target S3Endpoint::target(std::string_view bucket, std::string_view key,
                            const QueryParams& query) const {
  S3Target target;
  target.path = url_.path;
  if (use_virtual_host(bucket)) {
    http::Url host_url = url_;
    host_url.host = std::string(bucket) + "." + url_.host;
    target.host = host_url.authority();
  } else {
    target.host = url_.authority();
    if (!bucket.empty()) target.path += "/" + uri_encode_path(bucket);
  }
  if (!key.empty()) target.path += "/" + uri_encode_path(key);
  if (target.path.empty()) target.path = "/";
  target.url = url_.scheme + "://" + target.host + target.path;
  if (!query.empty()) target.url += "?" + canonical_query_string(query);
  return target;
}

}  // namespace upfleet::s3
