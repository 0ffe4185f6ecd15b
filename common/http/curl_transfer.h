// One HTTP exchange on a curl easy handle: applies an HttpRequest to the handle and holds the
// state curl's callbacks share (body position, response being built, why it was aborted).
// Internal to CurlTransport.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <optional>
#include <string>

#include "common/http/curl_holders.h"
#include "common/http/http_transport.h"

namespace upfleet::http {

class CurlTransfer {
 public:
  // `request` must outlive the transfer.
  explicit CurlTransfer(const HttpRequest& request);
  CurlTransfer(const CurlTransfer&) = delete;
  CurlTransfer& operator=(const CurlTransfer&) = delete;

  // Sets URL, method, headers, body streaming, timeouts and callbacks on a freshly reset
  // handle. The handle points into this object until the transport resets it.
  Status prepare(CURL* handle);

  // Runs the transfer and returns the response or the failure, preferring the specific
  // cause (body source error, sink cancel, oversized body) over curl's generic code.
  Result<HttpResponse> perform(CURL* handle);

 private:
  static size_t on_header(char* data, size_t size, size_t count, void* self);
  static size_t on_write(char* data, size_t size, size_t count, void* self);
  static size_t on_read(char* buffer, size_t size, size_t count, void* self);
  static int on_seek(void* self, curl_off_t offset, int origin);
  static int on_progress(void* self, curl_off_t dl_total, curl_off_t dl_now, curl_off_t ul_total,
                         curl_off_t ul_now);

  bool has_body() const;
  uint64_t body_length() const;
  std::string context() const;  // "PUT http://host/path" without the query (may hold a signature)

  const HttpRequest& request_;
  HttpResponse response_;
  CurlSlistPtr header_list_;
  char error_buffer_[CURL_ERROR_SIZE] = {};

  uint64_t body_sent_ = 0;  // bytes of the body handed to curl so far
  uint64_t last_reported_upload_ = 0;
  std::optional<Error> abort_reason_;  // set by a callback that stopped the transfer
};

}  // namespace upfleet::http
