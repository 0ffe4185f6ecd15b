// An IngestService behind a real HttpServer on 127.0.0.1:0 (DiskSpool in a temp dir, fake
// Kafka), requests through CurlTransport, plus a raw-socket client for tests where the bytes
// on the wire and their pacing matter: slow clients, server-sent events, shutdown, TLS.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "common/http/curl_transport.h"
#include "producer/disk_spool.h"
#include "producer/http_server.h"
#include "producer/ingest_service.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_job_publisher.h"
#include "tests/fakes/fake_status_sink.h"
#include "tests/support/child_process.h"
#include "tests/support/test_env.h"

namespace upfleet::testing {

// A blocking TCP client with a 10 s receive timeout as a safety net (a broken server must
// not hang the suite); never used to measure the server.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  bool send(std::string_view data) {
    size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // True when the server sent something or closed: a read would not block.
  bool readable() const {
    pollfd entry{fd_, POLLIN, 0};
    return ::poll(&entry, 1, 0) > 0;
  }

  // Reads until `needle` is in what was received (or the connection ends); returns all of it.
  std::string read_until(std::string_view needle) {
    while (received_.find(needle) == std::string::npos && receive_some()) {
    }
    return received_;
  }

  // Reads until the server closes the connection.
  std::string read_all() {
    while (receive_some()) {
    }
    return received_;
  }

  const std::string& received() const { return received_; }
  bool closed_by_peer() const { return closed_; }

 private:
  bool receive_some() {
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) closed_ = true;
    if (n < 0 && errno == ECONNRESET) closed_ = true;
    if (n <= 0) return false;
    received_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string received_;
};

inline int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

// A response read off a raw socket.
struct RawResponse {
  int status = 0;
  std::string head;
  std::string body;
};

// Sends `request` as-is and reads until the server closes the connection.
inline RawResponse raw_exchange(uint16_t port, const std::string& request) {
  RawResponse response;
  RawClient client(port);
  if (!client.connected()) {
    ADD_FAILURE() << "connect failed";
    return response;
  }
  client.send(request);
  const std::string text = client.read_all();
  const size_t head_end = text.find("\r\n\r\n");
  if (text.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) {
    ADD_FAILURE() << "not an HTTP response: " << text;
    return response;
  }
  response.status = std::stoi(text.substr(9, 3));
  response.head = text.substr(0, head_end);
  response.body = text.substr(head_end + 4);
  return response;
}

class IngestHarness : public ::testing::Test {
 protected:
  using ServiceTweak = std::function<void(IngestOptions&)>;
  using ServerTweak = std::function<void(HttpServerOptions&)>;

  void start(const ServiceTweak& service_tweak = {}, const ServerTweak& server_tweak = {}) {
    auto spool = DiskSpool::open({spool_dir(), spool_max_bytes_, /*min_free_bytes=*/0});
    ASSERT_TRUE(spool.has_value()) << spool.error().message;
    spool_ = std::move(*spool);
    IngestOptions options;
    options.ingest_id = "ingest-0";
    options.advertise_url = "http://ingest-0.test:8080";
    options.default_bucket = "media";
    options.max_body_bytes = 1 << 20;
    options.publish_timeout = std::chrono::seconds(1);
    if (service_tweak) service_tweak(options);
    Spool* service_spool = spool_.get();
    if (wrap_spool_) {
      wrapped_spool_ = wrap_spool_(*spool_);
      service_spool = wrapped_spool_.get();
    }
    service_ = std::make_unique<IngestService>(options, *service_spool, jobs_, statuses_, view_,
                                               metrics_, blocking_, clock_);
    HttpServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    server_options.io_threads = 2;
    server_options.on_slow_client = [this](SlowClientPhase phase) {
      (phase == SlowClientPhase::kHeaders ? slow_headers_ : slow_bodies_)++;
    };
    if (server_tweak) server_tweak(server_options);
    auto server = HttpServer::bind(server_options, [this](HttpRequest& request, BodyReader& body) {
      return service_->handle(request, body);
    });
    ASSERT_TRUE(server.has_value()) << server.error().message;
    server_ = std::move(*server);
    server_->start();
  }

  // The blocking pool is joined before the server (and its io_context) is destroyed: a pool
  // thread that has just handed a result back to an I/O strand still holds a copy of that
  // strand's executor, and must drop it while the io_context exists (as main.cpp does).
  void TearDown() override {
    if (server_) server_->stop(std::chrono::milliseconds(0));
    blocking_.join();
  }

  std::filesystem::path spool_dir() const { return dir_.path() / "spool"; }
  uint16_t port() const { return server_->port(); }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
  }

  std::set<std::string> spool_files() const { return spool_entries(spool_dir()); }

  http::HttpResponse send(const std::string& method, std::string_view path,
                          std::string_view body = {}, http::Headers headers = {}) {
    http::HttpRequest request;
    request.method = method;
    request.url = url(path);
    request.headers = std::move(headers);
    request.body = body;
    request.timeout = std::chrono::seconds(30);
    auto response = transport_.perform(request);
    EXPECT_TRUE(response.has_value()) << response.error().message;
    return response.value_or(http::HttpResponse{});
  }

  http::HttpResponse put(std::string_view encoded_key, std::string_view body,
                         http::Headers headers = {}) {
    return send("PUT", "/v1/files/" + std::string(encoded_key), body, std::move(headers));
  }

  void expect_nothing_spooled_or_published() {
    EXPECT_TRUE(spool_files().empty());
    EXPECT_TRUE(jobs_.jobs().empty());
    EXPECT_TRUE(statuses_.events().empty());
  }

  uint64_t spool_max_bytes_ = 1ull << 30;  // set before start()
  TempDir dir_;
  FakeClock clock_;
  FakeJobPublisher jobs_;
  FakeStatusSink statuses_;
  StatusView view_;
  IngestMetrics metrics_{std::make_shared<prometheus::Registry>()};
  asio::thread_pool blocking_{2};
  std::unique_ptr<DiskSpool> spool_;
  // Set before start() to give the service a spool that wraps the DiskSpool (fault injection).
  std::function<std::unique_ptr<Spool>(DiskSpool&)> wrap_spool_;
  std::unique_ptr<Spool> wrapped_spool_;
  std::unique_ptr<IngestService> service_;
  std::atomic<int> slow_headers_{0};
  std::atomic<int> slow_bodies_{0};
  http::CurlTransport transport_;
  std::unique_ptr<HttpServer> server_;  // last: stopped first
};

}  // namespace upfleet::testing
