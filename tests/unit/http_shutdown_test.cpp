// Graceful shutdown: once stopping, new connections are refused and idle keep-alive
// connections are closed, while a request in progress still completes.
#include <thread>

#include "tests/unit/ingest_harness.h"

namespace upfleet::testing {
namespace {

using namespace std::chrono_literals;

class HttpShutdownTest : public IngestHarness {};

TEST_F(HttpShutdownTest, InFlightPutCompletesWhileNewConnectionsAreRefused) {
  start();
  const uint16_t listen_port = port();
  RawClient uploader(listen_port);
  ASSERT_TRUE(uploader.connected());
  // With Expect: 100-continue the "100 Continue" tells us the handler is reading the body:
  // the request is in flight, not a connection waiting for its head.
  ASSERT_TRUE(
      uploader.send("PUT /v1/files/inflight.bin HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n"
                    "Expect: 100-continue\r\n\r\n"));
  ASSERT_NE(uploader.read_until("\r\n\r\n").find("100 Continue"), std::string::npos);
  ASSERT_TRUE(uploader.send("01234"));

  RawClient idle(listen_port);  // keep-alive connection with no request yet
  ASSERT_TRUE(idle.connected());

  server_->begin_stop();  // stops accepting before it returns
  std::thread stopper([this] { server_->stop(30s); });

  RawClient late(listen_port);
  EXPECT_FALSE(late.connected()) << "a connection after stop was accepted";
  EXPECT_EQ(idle.read_all(), "");  // closed without an answer
  EXPECT_TRUE(idle.closed_by_peer());

  ASSERT_TRUE(uploader.send("56789"));
  const std::string response = uploader.read_all();
  stopper.join();
  EXPECT_NE(response.find("HTTP/1.1 202"), std::string::npos) << response;
  EXPECT_NE(response.find("Connection: close"), std::string::npos) << response;
  ASSERT_EQ(jobs_.jobs().size(), 1u);
  EXPECT_EQ(jobs_.jobs()[0].key, "inflight.bin");
  EXPECT_EQ(jobs_.jobs()[0].source.size, 10u);
}

TEST_F(HttpShutdownTest, StopWithoutGraceDoesNotWaitForSlowRequests) {
  start();
  RawClient uploader(port());
  ASSERT_TRUE(
      uploader.send("PUT /v1/files/never.bin HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n"
                    "Expect: 100-continue\r\n\r\n"));
  ASSERT_NE(uploader.read_until("\r\n\r\n").find("100 Continue"), std::string::npos);
  server_->stop(0ms);  // returns although the body never comes
  EXPECT_EQ(server_->open_connections(), 0);
  uploader.read_all();
  EXPECT_TRUE(uploader.closed_by_peer());
  expect_nothing_spooled_or_published();
}

}  // namespace
}  // namespace upfleet::testing
