// HttpTransport over libcurl: the production transport for S3, spool fetches and upfleetctl.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "common/http/curl_holders.h"
#include "common/http/http_transport.h"

namespace upfleet::http {

struct CurlTransportOptions {
  std::string ca_file;    // PEM CA bundle for HTTPS; empty uses the system store
  bool insecure = false;  // skip TLS peer/host verification: self-signed test servers only
  // Idle easy handles kept for reuse; each keeps its connections alive, so this bounds the
  // warm connections. More concurrent requests still work, using short-lived handles.
  size_t max_idle_handles = 64;
  std::string user_agent = "upfleet/0.1";
};

// Thread-safe: any number of threads may call perform() at once; each call borrows an easy
// handle from a pool and returns it afterwards, so connections (and TLS sessions) are reused
// by later requests to the same host. Request bodies stream from the ByteSource in chunks of
// at most kUploadChunkBytes; nothing holds a whole body. Never follows redirects.
class CurlTransport final : public HttpTransport {
 public:
  static constexpr long kUploadChunkBytes = 256 * 1024;

  explicit CurlTransport(CurlTransportOptions options = {});
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Result<HttpResponse> perform(const HttpRequest& request) override;

 private:
  Result<CurlEasyPtr> acquire();
  void release(CurlEasyPtr handle);

  const CurlTransportOptions options_;
  std::mutex mutex_;
  std::vector<CurlEasyPtr> idle_;  // guarded by mutex_
};

}  // namespace upfleet::http
