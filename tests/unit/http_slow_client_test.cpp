// Slow clients against the real server: a trickled request head is bounded by
// http.header_timeout as a whole, a trickled body by http.min_body_rate, and either way the
// connection is closed with nothing spooled or published.
#include <thread>

#include "tests/unit/ingest_harness.h"

namespace upfleet::testing {
namespace {

using namespace std::chrono_literals;

// Pacing for the trickle (what makes the client slow), not synchronisation.
constexpr auto kTrickleStep = 20ms;

// Sends `data` a byte at a time until the server answers or closes; true if it did.
bool trickle_until_server_reacts(RawClient& client, std::string_view data) {
  for (char byte : data) {
    if (client.readable()) return true;
    if (!client.send(std::string_view(&byte, 1))) return true;
    std::this_thread::sleep_for(kTrickleStep);
  }
  return client.readable();
}

class HttpSlowClientTest : public IngestHarness {};

TEST_F(HttpSlowClientTest, TrickledHeadersAreClosedByTheHeaderDeadline) {
  // The trickle takes ~10 s; the deadline is 300 ms. A per-read timeout (each byte resetting
  // it) would let the whole head through and answer it.
  start({}, [](HttpServerOptions& options) { options.header_timeout = 300ms; });
  RawClient client(port());
  ASSERT_TRUE(client.connected());
  const std::string head =
      "GET /healthz HTTP/1.1\r\nHost: test\r\nX-Padding: " + std::string(480, 'p') + "\r\n\r\n";

  EXPECT_TRUE(trickle_until_server_reacts(client, head)) << "server never closed the connection";
  EXPECT_EQ(client.read_all(), "");  // closed without an answer
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_EQ(slow_headers_.load(), 1);
}

TEST_F(HttpSlowClientTest, IdleConnectionIsNotCountedAsSlow) {
  start({}, [](HttpServerOptions& options) { options.header_timeout = 100ms; });
  RawClient client(port());
  ASSERT_TRUE(client.connected());
  EXPECT_EQ(client.read_all(), "");
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_EQ(slow_headers_.load(), 0);
}

// A keep-alive connection may wait http.idle_timeout for its next request, but once that
// request starts, its head has http.header_timeout like the first one: a slowloris client
// must not get the (long) idle timeout for every header after the first.
TEST_F(HttpSlowClientTest, LaterRequestsOnAKeepAliveConnectionGetTheHeaderDeadline) {
  start({}, [](HttpServerOptions& options) {
    options.header_timeout = 300ms;
    options.idle_timeout = 60s;
  });
  RawClient client(port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"));
  ASSERT_EQ(status_of(client.read_until(R"({"status":"ok"})")), 200);  // the whole response
  // Idle past the header deadline: still open (the idle timeout applies between requests).
  std::this_thread::sleep_for(600ms);
  EXPECT_FALSE(client.readable()) << "an idle keep-alive connection was closed early";

  const std::string head =
      "GET /healthz HTTP/1.1\r\nHost: test\r\nX-Padding: " + std::string(480, 'p') + "\r\n\r\n";
  EXPECT_TRUE(trickle_until_server_reacts(client, head))
      << "the second request's head was allowed the idle timeout";
  const std::string after_first = client.read_all();
  EXPECT_EQ(after_first.find("HTTP/1.1", 1), std::string::npos) << "the trickled head was answered";
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_EQ(slow_headers_.load(), 1);
}

TEST_F(HttpSlowClientTest, TrickledBodyBelowTheMinimumRateIs408AndNothingIsKept) {
  // One byte per 20 ms is ~50 bytes/s: far below 2000 bytes/s, while every gap stays far
  // inside the 30 s gap timeout.
  start({}, [](HttpServerOptions& options) {
    options.body_read_timeout = 30s;
    options.body_rate = {.min_bytes_per_second = 2000, .grace = 200ms, .window = 400ms};
  });
  RawClient client(port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(
      "PUT /v1/files/slow.bin HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n"));

  EXPECT_TRUE(trickle_until_server_reacts(client, std::string(100000, 'b')))
      << "server never reacted";
  const std::string response = client.read_all();
  EXPECT_EQ(status_of(response), 408) << response;
  EXPECT_NE(response.find("request_timeout"), std::string::npos) << response;
  EXPECT_NE(response.find("http.min_body_rate"), std::string::npos) << response;
  EXPECT_NE(response.find("Connection: close"), std::string::npos) << response;
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_EQ(slow_bodies_.load(), 1);
  expect_nothing_spooled_or_published();
}

TEST_F(HttpSlowClientTest, StalledBodyIs408ByTheGapTimeout) {
  start({}, [](HttpServerOptions& options) {
    options.body_read_timeout = 200ms;
    options.body_rate.min_bytes_per_second = 0;
  });
  RawClient client(port());
  ASSERT_TRUE(client.send(
      "PUT /v1/files/stalled.bin HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nhalf"));
  const std::string response = client.read_all();  // the client sends nothing more
  EXPECT_EQ(status_of(response), 408) << response;
  EXPECT_NE(response.find("http.body_read_timeout"), std::string::npos) << response;
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_EQ(slow_bodies_.load(), 1);
  expect_nothing_spooled_or_published();
}

TEST_F(HttpSlowClientTest, BodyAboveTheMinimumRateIsAccepted) {
  start({}, [](HttpServerOptions& options) {
    options.body_rate = {.min_bytes_per_second = 1, .grace = 0ms, .window = 10s};
  });
  RawClient client(port());
  ASSERT_TRUE(
      client.send("PUT /v1/files/fast.bin HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
                  "Connection: close\r\n\r\nhello"));
  const std::string response = client.read_all();
  EXPECT_EQ(status_of(response), 202) << response;
  EXPECT_EQ(jobs_.jobs().size(), 1u);
  EXPECT_EQ(slow_bodies_.load(), 0);
}

}  // namespace
}  // namespace upfleet::testing
