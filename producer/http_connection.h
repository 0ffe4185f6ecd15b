// Internal to HttpServer: one connection's request loop, shared by plain TCP and TLS streams
// (explicitly instantiated for both in http_connection.cpp).
#pragma once

#include <atomic>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <memory>

#include "producer/http_server.h"

namespace upfleet {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Wakes a ChunkWriter::wait(). The timer and flag are touched only on the connection's
// strand; other threads go through wake(), which posts there.
struct WakeSignal {
  explicit WakeSignal(const asio::any_io_executor& strand) : timer(strand) {}
  void wake(const std::shared_ptr<WakeSignal>& self) {
    asio::post(timer.get_executor(), [self] {
      self->pending = true;
      self->timer.cancel();
    });
  }
  asio::steady_timer timer;
  bool pending = false;
};

// What the server's shutdown needs to reach one connection. Every field but `strand` is
// touched only on that strand.
struct ConnectionState {
  explicit ConnectionState(asio::any_io_executor executor) : strand(std::move(executor)) {}
  asio::any_io_executor strand;
  beast::tcp_stream* transport = nullptr;  // null once the connection ended
  bool idle = false;                       // waiting for a request head
  std::shared_ptr<WakeSignal> wake;        // of a running ChunkProducer
};

// What every connection shares with its server.
struct ConnectionContext {
  const HttpServerOptions& options;
  const HttpHandler& handler;
  const std::atomic<bool>& stopping;
};

// Serves requests on `stream` (handshake already done) until the client or the server ends
// the connection. True when the client may still be sending a request the server did not
// read (an early answer such as 408 or 413): closing should linger.
template <class Stream>
asio::awaitable<bool> serve_requests(Stream& stream, ConnectionContext& context,
                                     std::shared_ptr<ConnectionState> state,
                                     std::string remote_address, bool remote_is_loopback);

// Writes one response on `stream`; the error says the connection is no longer usable.
template <class Stream>
asio::awaitable<boost::system::error_code> write_response(Stream& stream,
                                                          const HttpResponse& response,
                                                          bool keep_alive,
                                                          std::chrono::milliseconds timeout);

// Streams a ChunkProducer's body; always ends with the connection unusable for more requests.
template <class Stream>
asio::awaitable<void> write_chunked(Stream& stream, const HttpResponse& response,
                                    ConnectionContext& context, ConnectionState& state);

}  // namespace upfleet
