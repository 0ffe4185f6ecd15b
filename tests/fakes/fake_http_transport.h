// A scripted HttpTransport: answers from a queue of canned responses or errors (or a handler
// function), and records every request with its whole body, so S3 client tests can check
// what went over the wire without a server.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/http/http_transport.h"

namespace upfleet::testing {

struct RecordedRequest {
  std::string method;
  std::string url;
  http::Headers headers;  // as given by the caller
  std::string body;       // read in full from body_source (in chunks) or copied from body

  // First header with this name, compared case-insensitively; empty if absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // The path and query of the URL ("/bucket/key?uploads="), and the host.
  std::string target() const;
  std::string host() const;
};

// Thread-safe. Honours the HttpRequest contract: on_body (in chunks; false -> kCancelled),
// stream_success_only, max_response_body (-> kProtocol), on_upload_progress, body source
// errors (returned as-is).
class FakeHttpTransport final : public http::HttpTransport {
 public:
  using Handler = std::function<Result<http::HttpResponse>(const RecordedRequest&)>;

  // Scripted answers, used in order. When the queue is empty the handler answers; without a
  // handler the request fails with kInternal ("no scripted reply").
  void enqueue(http::HttpResponse response);
  void enqueue(long status, std::string body = {}, http::Headers headers = {});
  void enqueue_error(Error error);
  void set_handler(Handler handler);

  std::vector<RecordedRequest> requests() const;
  RecordedRequest last_request() const;
  size_t request_count() const;

  Result<http::HttpResponse> perform(const http::HttpRequest& request) override;

 private:
  Result<http::HttpResponse> next_reply(const RecordedRequest& recorded);

  mutable std::mutex mutex_;
  std::deque<Result<http::HttpResponse>> replies_;  // guarded by mutex_
  Handler handler_;                                 // guarded by mutex_
  std::vector<RecordedRequest> requests_;           // guarded by mutex_
};

}  // namespace upfleet::testing
