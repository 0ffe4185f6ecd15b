// http.max_connections: a connection beyond the limit is answered 503 with Retry-After and
// closed before its request is read, so nothing is spooled or published for it.
#include "tests/unit/ingest_harness.h"

namespace upfleet::testing {
namespace {

using namespace std::chrono_literals;

class HttpConnectionLimitTest : public IngestHarness {};

TEST_F(HttpConnectionLimitTest, ConnectionAboveTheLimitIs503WithRetryAfterAndNothingIsKept) {
  start({}, [](HttpServerOptions& options) { options.max_connections = 1; });
  RawClient holder(port());  // keeps the only slot: an open keep-alive connection
  ASSERT_TRUE(holder.connected());
  ASSERT_TRUE(eventually([&] { return server_->open_connections() == 1; }, 10s));

  const RawResponse refused = raw_exchange(
      port(), "PUT /v1/files/over.bin HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nbytes");
  EXPECT_EQ(refused.status, 503) << refused.head << refused.body;
  EXPECT_NE(refused.body.find("too_many_connections"), std::string::npos) << refused.body;
  EXPECT_NE(refused.head.find("Retry-After: "), std::string::npos) << refused.head;
  expect_nothing_spooled_or_published();

  // The limit is on open connections: once the holder leaves, uploads are accepted again.
  ::shutdown(holder.fd(), SHUT_RDWR);
  ASSERT_TRUE(eventually([&] { return server_->open_connections() == 0; }, 10s));
  const RawResponse accepted =
      raw_exchange(port(),
                   "PUT /v1/files/after.bin HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
                   "Connection: close\r\n\r\nbytes");
  EXPECT_EQ(accepted.status, 202) << accepted.head << accepted.body;
  EXPECT_EQ(jobs_.jobs().size(), 1u);
}

}  // namespace
}  // namespace upfleet::testing
