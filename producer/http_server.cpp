#include "producer/http_server.h"

#include <array>
#include <boost/asio/redirect_error.hpp>
#include <future>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "producer/http_connection.h"
#include "producer/tls_context.h"

namespace upfleet {
namespace bhttp = beast::http;
using asio::ip::tcp;

namespace {

// After the grace period, how long closed connections get to unwind before the I/O threads stop.
constexpr std::chrono::milliseconds kUnwindWait{1000};

// Lingering close: what the client still sends (the rest of a body we answered early) is read
// and dropped for a bounded time and amount, because closing a socket with unread input
// resets the connection, and the reset can destroy our answer before the client read it.
constexpr std::chrono::milliseconds kLingerTime{2000};
constexpr size_t kLingerBytes = 1 << 20;

asio::awaitable<void> drain(beast::tcp_stream& transport) {
  std::array<char, 16 * 1024> scratch;
  size_t drained = 0;
  boost::system::error_code ec;
  transport.expires_after(kLingerTime);
  while (!ec && drained < kLingerBytes) {
    drained += co_await transport.async_read_some(asio::buffer(scratch),
                                                  asio::redirect_error(asio::use_awaitable, ec));
  }
}

// Closes a connection: TLS says close_notify first (bounded by `timeout`), plain TCP sends
// FIN after the last response; with `linger`, unread input is drained first.
asio::awaitable<void> close_stream(PlainStream& stream, std::chrono::milliseconds, bool linger) {
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (linger && !ec) co_await drain(stream);
}

asio::awaitable<void> close_stream(TlsStream& stream, std::chrono::milliseconds timeout,
                                   bool linger) {
  boost::system::error_code ec;
  auto& transport = beast::get_lowest_layer(stream);
  transport.expires_after(timeout);
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  transport.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (linger && !ec) co_await drain(transport);
}

}  // namespace

HttpResponse json_error(unsigned status, std::string_view code, std::string_view message) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  return json_response(status, body.dump());
}

HttpResponse json_response(unsigned status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Result<tcp::endpoint> parse_listen_address(std::string_view listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) {
    return fail(Error::invalid("listen address '" + std::string(listen) + "' must be host:port"));
  }
  std::string host(listen.substr(0, colon));
  const std::string port_text(listen.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return fail(Error::invalid("listen address '" + std::string(listen) + "': bad host"));
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 0 || port > 65535) {
    return fail(Error::invalid("listen address '" + std::string(listen) + "': bad port"));
  }
  return tcp::endpoint(address, static_cast<uint16_t>(port));
}

Result<std::unique_ptr<HttpServer>> HttpServer::bind(HttpServerOptions options,
                                                     HttpHandler handler) {
  auto endpoint = parse_listen_address(options.listen);
  if (!endpoint) return fail(endpoint.error());
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(options), std::move(handler)));
  const auto& tls_cert = server->options_.tls_cert_file;
  const auto& tls_key = server->options_.tls_key_file;
  if (tls_cert.empty() != tls_key.empty()) {
    return fail(Error::invalid(
        "http.tls.cert_file and http.tls.key_file must be set together (or neither)"));
  }
  if (!tls_cert.empty()) {
    auto tls = TlsContext::load(tls_cert, tls_key);
    if (!tls) return fail(tls.error());
    server->tls_ = std::move(*tls);
  }
  boost::system::error_code ec;
  server->acceptor_.open(endpoint->protocol(), ec);
  if (!ec) server->acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) server->acceptor_.bind(*endpoint, ec);
  if (!ec) server->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(
        Error::permanent(ErrorCode::kUnavailable,
                         "cannot listen on " + server->options_.listen + ": " + ec.message()));
  }
  server->port_ = server->acceptor_.local_endpoint().port();
  return server;
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : options_(std::move(options)), handler_(std::move(handler)), acceptor_(io_) {}

HttpServer::~HttpServer() {
  stop(std::chrono::milliseconds(0));
}

void HttpServer::start() {
  asio::co_spawn(io_, accept_loop(), asio::detached);
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
    threads_.emplace_back([this] { io_.run(); });
  }
}

void HttpServer::begin_stop() {
  if (stopping_.exchange(true)) return;
  // The acceptor belongs to the I/O threads; close it there and wait, so a connect after
  // this returns is refused. Without running threads, close it here.
  if (threads_.empty()) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  } else {
    std::promise<void> closed;
    auto done = closed.get_future();
    asio::post(io_, [this, &closed] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      closed.set_value();
    });
    done.wait();
  }
  std::lock_guard lock(connections_mutex_);
  for (const auto& state : live_) {
    asio::post(state->strand, [state] {
      if (state->transport != nullptr && state->idle) state->transport->cancel();
      if (state->wake) state->wake->wake(state->wake);
    });
  }
}

void HttpServer::stop(std::chrono::milliseconds grace) {
  std::lock_guard stop_lock(stop_mutex_);
  if (joined_) return;
  begin_stop();
  auto wait_for_connections = [this](std::chrono::steady_clock::time_point deadline) {
    while (connections_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  wait_for_connections(std::chrono::steady_clock::now() + grace);
  if (connections_.load() > 0 && !threads_.empty()) {
    // Grace is over: close the rest, so their clients see the end at once and the
    // coroutines unwind (a handler inside blocking work may take longer; it is not awaited).
    std::lock_guard lock(connections_mutex_);
    for (const auto& state : live_) {
      asio::post(state->strand, [state] {
        if (state->transport != nullptr) state->transport->close();
      });
    }
  }
  wait_for_connections(std::chrono::steady_clock::now() + kUnwindWait);
  io_.stop();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
  joined_ = true;
}

void HttpServer::track(const std::shared_ptr<ConnectionState>& state) {
  std::lock_guard lock(connections_mutex_);
  live_.push_back(state);
}

void HttpServer::untrack(const std::shared_ptr<ConnectionState>& state) {
  std::lock_guard lock(connections_mutex_);
  std::erase(live_, state);
}

asio::awaitable<void> HttpServer::accept_loop() {
  while (!stopping_.load()) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(
        asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping_.load()) co_return;
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> HttpServer::serve(tcp::socket socket) {
  const int open = ++connections_;
  struct Release {
    std::atomic<int>& counter;
    ~Release() { --counter; }
  } release{connections_};

  PlainStream stream(std::move(socket));
  boost::system::error_code ec;
  if (open > options_.max_connections) {
    // Said in plain HTTP even on a TLS port: the handshake would cost more than the answer.
    HttpResponse busy =
        json_error(503, "too_many_connections", "the ingest is at max_connections; retry shortly");
    busy.headers.emplace_back("Retry-After", "1");
    co_await write_response(stream, busy, false, options_.header_timeout);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return;
  }

  std::string remote_address;
  bool remote_is_loopback = false;
  auto remote = stream.socket().remote_endpoint(ec);
  if (!ec) {
    remote_address = remote.address().to_string();
    remote_is_loopback = remote.address().is_loopback();
  }

  auto state = std::make_shared<ConnectionState>(co_await asio::this_coro::executor);
  state->transport = &stream;
  track(state);
  struct Untrack {
    HttpServer& server;
    std::shared_ptr<ConnectionState>& state;
    ~Untrack() {
      state->transport = nullptr;
      server.untrack(state);
    }
  } untrack{*this, state};

  ConnectionContext context{options_, handler_, stopping_};
  if (!tls_) {
    const bool unread =
        co_await serve_requests(stream, context, state, remote_address, remote_is_loopback);
    co_await close_stream(stream, options_.header_timeout, unread);
    co_return;
  }

  // The handshake counts against the header deadline.
  beast::flat_buffer buffer;
  stream.expires_after(options_.header_timeout);
  state->idle = true;
  const bool is_tls = co_await beast::async_detect_ssl(
      stream, buffer, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  if (!is_tls) {
    state->idle = false;
    HttpResponse refused = json_error(400, "https_required", "this port speaks HTTPS only");
    co_await write_response(stream, refused, false, options_.header_timeout);
    co_await close_stream(stream, options_.header_timeout, true);
    co_return;
  }
  TlsStream tls_stream(std::move(stream), tls_->native());
  state->transport = &beast::get_lowest_layer(tls_stream);
  const size_t used = co_await tls_stream.async_handshake(
      asio::ssl::stream_base::server, buffer.data(), asio::redirect_error(asio::use_awaitable, ec));
  state->idle = false;
  if (ec) {
    log::debug("TLS handshake failed", {{"remote", remote_address}, {"error", ec.message()}});
    co_return;
  }
  buffer.consume(used);
  const bool unread =
      co_await serve_requests(tls_stream, context, state, remote_address, remote_is_loopback);
  co_await close_stream(tls_stream, options_.header_timeout, unread);
}

}  // namespace upfleet
