// HTTPS on the ingest listener: a self-signed certificate made in the test, a PUT through
// CurlTransport trusting it, plain HTTP refused on the TLS port, and clear errors for bad
// certificate settings.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/http/curl_transport.h"
#include "tests/support/self_signed_cert.h"
#include "tests/unit/ingest_harness.h"

namespace upfleet::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A blocking TLS client on a raw socket that sends exactly when the test says: for trickling a
// body over TLS, which curl does not do byte by byte.
class RawTlsClient {
 public:
  RawTlsClient(uint16_t port, const fs::path& ca_file) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr || SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) {
      return;
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    connected_ = SSL_connect(ssl_) == 1;
  }
  ~RawTlsClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  }
  RawTlsClient(const RawTlsClient&) = delete;
  RawTlsClient& operator=(const RawTlsClient&) = delete;

  bool connected() const { return connected_; }
  bool send(std::string_view data) {
    return SSL_write(ssl_, data.data(), static_cast<int>(data.size())) ==
           static_cast<int>(data.size());
  }
  // True when the server sent something (or closed): a read would not block.
  bool readable() const {
    if (SSL_pending(ssl_) > 0) return true;
    pollfd entry{fd_, POLLIN, 0};
    return ::poll(&entry, 1, 0) > 0;
  }
  // Everything until the server closes (or the 10 s receive timeout).
  std::string read_all() {
    std::string out;
    char buf[4096];
    for (;;) {
      const int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
};

class HttpTlsTest : public IngestHarness {
 protected:
  void SetUp() override { ASSERT_TRUE(write_self_signed(cert_file(), key_file())); }
  fs::path cert_file() const { return dir_.path() / "cert.pem"; }
  fs::path key_file() const { return dir_.path() / "key.pem"; }

  void start_tls() {
    start({}, [this](HttpServerOptions& options) {
      options.tls_cert_file = cert_file();
      options.tls_key_file = key_file();
    });
  }

  Result<http::HttpResponse> perform(http::CurlTransport& transport, std::string url,
                                     std::string method = "GET", std::string_view body = {}) {
    http::HttpRequest request;
    request.method = std::move(method);
    request.url = std::move(url);
    request.body = body;
    request.timeout = 30s;
    return transport.perform(request);
  }

  std::string base(std::string_view scheme) const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port());
  }
};

TEST_F(HttpTlsTest, PutOverHttpsWithTheCertificateAsCa) {
  start_tls();
  http::CurlTransport transport({.ca_file = cert_file()});
  auto response = perform(transport, base("https") + "/v1/files/secure.txt", "PUT", "over tls");
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 202) << response->body;
  ASSERT_EQ(jobs_.jobs().size(), 1u);
  EXPECT_EQ(jobs_.jobs()[0].source.size, 8u);

  // Keep-alive and streamed bodies work over TLS too: the spool endpoint serves the bytes.
  const std::string id = nlohmann::json::parse(response->body).at("upload_id");
  auto spooled = perform(transport, base("https") + "/internal/spool/" + id);
  ASSERT_TRUE(spooled.has_value()) << spooled.error().message;
  EXPECT_EQ(spooled->status, 200);
  EXPECT_EQ(spooled->body, "over tls");
}

TEST_F(HttpTlsTest, UntrustedCertificateFailsVerification) {
  start_tls();
  http::CurlTransport transport;  // system CAs only
  auto response = perform(transport, base("https") + "/healthz");
  EXPECT_FALSE(response.has_value());
}

TEST_F(HttpTlsTest, PlainHttpOnTheTlsPortIsRefused) {
  start_tls();
  http::CurlTransport transport;
  auto response = perform(transport, base("http") + "/v1/files/plain.txt", "PUT", "plain");
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 400);
  EXPECT_NE(response->body.find("https_required"), std::string::npos) << response->body;
  expect_nothing_spooled_or_published();
}

// The minimum body rate holds over TLS too: a body trickled through the TLS stream is 408 with
// nothing kept, like over plain HTTP.
TEST_F(HttpTlsTest, BodyTrickledOverTlsBelowTheMinimumRateIs408AndNothingIsKept) {
  start({}, [this](HttpServerOptions& options) {
    options.tls_cert_file = cert_file();
    options.tls_key_file = key_file();
    options.body_read_timeout = 30s;
    options.body_rate = {.min_bytes_per_second = 2000, .grace = 200ms, .window = 400ms};
  });
  RawTlsClient client(port(), cert_file());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(
      "PUT /v1/files/slow-tls.bin HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n"));
  bool reacted = false;
  // One byte per 20 ms (~50 bytes/s; pacing, not synchronisation) until the server answers;
  // the rate check is due after 600 ms, so 10 s of trickle without an answer is a failure.
  for (int i = 0; i < 500 && !reacted; ++i) {
    reacted = client.readable() || !client.send("b");
    if (!reacted) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(reacted) << "server never reacted";
  const std::string response = client.read_all();
  EXPECT_EQ(status_of(response), 408) << response;
  EXPECT_NE(response.find("http.min_body_rate"), std::string::npos) << response;
  EXPECT_EQ(slow_bodies_.load(), 1);
  expect_nothing_spooled_or_published();
}

TEST_F(HttpTlsTest, BadCertificateSettingsAreClearErrors) {
  auto bind_with = [](std::string cert, std::string key) {
    HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    options.tls_cert_file = std::move(cert);
    options.tls_key_file = std::move(key);
    return HttpServer::bind(options,
                            [](HttpRequest&, BodyReader&) -> asio::awaitable<HttpResponse> {
                              co_return json_response(200, "{}");
                            });
  };
  auto only_cert = bind_with(cert_file(), "");
  ASSERT_FALSE(only_cert.has_value());
  EXPECT_NE(only_cert.error().message.find("http.tls.key_file"), std::string::npos);

  auto missing = bind_with((dir_.path() / "nope.pem").string(), key_file());
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("http.tls.cert_file"), std::string::npos);
  EXPECT_NE(missing.error().message.find("cannot read"), std::string::npos);

  const fs::path garbage = dir_.path() / "garbage.pem";
  std::ofstream(garbage) << "not a certificate\n";
  auto invalid = bind_with(garbage, key_file());
  ASSERT_FALSE(invalid.has_value());
  EXPECT_NE(invalid.error().message.find("http.tls.cert_file"), std::string::npos);

  const fs::path other_cert = dir_.path() / "other-cert.pem";
  const fs::path other_key = dir_.path() / "other-key.pem";
  ASSERT_TRUE(write_self_signed(other_cert, other_key));
  auto mismatched = bind_with(cert_file(), other_key);
  ASSERT_FALSE(mismatched.has_value());
  EXPECT_NE(mismatched.error().message.find("does not match"), std::string::npos)
      << mismatched.error().message;
}

}  // namespace
}  // namespace upfleet::testing
