// An asynchronous HTTP/1.1 server (Beast on Asio, one coroutine per connection) with
// keep-alive, chunked bodies, Expect: 100-continue, a connection limit and timeouts.
// Handlers stream request bodies through BodyReader and may stream a response from a
// ByteSource, so neither direction holds a whole file in memory.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/asio.h"
#include "common/byte_source.h"
#include "common/error.h"

namespace upfleet {

struct HttpRequest {
  beast::http::verb method = beast::http::verb::unknown;
  std::string target;  // as sent, percent-encoded
  std::string path;    // target without the query
  std::string query;   // after '?', still encoded
  const beast::http::fields* headers = nullptr;
  std::optional<uint64_t> content_length;  // absent for chunked bodies
  bool has_body = false;
  std::string remote_address;
  bool remote_is_loopback = false;

  std::string_view header(beast::http::field name) const {
    auto it = headers->find(name);
    return it == headers->end() ? std::string_view() : std::string_view(it->value());
  }
  std::string_view header(std::string_view name) const {
    auto it = headers->find(beast::string_view(name.data(), name.size()));
    return it == headers->end() ? std::string_view() : std::string_view(it->value());
  }
};

// Streams the request body. Not thread-safe; valid only during the handler call.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Reads up to buf.size() body bytes; 0 means the body is complete. Errors: kTimeout when
  // the client is too slow, kUnavailable when it went away, kProtocol on malformed framing.
  virtual asio::awaitable<Result<size_t>> read(std::span<char> buf) = 0;
};

struct HttpResponse {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
  std::string body;

  // When set, the body is streamed from this source instead: `stream_length` bytes from
  // `stream_offset`.
  std::shared_ptr<ByteSource> stream;
  uint64_t stream_offset = 0;
  uint64_t stream_length = 0;

  // Close the connection after this response (set automatically when a body was not read).
  bool close = false;
};

// The JSON error shape of every endpoint: {"error":{"code":..., "message":...}}.
HttpResponse json_error(unsigned status, std::string_view code, std::string_view message);
HttpResponse json_response(unsigned status, std::string body);

using HttpHandler = std::function<asio::awaitable<HttpResponse>(HttpRequest&, BodyReader&)>;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  int io_threads = 2;
  int max_connections = 1024;
  std::chrono::milliseconds header_timeout{10'000};     // time to send the request head
  std::chrono::milliseconds idle_timeout{60'000};       // keep-alive wait between requests
  std::chrono::milliseconds body_read_timeout{30'000};  // max gap between body bytes
  size_t max_header_bytes = 16 * 1024;
};

class HttpServer {
 public:
  // Binds (so the port is known at once); kInvalidArgument for a bad listen address,
  // kUnavailable when the port is taken.
  static Result<std::unique_ptr<HttpServer>> bind(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();

  void start();  // runs io threads in the background
  // Stops accepting, then waits up to `grace` for open requests before closing everything.
  void stop(std::chrono::milliseconds grace);

  uint16_t port() const { return port_; }
  int open_connections() const { return connections_.load(); }

 private:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(asio::ip::tcp::socket socket);

  HttpServerOptions options_;
  HttpHandler handler_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<int> requests_in_flight_{0};
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

// Parses "host:port" ("0.0.0.0:8080", "[::1]:0", ":8080").
Result<asio::ip::tcp::endpoint> parse_listen_address(std::string_view listen);

}  // namespace upfleet
