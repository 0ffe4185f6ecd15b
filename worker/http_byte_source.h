// ByteSource over an ingest's spool endpoint: every read is an HTTP Range request, so parts
// can be fetched in parallel and a failed read is retried alone. Sequential small reads (a
// single streamed PUT) are served from a read-ahead window to keep requests few.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/byte_source.h"
#include "common/http/http_transport.h"

namespace upfleet {

class HttpByteSource final : public ByteSource {
 public:
  // Reads this big or bigger go straight into the caller's buffer (parts, small objects read
  // whole); only smaller ones are served from a read-ahead window of kDefaultWindowBytes.
  static constexpr size_t kDirectReadBytes = 64 << 10;
  static constexpr size_t kDefaultWindowBytes = 1 << 20;

  // `size` comes from the job; the endpoint is trusted to serve that many bytes (a short
  // answer is a kIntegrity error). `bearer_token` may be empty. `transport` must outlive this.
  HttpByteSource(http::HttpTransport& transport, std::string url, uint64_t size,
                 std::string bearer_token, size_t window_bytes = kDefaultWindowBytes);

  uint64_t size() const override { return size_; }
  Result<size_t> read_at(uint64_t offset, std::span<std::byte> buf) override;

 private:
  // Fetches [offset, offset + buf.size()) straight into buf.
  Result<size_t> fetch(uint64_t offset, std::span<std::byte> buf);

  http::HttpTransport& transport_;
  const std::string url_;
  const uint64_t size_;
  const std::string bearer_token_;
  const size_t window_bytes_;

  std::mutex window_mutex_;
  std::vector<std::byte> window_;  // guarded by window_mutex_
  uint64_t window_offset_ = 0;     // guarded by window_mutex_
};

}  // namespace upfleet
