#include "producer/http_server.h"

#include <boost/asio/redirect_error.hpp>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/log.h"

namespace upfleet {
namespace bhttp = beast::http;
using asio::ip::tcp;

namespace {

constexpr size_t kStreamChunkBytes = 256 * 1024;

class BeastBodyReader final : public BodyReader {
 public:
  BeastBodyReader(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                  bhttp::request_parser<bhttp::buffer_body>& parser, bool expect_continue,
                  std::chrono::milliseconds timeout)
      : stream_(stream),
        buffer_(buffer),
        parser_(parser),
        expect_continue_(expect_continue),
        timeout_(timeout) {}

  asio::awaitable<Result<size_t>> read(std::span<char> buf) override {
    if (buf.empty()) co_return size_t{0};
    boost::system::error_code ec;
    if (expect_continue_) {
      // The client waits for this before sending the body; send it only once the handler
      // decided it wants the body, so early rejections (401, 413) cost no upload.
      expect_continue_ = false;
      bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
      stream_.expires_after(timeout_);
      co_await bhttp::async_write(stream_, go_on, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return fail(Error::transient(ErrorCode::kUnavailable, "client went away"));
    }
    while (!parser_.is_done()) {
      parser_.get().body().data = buf.data();
      parser_.get().body().size = buf.size();
      stream_.expires_after(timeout_);
      co_await bhttp::async_read_some(stream_, buffer_, parser_,
                                      asio::redirect_error(asio::use_awaitable, ec));
      const size_t got = buf.size() - parser_.get().body().size;
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec == beast::error::timeout) {
        co_return fail(Error::transient(ErrorCode::kTimeout, "client sent the body too slowly"));
      }
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
          ec == asio::error::connection_reset || ec == bhttp::error::partial_message) {
        co_return fail(Error::transient(ErrorCode::kUnavailable, "client closed the connection"));
      }
      if (ec) co_return fail(Error::invalid("malformed request body: " + ec.message()));
      if (got > 0) co_return got;
    }
    co_return size_t{0};
  }

 private:
  beast::tcp_stream& stream_;
  beast::flat_buffer& buffer_;
  bhttp::request_parser<bhttp::buffer_body>& parser_;
  bool expect_continue_;
  std::chrono::milliseconds timeout_;
};

void apply_headers(bhttp::response_header<>& head, const HttpResponse& response) {
  head.set(bhttp::field::server, "upfleet");
  if (!response.content_type.empty()) head.set(bhttp::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) head.set(name, value);
}

asio::awaitable<boost::system::error_code> write_response(beast::tcp_stream& stream,
                                                          const HttpResponse& response,
                                                          bool keep_alive,
                                                          std::chrono::milliseconds timeout) {
  boost::system::error_code ec;
  if (!response.stream) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status), 11};
    apply_headers(out.base(), response);
    out.body() = response.body;
    out.keep_alive(keep_alive);
    out.prepare_payload();
    stream.expires_after(timeout);
    co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    co_return ec;
  }
  bhttp::response<bhttp::buffer_body> out{static_cast<bhttp::status>(response.status), 11};
  apply_headers(out.base(), response);
  out.keep_alive(keep_alive);
  out.content_length(response.stream_length);
  out.body().data = nullptr;
  out.body().more = true;
  bhttp::response_serializer<bhttp::buffer_body> serializer{out};
  stream.expires_after(timeout);
  co_await bhttp::async_write_header(stream, serializer,
                                     asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return ec;
  std::vector<std::byte> chunk(kStreamChunkBytes);
  uint64_t remaining = response.stream_length;
  uint64_t offset = response.stream_offset;
  while (remaining > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(remaining, chunk.size()));
    auto got = response.stream->read_at(offset, std::span(chunk.data(), want));
    if (!got || *got == 0) co_return asio::error::make_error_code(asio::error::broken_pipe);
    offset += *got;
    remaining -= *got;
    out.body().data = chunk.data();
    out.body().size = *got;
    out.body().more = remaining > 0;
    stream.expires_after(timeout);
    co_await bhttp::async_write(stream, serializer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) co_return ec;
  }
  if (!serializer.is_done()) {
    out.body().data = nullptr;
    out.body().size = 0;
    out.body().more = false;
    co_await bhttp::async_write(stream, serializer, asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return ec;
}

HttpResponse header_error_response(const boost::system::error_code& ec) {
  if (ec == bhttp::error::header_limit) {
    return json_error(431, "headers_too_large", "request headers are too large");
  }
  return json_error(400, "bad_request", "malformed HTTP request: " + ec.message());
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

void HttpServer::stop(std::chrono::milliseconds grace) {
  if (stopping_.exchange(true)) {
    // Already stopping; still make sure threads are gone.
  } else {
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
    });
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (requests_in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    io_.stop();
  }
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
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

  beast::tcp_stream stream(std::move(socket));
  boost::system::error_code ec;
  if (open > options_.max_connections) {
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

  beast::flat_buffer buffer;
  bool first = true;
  while (!stopping_.load()) {
    bhttp::request_parser<bhttp::buffer_body> parser;
    parser.header_limit(static_cast<uint32_t>(options_.max_header_bytes));
    // Handlers enforce their own limits while streaming. Not boost::none: Boost 1.74 compares
    // Content-Length against the optional itself, so "no limit" rejects every body.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    stream.expires_after(first ? options_.header_timeout : options_.idle_timeout);
    first = false;
    co_await bhttp::async_read_header(stream, buffer, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted) {
      break;
    }
    if (ec) {
      co_await write_response(stream, header_error_response(ec), false, options_.header_timeout);
      break;
    }

    auto& message = parser.get();
    HttpRequest request;
    request.method = message.method();
    request.target = std::string(message.target());
    const size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    request.headers = &message.base();
    if (auto length = parser.content_length()) request.content_length = *length;
    request.has_body = !parser.is_done();
    request.remote_address = remote_address;
    request.remote_is_loopback = remote_is_loopback;
    const bool expect_continue =
        beast::iequals(message[bhttp::field::expect], "100-continue") && request.has_body;

    BeastBodyReader body(stream, buffer, parser, expect_continue, options_.body_read_timeout);
    ++requests_in_flight_;
    HttpResponse response;
    try {
      response = co_await handler_(request, body);
    } catch (const std::exception& e) {
      log::error("request handler threw", {{"path", request.path}, {"error", e.what()}});
      response = json_error(500, "internal", "internal error");
    }
    --requests_in_flight_;

    // A body the handler did not read would be parsed as the next request: close instead.
    const bool keep_alive =
        message.keep_alive() && parser.is_done() && !response.close && !stopping_.load();
    ec = co_await write_response(stream, response, keep_alive, options_.body_read_timeout);
    if (ec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace upfleet
