#include "worker/http_byte_source.h"

#include <algorithm>
#include <cstring>

#include "common/http/byte_range.h"

namespace upfleet {

HttpByteSource::HttpByteSource(http::HttpTransport& transport, std::string url, uint64_t size,
                               std::string bearer_token, size_t window_bytes)
    : transport_(transport),
      url_(std::move(url)),
      size_(size),
      bearer_token_(std::move(bearer_token)),
      window_bytes_(window_bytes) {}

Result<size_t> HttpByteSource::read_at(uint64_t offset, std::span<std::byte> buf) {
  if (offset >= size_ || buf.empty()) return size_t{0};
  buf = buf.first(static_cast<size_t>(std::min<uint64_t>(buf.size(), size_ - offset)));
  if (buf.size() >= std::min(window_bytes_, kDirectReadBytes)) return fetch(offset, buf);

  std::lock_guard lock(window_mutex_);
  const bool hit =
      offset >= window_offset_ && offset + buf.size() <= window_offset_ + window_.size();
  if (!hit) {
    window_.resize(static_cast<size_t>(std::min<uint64_t>(window_bytes_, size_ - offset)));
    auto got = fetch(offset, window_);
    if (!got) {
      window_.clear();
      return fail(got.error());
    }
    window_offset_ = offset;
  }
  std::memcpy(buf.data(), window_.data() + (offset - window_offset_), buf.size());
  return buf.size();
}

Result<size_t> HttpByteSource::fetch(uint64_t offset, std::span<std::byte> buf) {
  http::HttpRequest request;
  request.method = "GET";
  request.url = url_;
  request.headers.emplace_back("Range", http::range_header(offset, buf.size()));
  if (!bearer_token_.empty())
    request.headers.emplace_back("Authorization", "Bearer " + bearer_token_);
  size_t filled = 0;
  bool overflow = false;
  request.on_body = [&](std::string_view chunk) {
    if (filled + chunk.size() > buf.size()) {
      overflow = true;
      return false;
    }
    std::memcpy(buf.data() + filled, chunk.data(), chunk.size());
    filled += chunk.size();
    return true;
  };
  auto response = transport_.perform(request);
  if (overflow) {
    return fail(
        Error::permanent(ErrorCode::kProtocol, url_ + ": source sent more than the range asked"));
  }
  if (!response) return fail(response.error().with_context("fetching " + url_));
  const long status = response->status;
  if (status == 404 || status == 410) {
    return fail(Error::permanent(ErrorCode::kNotFound,
                                 url_ + ": source is gone (HTTP " + std::to_string(status) + ")"));
  }
  if (status == 401 || status == 403) {
    return fail(Error::permanent(ErrorCode::kPermissionDenied,
                                 url_ + ": refused (HTTP " + std::to_string(status) +
                                     "); check that spool.token matches the ingest's"));
  }
  if (status >= 500 || status == 429 || status == 408) {
    return fail(
        Error::transient(ErrorCode::kUnavailable, url_ + ": HTTP " + std::to_string(status)));
  }
  if (status != 206 && !(status == 200 && offset == 0)) {
    return fail(Error::permanent(ErrorCode::kProtocol,
                                 url_ + ": unexpected HTTP " + std::to_string(status)));
  }
  if (filled < buf.size()) {
    return fail(Error::transient(ErrorCode::kIntegrity,
                                 url_ + ": short read (" + std::to_string(filled) + " of " +
                                     std::to_string(buf.size()) + " bytes)"));
  }
  return filled;
}

}  // namespace upfleet
