// GET /v1/uploads/{id}/events: server-sent events from the status view over a raw socket,
// while status events are applied to the view.
#include <nlohmann/json.hpp>
#include <thread>

#include "common/ids.h"
#include "tests/unit/ingest_harness.h"

namespace upfleet::testing {
namespace {

using namespace std::chrono_literals;

StatusEvent status(const std::string& id, UploadState state, std::string at = "t") {
  StatusEvent event;
  event.upload_id = id;
  event.state = state;
  event.key = "k.bin";
  event.at = std::move(at);
  return event;
}

std::string events_request(const std::string& id, std::string_view extra_headers = "") {
  return "GET /v1/uploads/" + id + "/events HTTP/1.1\r\nHost: test\r\n" +
         std::string(extra_headers) + "\r\n";
}

class UploadEventsTest : public IngestHarness {};

TEST_F(UploadEventsTest, StreamsChangesFromTheCurrentStateUntilATerminalOne) {
  start();
  const std::string id = new_id();
  view_.apply(status(id, UploadState::kQueued));
  RawClient client(port());
  ASSERT_TRUE(client.send(events_request(id)));

  std::string seen = client.read_until("event: queued\n");
  EXPECT_EQ(status_of(seen), 200) << seen;
  EXPECT_NE(seen.find("Content-Type: text/event-stream"), std::string::npos) << seen;
  EXPECT_NE(seen.find("Cache-Control: no-cache"), std::string::npos) << seen;
  EXPECT_NE(seen.find("Transfer-Encoding: chunked"), std::string::npos) << seen;

  StatusEvent uploading = status(id, UploadState::kUploading, "t2");
  uploading.parts_done = 1;
  uploading.parts_total = 3;
  view_.apply(uploading);
  seen = client.read_until("event: uploading\n");
  ASSERT_NE(seen.find("event: uploading\n"), std::string::npos) << seen;

  StatusEvent uploaded = status(id, UploadState::kUploaded, "t3");
  uploaded.etag = "abc";
  view_.apply(uploaded);
  seen = client.read_all();  // the stream ends after `uploaded`
  EXPECT_TRUE(client.closed_by_peer());

  const size_t queued_at = seen.find("event: queued\n");
  const size_t uploading_at = seen.find("event: uploading\n");
  const size_t uploaded_at = seen.find("event: uploaded\n");
  ASSERT_NE(uploaded_at, std::string::npos) << seen;
  EXPECT_LT(queued_at, uploading_at);
  EXPECT_LT(uploading_at, uploaded_at);
  EXPECT_TRUE(seen.ends_with("0\r\n\r\n")) << "chunked body not finished: " << seen;
  // The data line is the status JSON, as GET /v1/uploads/{id} answers it.
  const size_t data_at = seen.find("data: ", uploaded_at);
  const std::string data = seen.substr(data_at + 6, seen.find('\n', data_at) - data_at - 6);
  const auto doc = nlohmann::json::parse(data);
  EXPECT_EQ(doc.at("state"), "uploaded");
  EXPECT_EQ(doc.at("etag"), "abc");
  EXPECT_EQ(doc.at("upload_id"), id);
  EXPECT_EQ(view_.subscribers(), 0u);
}

TEST_F(UploadEventsTest, AlreadyTerminalUploadGetsOneEventAndTheEnd) {
  start();
  const std::string id = new_id();
  StatusEvent dead = status(id, UploadState::kDeadLettered);
  dead.stage = "upload";
  view_.apply(dead);
  RawClient client(port());
  ASSERT_TRUE(client.send(events_request(id)));
  const std::string seen = client.read_all();
  EXPECT_EQ(status_of(seen), 200) << seen;
  EXPECT_NE(seen.find("event: dead_lettered\n"), std::string::npos) << seen;
  EXPECT_TRUE(seen.ends_with("0\r\n\r\n")) << seen;
}

TEST_F(UploadEventsTest, RetryableFailureDoesNotEndTheStream) {
  start([](IngestOptions& options) { options.event_keepalive = 20ms; });
  const std::string id = new_id();
  StatusEvent failed = status(id, UploadState::kFailed);
  failed.retryable = true;
  view_.apply(failed);
  RawClient client(port());
  ASSERT_TRUE(client.send(events_request(id)));
  const std::string seen = client.read_until(": keep-alive\n\n");
  EXPECT_NE(seen.find("event: failed\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find(": keep-alive\n\n"), std::string::npos) << seen;  // still open
  EXPECT_FALSE(client.closed_by_peer());
}

TEST_F(UploadEventsTest, UnknownMalformedAndUnauthorized) {
  start([](IngestOptions& options) { options.auth_tokens = {"client-token"}; });
  const std::string id = new_id();
  const std::string auth = "Authorization: Bearer client-token\r\nConnection: close\r\n";
  {
    RawClient client(port());
    client.send(events_request(id, auth));
    EXPECT_EQ(status_of(client.read_all()), 404);
  }
  {
    RawClient client(port());
    client.send(events_request("NOT-AN-ID", auth));
    EXPECT_EQ(status_of(client.read_all()), 400);
  }
  view_.apply(status(id, UploadState::kQueued));
  {
    RawClient client(port());
    client.send(events_request(id, "Connection: close\r\n"));
    const std::string seen = client.read_all();
    EXPECT_EQ(status_of(seen), 401);
    EXPECT_NE(seen.find("WWW-Authenticate: Bearer"), std::string::npos);
  }
  {
    RawClient client(port());
    client.send(events_request(id, "Authorization: Bearer wrong\r\nConnection: close\r\n"));
    EXPECT_EQ(status_of(client.read_all()), 401);
  }
  {
    RawClient client(port());
    client.send(events_request(id, auth));
    EXPECT_EQ(status_of(client.read_until("event: queued")), 200);
  }
}

TEST_F(UploadEventsTest, StreamsAboveTheLimitAre503) {
  start([](IngestOptions& options) { options.max_event_streams = 1; });
  const std::string id = new_id();
  view_.apply(status(id, UploadState::kQueued));
  RawClient first(port());
  first.send(events_request(id));
  ASSERT_EQ(status_of(first.read_until("event: queued")), 200);

  RawClient second(port());
  second.send(events_request(id, "Connection: close\r\n"));
  const std::string refused = second.read_all();
  EXPECT_EQ(status_of(refused), 503) << refused;
  EXPECT_NE(refused.find("too_many_streams"), std::string::npos);
  EXPECT_NE(refused.find("Retry-After: 5"), std::string::npos);

  view_.apply(status(id, UploadState::kUploaded, "t2"));  // ends the first stream
  first.read_all();
  RawClient third(port());
  third.send(events_request(id));
  EXPECT_EQ(status_of(third.read_until("event: uploaded")), 200);
}

TEST_F(UploadEventsTest, ShutdownEndsOpenStreams) {
  start();
  const std::string id = new_id();
  view_.apply(status(id, UploadState::kQueued));
  RawClient client(port());
  client.send(events_request(id));
  ASSERT_EQ(status_of(client.read_until("event: queued")), 200);

  std::thread stopper([this] { server_->stop(30s); });
  const std::string seen = client.read_all();
  stopper.join();
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_TRUE(seen.ends_with("0\r\n\r\n")) << seen;
  EXPECT_EQ(view_.subscribers(), 0u);
}

}  // namespace
}  // namespace upfleet::testing
