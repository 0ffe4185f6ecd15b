// CurlTransport against a real loopback HTTP server: streaming in both directions, error
// mapping, connection reuse.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/http/curl_transport.h"
#include "tests/fakes/fake_http_byte_source.h"
#include "tests/unit/http_test_server.h"

namespace upfleet::http {
namespace {

using testing::HttpTestServer;
using testing::ReceivedRequest;
using testing::Reply;
using upfleet::testing::FailingByteSource;
using upfleet::testing::StringByteSource;

std::string pattern(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return out;
}

Reply echo(const ReceivedRequest& request) {
  return Reply{200, {{"X-Method", request.method}, {"X-Target", request.target}}, request.body};
}

TEST(CurlTransport, GetReturnsStatusLowerCasedHeadersAndBody) {
  HttpTestServer server([](const ReceivedRequest&) {
    return Reply{404, {{"X-Custom-Header", "  spaced value  "}}, "not here"};
  });
  CurlTransport transport;
  HttpRequest request;
  request.url = server.url("/missing");
  auto response = transport.perform(request);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->header("x-custom-header"), "spaced value");
  EXPECT_EQ(response->body, "not here");
}

TEST(CurlTransport, StreamsRangeOfByteSourceInBoundedChunks) {
  HttpTestServer server(echo);
  StringByteSource source(pattern(3 * 1024 * 1024 + 17));
  CurlTransport transport;
  HttpRequest request;
  request.method = "PUT";
  request.url = server.url("/object");
  request.body_source = &source;
  request.body_offset = 1000;
  request.body_length = source.size() - 2000;
  uint64_t last_progress = 0;
  request.on_upload_progress = [&](uint64_t sent, uint64_t) { last_progress = sent; };

  auto response = transport.perform(request);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, source.data().substr(1000, source.size() - 2000));
  EXPECT_LE(source.max_read(), static_cast<size_t>(CurlTransport::kUploadChunkBytes));
  EXPECT_GT(source.reads(), 3);
  EXPECT_EQ(last_progress, request.body_length);
  const auto received = server.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].header("content-length"), std::to_string(request.body_length));
  EXPECT_EQ(received[0].header("expect"), "");  // no 100-continue stall
}

TEST(CurlTransport, SendsMethodsHeadersAndInMemoryBodies) {
  HttpTestServer server(echo);
  CurlTransport transport;
  for (const std::string method : {"POST", "DELETE", "HEAD", "PUT"}) {
    HttpRequest request;
    request.method = method;
    request.url = server.url("/a%20b/../c?uploads");
    request.headers = {{"X-Amz-Meta-Empty", ""}, {"Content-Type", "text/plain"}};
    if (method == "POST") request.body = "<xml/>";
    auto response = transport.perform(request);
    ASSERT_TRUE(response.has_value()) << method << ": " << response.error().message;
    EXPECT_EQ(response->header("x-method"), method);
    // Dot segments and escapes reach the server untouched: S3 keys may contain them.
    EXPECT_EQ(response->header("x-target"), "/a%20b/../c?uploads");
  }
  const auto received = server.requests();
  ASSERT_EQ(received.size(), 4u);
  EXPECT_EQ(received[0].body, "<xml/>");
  EXPECT_EQ(received[0].header("content-type"), "text/plain");
  EXPECT_EQ(received[3].header("content-length"), "0");  // empty PUT still says so
  bool has_empty_header = false;
  for (const auto& [name, value] : received[0].headers) {
    has_empty_header = has_empty_header || (name == "x-amz-meta-empty" && value.empty());
  }
  EXPECT_TRUE(has_empty_header);
}

TEST(CurlTransport, ReusesConnectionsAcrossRequests) {
  HttpTestServer server(echo);
  CurlTransport transport;
  for (int i = 0; i < 5; ++i) {
    HttpRequest request;
    request.url = server.url("/" + std::to_string(i));
    ASSERT_TRUE(transport.perform(request).has_value());
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(CurlTransport, ConcurrentRequestsAreSafe) {
  HttpTestServer server(echo);
  CurlTransport transport;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        HttpRequest request;
        request.method = "PUT";
        request.url = server.url("/t" + std::to_string(t));
        const std::string body = pattern(1000 + t);
        request.body = body;
        auto response = transport.perform(request);
        if (response && response->body == body) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_LE(server.connections(), 8 * 2);
}

TEST(CurlTransport, StreamsResponseBodyToSink) {
  const std::string body = pattern(2 * 1024 * 1024);
  HttpTestServer server([&](const ReceivedRequest&) { return Reply{200, {}, body}; });
  CurlTransport transport;
  HttpRequest request;
  request.url = server.url();
  std::string received;
  int chunks = 0;
  request.on_body = [&](std::string_view chunk) {
    received.append(chunk);
    ++chunks;
    return true;
  };
  auto response = transport.perform(request);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_TRUE(response->body.empty());
  EXPECT_EQ(received, body);
  EXPECT_GT(chunks, 1);
}

TEST(CurlTransport, SinkReturningFalseCancels) {
  HttpTestServer server([](const ReceivedRequest&) { return Reply{200, {}, pattern(100000)}; });
  CurlTransport transport;
  HttpRequest request;
  request.url = server.url();
  request.on_body = [](std::string_view) { return false; };
  auto response = transport.perform(request);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kCancelled);
  EXPECT_FALSE(response.error().retryable);
}

TEST(CurlTransport, ErrorBodiesBypassSinkWhenStreamingSuccessOnly) {
  HttpTestServer server([](const ReceivedRequest&) {
    return Reply{503, {}, "<Error><Code>SlowDown</Code></Error>"};
  });
  CurlTransport transport;
  HttpRequest request;
  request.url = server.url();
  request.stream_success_only = true;
  bool sink_called = false;
  request.on_body = [&](std::string_view) { return sink_called = true; };
  auto response = transport.perform(request);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 503);
  EXPECT_FALSE(sink_called);
  EXPECT_EQ(response->body, "<Error><Code>SlowDown</Code></Error>");
}

TEST(CurlTransport, OversizedBufferedBodyFails) {
  HttpTestServer server([](const ReceivedRequest&) { return Reply{200, {}, pattern(10000)}; });
  CurlTransport transport;
  HttpRequest request;
  request.url = server.url();
  request.max_response_body = 1000;
  auto response = transport.perform(request);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kProtocol);
}

TEST(CurlTransport, BodySourceErrorIsReturnedAsIs) {
  HttpTestServer server(echo);
  FailingByteSource source(1 << 20, 300000, Error::transient(ErrorCode::kIo, "disk hiccup"));
  CurlTransport transport;
  HttpRequest request;
  request.method = "PUT";
  request.url = server.url();
  request.body_source = &source;
  request.body_length = source.size();
  auto response = transport.perform(request);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kIo);
  EXPECT_TRUE(response.error().retryable);
  EXPECT_NE(response.error().message.find("disk hiccup"), std::string::npos);
}

TEST(CurlTransport, ShortBodySourceIsAnIntegrityError) {
  HttpTestServer server(echo);
  StringByteSource source("only ten b");
  CurlTransport transport;
  HttpRequest request;
  request.method = "PUT";
  request.url = server.url();
  request.body_source = &source;
  request.body_length = 100;  // more than the source holds
  auto response = transport.perform(request);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kIntegrity);
}

TEST(CurlTransport, ConnectionRefusedIsRetryableUnavailable) {
  CurlTransport transport;
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(testing::closed_port()) + "/";
  auto response = transport.perform(request);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(response.error().retryable);
}

TEST(CurlTransport, ResetBeforeReplyIsRetryableUnavailable) {
  HttpTestServer server([](const ReceivedRequest&) { return Reply::closing(); });
  CurlTransport transport;
  HttpRequest request;
  request.url = server.url();
  auto response = transport.perform(request);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(response.error().retryable);
}

TEST(CurlTransport, SilentServerTimesOut) {
  HttpTestServer server([](const ReceivedRequest&) { return Reply::hanging(); });
  CurlTransport transport;
  HttpRequest request;
  request.url = server.url();
  request.timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  auto response = transport.perform(request);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kTimeout);
  EXPECT_TRUE(response.error().retryable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(CurlTransport, MalformedUrlIsPermanentInvalidArgument) {
  CurlTransport transport;
  for (const char* url : {"not a url", "ftp://example.com/x", "http://[::1/"}) {
    HttpRequest request;
    request.url = url;
    auto response = transport.perform(request);
    ASSERT_FALSE(response.has_value()) << url;
    EXPECT_EQ(response.error().code, ErrorCode::kInvalidArgument) << url;
    EXPECT_FALSE(response.error().retryable) << url;
  }
}

TEST(CurlTransport, HeaderInjectionIsRejected) {
  CurlTransport transport;
  HttpRequest request;
  request.url = "http://127.0.0.1:1/";
  request.headers = {{"x-amz-meta-a", "value\r\nInjected: yes"}};
  auto response = transport.perform(request);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace upfleet::http
