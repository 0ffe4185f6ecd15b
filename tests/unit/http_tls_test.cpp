// HTTPS on the ingest listener: a self-signed certificate made in the test, a PUT through
// CurlTransport trusting it, plain HTTP refused on the TLS port, and clear errors for bad
// certificate settings.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/http/curl_transport.h"
#include "tests/support/self_signed_cert.h"
#include "tests/unit/ingest_harness.h"

namespace upfleet::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

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
