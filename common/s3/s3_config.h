// Where and as whom to talk S3. Filled from the `s3.*` config keys.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace upfleet::s3 {

struct S3Config {
  // "https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:9000", or with a path prefix
  // for servers mounted below the root ("http://host/s3").
  std::string endpoint;
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary (STS) credentials only
  // true: http://host/bucket/key (MinIO, S3Proxy, Ceph defaults). false: virtual-hosted
  // http://bucket.host/key (AWS); buckets that cannot be DNS labels fall back to path style.
  bool path_style = false;

  std::chrono::milliseconds connect_timeout{10'000};
  // Stall detection rather than a total deadline, so big parts on slow links still finish:
  // a request fails (retryably) when fewer than low_speed_bytes_per_second flow for
  // low_speed_window. This also bounds waits for an answer that never comes.
  uint32_t low_speed_bytes_per_second = 1024;
  std::chrono::seconds low_speed_window{30};
};

}  // namespace upfleet::s3
