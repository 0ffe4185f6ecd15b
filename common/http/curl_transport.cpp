#include "common/http/curl_transport.h"

#include <utility>

#include "common/http/curl_transfer.h"

namespace upfleet::http {
namespace {

// curl_global_init must run once per process before any handle exists; a function-local
// static gives us that without a global constructor.
CURLcode global_init_once() {
  static const CURLcode result = curl_global_init(CURL_GLOBAL_DEFAULT);
  return result;
}

}  // namespace

CurlTransport::CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {
  global_init_once();
}

Result<CurlEasyPtr> CurlTransport::acquire() {
  if (const CURLcode init = global_init_once(); init != CURLE_OK) {
    return fail(Error::permanent(
        ErrorCode::kInternal, std::string("curl_global_init failed: ") + curl_easy_strerror(init)));
  }
  CurlEasyPtr handle;
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      handle = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!handle) {
    handle.reset(curl_easy_init());
    if (!handle) {
      return fail(Error::transient(ErrorCode::kResourceExhausted, "curl_easy_init failed"));
    }
  }

  CURL* h = handle.get();
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  // S3 keys may contain "." and ".." segments; curl must not squash them.
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, kUploadChunkBytes);
  curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (options_.insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  return handle;
}

void CurlTransport::release(CurlEasyPtr handle) {
  // Drops every option (the finished transfer's callbacks and buffers point into its stack
  // frame) but keeps the live connections, DNS and TLS session caches for the next request.
  curl_easy_reset(handle.get());
  std::unique_lock lock(mutex_);
  if (idle_.size() < options_.max_idle_handles) {
    idle_.push_back(std::move(handle));
    return;
  }
  lock.unlock();  // closing connections can take a moment; not under the lock
}

Result<HttpResponse> CurlTransport::perform(const HttpRequest& request) {
  auto handle = acquire();
  if (!handle) return fail(std::move(handle.error()));
  CurlTransfer transfer(request);
  Result<HttpResponse> result = [&]() -> Result<HttpResponse> {
    if (auto prepared = transfer.prepare(handle->get()); !prepared) return fail(prepared.error());
    return transfer.perform(handle->get());
  }();
  release(std::move(*handle));
  return result;
}

}  // namespace upfleet::http
