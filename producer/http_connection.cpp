// One connection's request loop: read a head within the header deadline, hand the request
// and a body reader to the handler, write its response, repeat while keep-alive allows.
#include "producer/http_connection.h"

#include <boost/asio/redirect_error.hpp>
#include <limits>
#include <optional>
#include <utility>

#include "common/log.h"

namespace upfleet {
namespace bhttp = beast::http;

namespace {

using SteadyClock = std::chrono::steady_clock;

// Socket reads of a chunked request body ask for up to this much at a time (Beast caps them
// at 64 KiB anyway); a body of known length is read in reads as large as the caller's buffer.
constexpr size_t kBodyReadBytes = 64 * 1024;
// The read that waits for a keep-alive connection's next request takes up to this much.
constexpr size_t kFirstHeaderReadBytes = 4 * 1024;

template <class Stream>
class BeastBodyReader final : public BodyReader {
 public:
  BeastBodyReader(Stream& stream, beast::flat_buffer& buffer,
                  bhttp::request_parser<bhttp::buffer_body>& parser, bool expect_continue,
                  const HttpServerOptions& options)
      : stream_(stream),
        buffer_(buffer),
        parser_(parser),
        expect_continue_(expect_continue),
        options_(options) {
    // A body of known length is read straight from the stream into the caller's buffer, in
    // reads as large as that buffer: through the parser it would arrive in 64 KiB socket
    // reads (Beast's cap) and be copied once more. Chunked bodies still go through the parser.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // see make_request()
    if (auto length = parser_.content_length(); length && !parser_.is_done()) {
      remaining_ = *length;
    }
#pragma GCC diagnostic pop
  }

  // The whole body was read: the connection can carry the next request.
  bool complete() const {
    return remaining_ ? *remaining_ == 0 : parser_.is_done();
  }

  asio::awaitable<Result<size_t>> read(std::span<char> buf) override {
    if (buf.empty()) co_return size_t{0};
    boost::system::error_code ec;
    auto& transport = beast::get_lowest_layer(stream_);
    if (expect_continue_) {
      // The client waits for this before sending the body; send it only once the handler
      // decided it wants the body, so early rejections (401, 413) cost no upload.
      expect_continue_ = false;
      bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
      transport.expires_after(options_.body_read_timeout);
      co_await bhttp::async_write(stream_, go_on, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return fail(Error::transient(ErrorCode::kUnavailable, "client went away"));
    }
    if (pending_) co_return fail(*std::exchange(pending_, std::nullopt));
    // The rate clock starts with the first body read, after any 100 Continue.
    if (!rate_) rate_.emplace(options_.body_rate, SteadyClock::now());
    if (!timer_) timer_.emplace(co_await asio::this_coro::executor);
    size_t total = 0;
    if (remaining_) {
      total = take_buffered(buf);
    } else {
      // Beast sizes each socket read by the buffer's free capacity, which the head leaves at
      // a few hundred bytes: without this a large body arrives in 512-byte reads and writes.
      if (buffer_.capacity() < kBodyReadBytes) buffer_.reserve(kBodyReadBytes);
    }
    // Fill the caller's buffer (or end with the body), so the spool sees few large writes.
    while (!complete() && total < buf.size()) {
      if (!remaining_) {
        parser_.get().body().data = buf.data() + total;
        parser_.get().body().size = buf.size() - total;
      }
      const auto now = SteadyClock::now();
      const auto gap_deadline = now + options_.body_read_timeout;
      const auto rate_deadline = rate_->deadline();
      std::optional<Error> failure;
      if (rate_deadline <= now) {
        failure = too_slow();
      } else {
        arm(std::min(gap_deadline, rate_deadline), transport);
        size_t got = 0;
        if (remaining_) {
          const size_t want =
              static_cast<size_t>(std::min<uint64_t>(*remaining_, buf.size() - total));
          got = co_await stream_.async_read_some(asio::buffer(buf.data() + total, want),
                                                 asio::redirect_error(asio::use_awaitable, ec));
          *remaining_ -= got;
        } else {
          co_await bhttp::async_read_some(stream_, buffer_, parser_,
                                          asio::redirect_error(asio::use_awaitable, ec));
          got = (buf.size() - total) - parser_.get().body().size;
        }
        const bool expired = disarm();
        total += got;
        if (ec == bhttp::error::need_buffer) ec = {};
        if (expired && ec == asio::error::operation_aborted) {
          if (rate_deadline <= gap_deadline) {
            failure = too_slow();
          } else {
            if (options_.on_slow_client) options_.on_slow_client(SlowClientPhase::kBody);
            failure = Error::transient(ErrorCode::kTimeout,
                                       "client sent no body bytes for longer than "
                                       "http.body_read_timeout");
          }
        } else if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
                   ec == asio::error::connection_reset || ec == bhttp::error::partial_message ||
                   ec == asio::ssl::error::stream_truncated) {
          failure = Error::transient(ErrorCode::kUnavailable, "client closed the connection");
        } else if (ec) {
          failure = Error::invalid("malformed request body: " + ec.message());
        } else {
          rate_->on_bytes(SteadyClock::now(), got);
        }
      }
      if (failure) {
        if (total == 0) co_return fail(std::move(*failure));
        pending_ = std::move(failure);  // hand over what arrived; fail on the next read
        co_return total;
      }
    }
    co_return total;
  }

 private:
  // Body bytes that arrived with the head (Beast read past it) come first.
  size_t take_buffered(std::span<char> buf) {
    const size_t size = std::min({buffer_.size(), buf.size(), static_cast<size_t>(*remaining_)});
    asio::buffer_copy(asio::buffer(buf.data(), size), buffer_.data(), size);
    buffer_.consume(size);
    *remaining_ -= size;
    return size;
  }

  Error too_slow() {
    if (options_.on_slow_client) options_.on_slow_client(SlowClientPhase::kBody);
    return Error::transient(ErrorCode::kTimeout,
                            "client sent the body slower than http.min_body_rate (" +
                                std::to_string(options_.body_rate.min_bytes_per_second) +
                                " bytes/s)");
  }

  // Body read deadlines cancel the read instead of using the stream's own expiry, which would
  // close the socket: the client is to get its 408, and a socket closed with unread input
  // resets the connection before the client reads anything.
  struct Watch {
    uint64_t generation = 0;
    bool armed = false;
    bool expired = false;
  };

  void arm(SteadyClock::time_point deadline, beast::tcp_stream& transport) {
    transport.expires_never();
    const uint64_t generation = ++watch_->generation;
    watch_->armed = true;
    watch_->expired = false;
    timer_->expires_at(deadline);
    // The handler runs on the connection's strand; it touches the transport only while this
    // very read is pending (armed, same generation), when the transport surely exists.
    timer_->async_wait([watch = watch_, generation, &transport](boost::system::error_code ec) {
      if (ec || !watch->armed || watch->generation != generation) return;
      watch->expired = true;
      boost::system::error_code ignored;
      transport.socket().cancel(ignored);
    });
  }

  bool disarm() {
    watch_->armed = false;
    timer_->cancel();
    return watch_->expired;
  }

  Stream& stream_;
  beast::flat_buffer& buffer_;
  bhttp::request_parser<bhttp::buffer_body>& parser_;
  bool expect_continue_;
  const HttpServerOptions& options_;
  std::optional<BodyRateGuard> rate_;
  std::optional<asio::steady_timer> timer_;
  std::shared_ptr<Watch> watch_ = std::make_shared<Watch>();
  std::optional<Error> pending_;       // a failure after bytes that were handed over first
  std::optional<uint64_t> remaining_;  // body bytes still to read, when read past the parser
};

HttpResponse header_error_response(const boost::system::error_code& ec) {
  if (ec == bhttp::error::header_limit) {
    return json_error(431, "headers_too_large", "request headers are too large");
  }
  return json_error(400, "bad_request", "malformed HTTP request: " + ec.message());
}

HttpRequest make_request(bhttp::request_parser<bhttp::buffer_body>& parser) {
  auto& message = parser.get();
  HttpRequest request;
  request.method = message.method();
  request.target = std::string(message.target());
  const size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  request.headers = &message.base();
  // g++ 12 with ASan sees boost::optional's storage as maybe uninitialized here (a false
  // positive inside Beast's inlined content_length()); the value is read only when engaged.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
  if (auto length = parser.content_length()) request.content_length = *length;
#pragma GCC diagnostic pop
  request.has_body = !parser.is_done();
  return request;
}

}  // namespace

template <class Stream>
asio::awaitable<bool> serve_requests(Stream& stream, ConnectionContext& context,
                                     std::shared_ptr<ConnectionState> state,
                                     std::string remote_address, bool remote_is_loopback) {
  const HttpServerOptions& options = context.options;
  auto& transport = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  bool first = true;
  while (!context.stopping.load()) {
    bhttp::request_parser<bhttp::buffer_body> parser;
    parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
    // Handlers enforce their own limits while streaming. Not boost::none: Boost 1.74 compares
    // Content-Length against the optional itself, so "no limit" rejects every body.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    state->idle = true;
    if (!first && buffer.size() == 0) {
      // Between keep-alive requests the next one may take up to idle_timeout to start; once
      // its first bytes are here, its head gets header_timeout like the first request's.
      transport.expires_after(options.idle_timeout);
      const size_t n = co_await stream.async_read_some(
          buffer.prepare(kFirstHeaderReadBytes), asio::redirect_error(asio::use_awaitable, ec));
      buffer.commit(n);
      if (ec) break;  // idle keep-alive timed out or the client went away: not a slow client
    }
    first = false;
    // One absolute deadline for the whole head: Beast keeps it across the reads of the
    // composed operation, so trickled header bytes do not extend it.
    transport.expires_after(options.header_timeout);
    co_await bhttp::async_read_header(stream, buffer, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
    state->idle = false;
    if (ec == beast::error::timeout) {
      // A partly sent head means a slow client; nothing at all is an idle keep-alive.
      if (buffer.size() > 0 && options.on_slow_client) {
        options.on_slow_client(SlowClientPhase::kHeaders);
      }
      break;
    }
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == asio::ssl::error::stream_truncated) {
      break;
    }
    if (ec) {
      co_await write_response(stream, header_error_response(ec), false, options.header_timeout);
      co_return true;  // the rest of the bad request is still coming
    }

    HttpRequest request = make_request(parser);
    request.remote_address = remote_address;
    request.remote_is_loopback = remote_is_loopback;
    const bool expect_continue =
        beast::iequals(parser.get()[bhttp::field::expect], "100-continue") && request.has_body;

    BeastBodyReader<Stream> body(stream, buffer, parser, expect_continue, options);
    HttpResponse response;
    try {
      response = co_await context.handler(request, body);
    } catch (const std::exception& e) {
      log::error("request handler threw", {{"path", request.path}, {"error", e.what()}});
      response = json_error(500, "internal", "internal error");
    }
    if (response.producer) {
      co_await write_chunked(stream, response, context, *state);
      break;
    }

    // A body the handler did not read would be parsed as the next request: close instead.
    const bool keep_alive =
        parser.get().keep_alive() && body.complete() && !response.close && !context.stopping.load();
    ec = co_await write_response(stream, response, keep_alive, options.body_read_timeout);
    if (ec || !keep_alive) co_return !body.complete();
  }
  co_return false;
}

template asio::awaitable<bool> serve_requests<PlainStream>(PlainStream&, ConnectionContext&,
                                                           std::shared_ptr<ConnectionState>,
                                                           std::string, bool);
template asio::awaitable<bool> serve_requests<TlsStream>(TlsStream&, ConnectionContext&,
                                                         std::shared_ptr<ConnectionState>,
                                                         std::string, bool);

}  // namespace upfleet
