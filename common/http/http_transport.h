// The HTTP seam: S3 client, spool fetcher and upfleetctl send requests through this one
// small interface, so tests can swap the transport (fault injection, canned replies).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/byte_source.h"
#include "common/error.h"

namespace upfleet::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute, already percent-encoded
  Headers headers;

  // Request body. When `body_source` is set, bytes [body_offset, body_offset + body_length)
  // are streamed from it (never copied whole); otherwise `body` is sent.
  std::string_view body;
  ByteSource* body_source = nullptr;
  uint64_t body_offset = 0;
  uint64_t body_length = 0;

  std::chrono::milliseconds connect_timeout{10'000};
  // Whole-transfer limit; zero means none (use low_speed_* for big transfers).
  std::chrono::milliseconds timeout{0};
  // Abort when fewer than low_speed_bytes_per_second flow for low_speed_window.
  uint32_t low_speed_bytes_per_second = 1;
  std::chrono::seconds low_speed_window{60};

  // When set, response body chunks go here instead of HttpResponse::body. Returning false
  // aborts the transfer (the result is then a kCancelled error).
  std::function<bool(std::string_view chunk)> on_body;
  // Called during the transfer with bytes uploaded so far and the total (0 if unknown).
  std::function<void(uint64_t sent, uint64_t total)> on_upload_progress;

  // When true, on_body receives only 2xx bodies; any other body (an error document) is
  // collected in HttpResponse::body instead, so a caller streaming an object can still read
  // why the server refused.
  bool stream_success_only = false;
  // Cap on a body collected into HttpResponse::body, 0 for none. Beyond it the request fails
  // with kProtocol, so a misbehaving peer cannot make us buffer without limit.
  size_t max_response_body = 0;
};

struct HttpResponse {
  long status = 0;
  Headers headers;  // names lower-cased, in arrival order
  std::string body;

  // First header with this (lower-case) name, or empty.
  std::string_view header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_name) return value;
    }
    return {};
  }
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // Performs one request and returns the response, whatever its status code. Errors are
  // transport failures only: retryable kUnavailable (refused, reset, DNS) or kTimeout;
  // kCancelled when on_body asked to stop; permanent kInvalidArgument for a malformed URL.
  // Thread-safe; connections are reused across calls.
  virtual Result<HttpResponse> perform(const HttpRequest& request) = 0;
};

}  // namespace upfleet::http
