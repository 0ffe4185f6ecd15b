#include "tests/fakes/fake_http_transport.h"

#include <algorithm>
#include <span>

namespace upfleet::testing {
namespace {

constexpr size_t kChunkBytes = 64 * 1024;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Result<std::string> read_body(const http::HttpRequest& request) {
  if (request.body_source == nullptr) return std::string(request.body);
  std::string body;
  std::string chunk(kChunkBytes, '\0');
  uint64_t done = 0;
  while (done < request.body_length) {
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(kChunkBytes, request.body_length - done));
    auto read = request.body_source->read_at(request.body_offset + done,
                                             std::as_writable_bytes(std::span(chunk.data(), want)));
    if (!read) return fail(read.error());
    if (*read == 0) return fail(Error::permanent(ErrorCode::kIntegrity, "body source ended early"));
    body.append(chunk.data(), *read);
    done += *read;
  }
  return body;
}

}  // namespace

std::string RecordedRequest::header(std::string_view name) const {
  const std::string wanted = lower(name);
  for (const auto& [key, value] : headers) {
    if (lower(key) == wanted) return value;
  }
  return {};
}

bool RecordedRequest::has_header(std::string_view name) const {
  const std::string wanted = lower(name);
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& header) { return lower(header.first) == wanted; });
}

std::string RecordedRequest::target() const {
  const size_t scheme_end = url.find("://");
  const size_t path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  return path_start == std::string::npos ? "/" : url.substr(path_start);
}

std::string RecordedRequest::host() const {
  const size_t scheme_end = url.find("://");
  const size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  return url.substr(start, url.find('/', start) - start);
}

void FakeHttpTransport::enqueue(http::HttpResponse response) {
  std::lock_guard lock(mutex_);
  replies_.emplace_back(std::move(response));
}

void FakeHttpTransport::enqueue(long status, std::string body, http::Headers headers) {
  http::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  enqueue(std::move(response));
}

void FakeHttpTransport::enqueue_error(Error error) {
  std::lock_guard lock(mutex_);
  replies_.emplace_back(std::unexpected(std::move(error)));
}

void FakeHttpTransport::set_handler(Handler handler) {
  std::lock_guard lock(mutex_);
  handler_ = std::move(handler);
}

std::vector<RecordedRequest> FakeHttpTransport::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

RecordedRequest FakeHttpTransport::last_request() const {
  std::lock_guard lock(mutex_);
  return requests_.empty() ? RecordedRequest{} : requests_.back();
}

size_t FakeHttpTransport::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

Result<http::HttpResponse> FakeHttpTransport::next_reply(const RecordedRequest& recorded) {
  Handler handler;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(recorded);
    if (!replies_.empty()) {
      auto reply = std::move(replies_.front());
      replies_.pop_front();
      return reply;
    }
    handler = handler_;
  }
  if (handler) return handler(recorded);
  return fail(Error::permanent(ErrorCode::kInternal, "FakeHttpTransport: no scripted reply for " +
                                                         recorded.method + " " + recorded.url));
}

Result<http::HttpResponse> FakeHttpTransport::perform(const http::HttpRequest& request) {
  RecordedRequest recorded{request.method, request.url, request.headers, {}};
  auto body = read_body(request);
  if (!body) return fail(body.error());
  recorded.body = std::move(*body);
  if (request.on_upload_progress && !recorded.body.empty()) {
    request.on_upload_progress(recorded.body.size(), recorded.body.size());
  }

  auto reply = next_reply(recorded);
  if (!reply) return reply;
  for (auto& header : reply->headers) header.first = lower(header.first);

  const bool success = reply->status >= 200 && reply->status < 300;
  if (request.on_body && (!request.stream_success_only || success)) {
    const std::string_view all = reply->body;
    for (size_t offset = 0; offset < all.size(); offset += kChunkBytes) {
      if (!request.on_body(all.substr(offset, kChunkBytes))) {
        return fail(Error::permanent(ErrorCode::kCancelled, "response body consumer stopped"));
      }
    }
    reply->body.clear();
  } else if (request.max_response_body != 0 && reply->body.size() > request.max_response_body) {
    return fail(Error::permanent(ErrorCode::kProtocol, "response body exceeds the cap"));
  }
  return reply;
}

}  // namespace upfleet::testing
