// GET /v1/uploads/{id}/events: an upload's state changes as server-sent events, from its
// current state until a state after which nothing more is expected for the client.
#include "common/ids.h"
#include "common/log.h"
#include "producer/ingest_service.h"

namespace upfleet {
namespace bhttp = beast::http;

namespace {

constexpr std::string_view kUploadsPrefix = "/v1/uploads/";
constexpr std::string_view kEventsSuffix = "/events";
// Events a stream may have waiting; a client that falls further behind is disconnected.
constexpr size_t kEventQueueCapacity = 64;

// The object is stored (deferred thumbnails are not awaited: GET /v1/uploads/{id} shows
// them later), the job waits in the dead-letter topic for an operator, or it failed for good.
bool ends_event_stream(const StatusEvent& event) {
  return is_stored(event.state) || event.state == UploadState::kDeadLettered ||
         (event.state == UploadState::kFailed && !event.retryable);
}

std::string sse_message(const StatusEvent& event) {
  std::string message = "event: ";
  message += to_string(event.state);
  message += "\n";
  const std::string json = to_json(event);
  // Each line of the payload needs its own data field; compact JSON has one line.
  size_t start = 0;
  while (start <= json.size()) {
    const size_t end = std::min(json.find('\n', start), json.size());
    message += "data: " + json.substr(start, end - start) + "\n";
    start = end + 1;
  }
  message += "\n";
  return message;
}

// Holds one of http.max_event_streams while the response (and its producer) lives.
class StreamSlot {
 public:
  StreamSlot(std::atomic<int>& count, prometheus::Gauge& gauge) : count_(count), gauge_(gauge) {
    gauge_.Increment();
  }
  ~StreamSlot() {
    --count_;
    gauge_.Decrement();
  }
  StreamSlot(const StreamSlot&) = delete;
  StreamSlot& operator=(const StreamSlot&) = delete;

 private:
  std::atomic<int>& count_;
  prometheus::Gauge& gauge_;
};

}  // namespace

HttpResponse IngestService::get_events(const HttpRequest& request) {
  if (!client_authorized(request)) {
    HttpResponse response = json_error(401, "unauthorized", "missing or wrong bearer token");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
  }
  const std::string_view path = request.path;
  const std::string id(path.substr(kUploadsPrefix.size(),
                                   path.size() - kUploadsPrefix.size() - kEventsSuffix.size()));
  if (!is_valid_upload_id(id)) return json_error(400, "bad_upload_id", "malformed upload id");
  // Unknown ids are 404 at once, as for GET /v1/uploads/{id}: an accepted upload is in this
  // ingest's view before its 202 goes out.
  if (!view_.find(id)) return json_error(404, "not_found", "no upload with id " + id);
  if (event_streams_.fetch_add(1) >= options_.max_event_streams) {
    --event_streams_;
    HttpResponse response = json_error(503, "too_many_streams",
                                       "the ingest serves http.max_event_streams event streams "
                                       "already; poll GET /v1/uploads/{id} or retry shortly");
    response.headers.emplace_back("Retry-After", "5");
    return response;
  }
  auto slot = std::make_shared<StreamSlot>(event_streams_, metrics_.event_streams);
  HttpResponse response;
  response.content_type = "text/event-stream";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("X-Accel-Buffering", "no");  // proxies: do not buffer
  response.producer = [this, id, slot](ChunkWriter& writer) { return stream_events(id, writer); };
  return response;
}

asio::awaitable<void> IngestService::stream_events(std::string upload_id, ChunkWriter& writer) {
  auto subscription = view_.subscribe(upload_id, kEventQueueCapacity, writer.waker());
  for (;;) {
    for (const StatusEvent& event : subscription->take()) {
      if (!co_await writer.write(sse_message(event))) co_return;
      if (ends_event_stream(event)) co_return;
    }
    if (subscription->overflowed()) {
      log::info("event stream fell behind; closing it", {{"upload_id", upload_id}});
      co_return;
    }
    const auto woke = co_await writer.wait(options_.event_keepalive);
    if (woke == ChunkWriter::Wake::kStopping) co_return;
    if (woke == ChunkWriter::Wake::kTimedOut) {
      // A comment line keeps proxies and load balancers from closing a quiet stream.
      if (!co_await writer.write(": keep-alive\n\n")) co_return;
    }
  }
}

}  // namespace upfleet
