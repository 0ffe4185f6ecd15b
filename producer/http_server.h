// An asynchronous HTTP/1.1 server (Beast on Asio, one coroutine per connection) with
// keep-alive, chunked bodies, Expect: 100-continue, a connection limit, timeouts against slow
// clients (header deadline, body gap and minimum body rate), optional TLS and graceful
// shutdown. Handlers stream request bodies through BodyReader and may stream a response from
// a ByteSource or a ChunkProducer (server-sent events), so nothing holds a whole file.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/asio.h"
#include "common/byte_source.h"
#include "common/error.h"
#include "producer/body_rate_guard.h"

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

// Writes the body of a streamed response (chunked transfer encoding) for a ChunkProducer.
// Used only on the connection's coroutine, during the producer call.
class ChunkWriter {
 public:
  virtual ~ChunkWriter() = default;
  // Sends `data` as one chunk now. kUnavailable once the client went away or did not take
  // the bytes within the write timeout: the producer should return then.
  virtual asio::awaitable<Status> write(std::string_view data) = 0;
  enum class Wake { kTimedOut, kWoken, kStopping };
  // Waits until `timeout` passed (kTimedOut) or the waker was called since the last wait
  // (kWoken). kStopping when the server is shutting down: the producer should return.
  virtual asio::awaitable<Wake> wait(std::chrono::milliseconds timeout) = 0;
  // Ends the current or next wait() early. Thread-safe, never blocks, and safe to call at
  // any time, also after the producer returned: event sources call it from their threads.
  virtual std::function<void()> waker() = 0;
};

// Produces a streamed body until it returns; the server then ends the chunked body and
// closes the connection.
using ChunkProducer = std::function<asio::awaitable<void>(ChunkWriter&)>;

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

  // When set, the head goes out with chunked encoding and this writes the body over time.
  ChunkProducer producer;

  // Close the connection after this response (set automatically when a body was not read).
  bool close = false;
};

// The JSON error shape of every endpoint: {"error":{"code":..., "message":...}}.
HttpResponse json_error(unsigned status, std::string_view code, std::string_view message);
HttpResponse json_response(unsigned status, std::string body);

using HttpHandler = std::function<asio::awaitable<HttpResponse>(HttpRequest&, BodyReader&)>;

enum class SlowClientPhase { kHeaders, kBody };

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  int io_threads = 2;
  int max_connections = 1024;
  // Deadline for the whole request head (and TLS handshake), not per read: a client that
  // trickles header bytes is closed when it passes.
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};       // keep-alive wait between requests
  std::chrono::milliseconds body_read_timeout{30'000};  // max gap between body bytes; writes
  // Minimum body rate over a sliding window after a grace period (408 below it).
  BodyRateOptions body_rate{10 * 1024, std::chrono::seconds(10), std::chrono::seconds(20)};
  size_t max_header_bytes = 16 * 1024;
  // PEM files; both set: the listener speaks HTTPS only. Both empty: plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Called (on an I/O thread, must not block) when a client is closed for being too slow.
  std::function<void(SlowClientPhase)> on_slow_client;
};

struct ConnectionState;
class TlsContext;

class HttpServer {
 public:
  // Binds (so the port is known at once); kInvalidArgument for a bad listen address or an
  // unusable TLS certificate or key, kUnavailable when the port is taken.
  static Result<std::unique_ptr<HttpServer>> bind(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();

  void start();  // runs io threads in the background
  // Stops accepting (new connections are refused once this returns) and closes connections
  // that wait for a request; requests in progress go on, then their connections close.
  // Streamed responses are told to finish. Idempotent.
  void begin_stop();
  // begin_stop(), then waits up to `grace` for requests in progress before closing
  // everything and joining the I/O threads.
  void stop(std::chrono::milliseconds grace);

  uint16_t port() const { return port_; }
  int open_connections() const { return connections_.load(); }

 private:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(asio::ip::tcp::socket socket);
  void track(const std::shared_ptr<ConnectionState>& state);
  void untrack(const std::shared_ptr<ConnectionState>& state);

  HttpServerOptions options_;
  HttpHandler handler_;
  std::shared_ptr<TlsContext> tls_;  // null: plain HTTP
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  bool joined_ = false;  // guarded by stop_mutex_
  std::mutex connections_mutex_;
  std::vector<std::shared_ptr<ConnectionState>> live_;  // guarded by connections_mutex_
  std::vector<std::thread> threads_;
};

// Parses "host:port" ("0.0.0.0:8080", "[::1]:0", ":8080").
Result<asio::ip::tcp::endpoint> parse_listen_address(std::string_view listen);

}  // namespace upfleet
