// Writing responses on plain and TLS streams: whole bodies, bodies streamed from a
// ByteSource, and chunked bodies from a ChunkProducer.
#include <boost/asio/redirect_error.hpp>

#include "common/log.h"
#include "producer/http_connection.h"

namespace upfleet {
namespace bhttp = beast::http;

namespace {

constexpr size_t kStreamChunkBytes = 256 * 1024;

void apply_headers(bhttp::response_header<>& head, const HttpResponse& response) {
  head.set(bhttp::field::server, "upfleet");
  if (!response.content_type.empty()) head.set(bhttp::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) head.set(name, value);
}

template <class Stream>
class StreamChunkWriter final : public ChunkWriter {
 public:
  StreamChunkWriter(Stream& stream, std::shared_ptr<WakeSignal> signal,
                    const std::atomic<bool>& stopping, std::chrono::milliseconds timeout)
      : stream_(stream), signal_(std::move(signal)), stopping_(stopping), timeout_(timeout) {}

  asio::awaitable<Status> write(std::string_view data) override {
    if (broken_) co_return fail(Error::transient(ErrorCode::kUnavailable, "client went away"));
    if (data.empty()) co_return Status{};  // an empty chunk would end the body
    boost::system::error_code ec;
    beast::get_lowest_layer(stream_).expires_after(timeout_);
    co_await asio::async_write(stream_, bhttp::make_chunk(asio::buffer(data.data(), data.size())),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      broken_ = true;
      co_return fail(Error::transient(ErrorCode::kUnavailable,
                                      "client went away or stopped reading: " + ec.message()));
    }
    co_return Status{};
  }

  asio::awaitable<Wake> wait(std::chrono::milliseconds timeout) override {
    if (stopping_.load()) co_return Wake::kStopping;
    // Checked and armed without suspending in between: a wake posted to this strand runs
    // either before the check (pending is set) or while the timer waits (cancels it).
    bool timed_out = false;
    if (!signal_->pending) {
      boost::system::error_code ec;
      signal_->timer.expires_after(timeout);
      co_await signal_->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      timed_out = ec != asio::error::operation_aborted && !signal_->pending;
    }
    signal_->pending = false;
    // Separate co_returns: g++ 12 miscompiles `co_return cond ? a : b` with an enum here.
    if (stopping_.load()) co_return Wake::kStopping;
    if (timed_out) co_return Wake::kTimedOut;
    co_return Wake::kWoken;
  }

  std::function<void()> waker() override {
    return [signal = signal_] { signal->wake(signal); };
  }

  bool broken() const { return broken_; }

 private:
  Stream& stream_;
  std::shared_ptr<WakeSignal> signal_;
  const std::atomic<bool>& stopping_;
  std::chrono::milliseconds timeout_;
  bool broken_ = false;
};

}  // namespace

template <class Stream>
asio::awaitable<boost::system::error_code> write_response(Stream& stream,
                                                          const HttpResponse& response,
                                                          bool keep_alive,
                                                          std::chrono::milliseconds timeout) {
  boost::system::error_code ec;
  auto& transport = beast::get_lowest_layer(stream);
  if (!response.stream) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status), 11};
    apply_headers(out.base(), response);
    out.body() = response.body;
    out.keep_alive(keep_alive);
    out.prepare_payload();
    transport.expires_after(timeout);
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
  transport.expires_after(timeout);
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
    transport.expires_after(timeout);
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

template <class Stream>
asio::awaitable<void> write_chunked(Stream& stream, const HttpResponse& response,
                                    ConnectionContext& context, ConnectionState& state) {
  const auto timeout = context.options.body_read_timeout;
  boost::system::error_code ec;
  bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(response.status), 11};
  apply_headers(head.base(), response);
  head.chunked(true);
  head.keep_alive(false);
  bhttp::response_serializer<bhttp::empty_body> serializer{head};
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await bhttp::async_write_header(stream, serializer,
                                     asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  auto signal = std::make_shared<WakeSignal>(co_await asio::this_coro::executor);
  state.wake = signal;
  StreamChunkWriter<Stream> writer(stream, signal, context.stopping, timeout);
  try {
    co_await response.producer(writer);
  } catch (const std::exception& e) {
    log::error("response producer threw", {{"error", e.what()}});
  }
  state.wake.reset();
  if (writer.broken()) co_return;
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await asio::async_write(stream, bhttp::make_chunk_last(),
                             asio::redirect_error(asio::use_awaitable, ec));
}

template asio::awaitable<boost::system::error_code> write_response<PlainStream>(
    PlainStream&, const HttpResponse&, bool, std::chrono::milliseconds);
template asio::awaitable<boost::system::error_code> write_response<TlsStream>(
    TlsStream&, const HttpResponse&, bool, std::chrono::milliseconds);
template asio::awaitable<void> write_chunked<PlainStream>(PlainStream&, const HttpResponse&,
                                                          ConnectionContext&, ConnectionState&);
template asio::awaitable<void> write_chunked<TlsStream>(TlsStream&, const HttpResponse&,
                                                        ConnectionContext&, ConnectionState&);

}  // namespace upfleet
