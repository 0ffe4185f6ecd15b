// Configuration of upfleet-ingest (README "Configuration reference" lists every key).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/config_reader.h"
#include "common/config_sections.h"
#include "producer/disk_spool.h"
#include "producer/http_server.h"

namespace upfleet {

struct IngestConfig {
  std::string ingest_id;      // ingest.id; names this ingest in jobs (it holds their bytes)
  std::string advertise_url;  // http.advertise_url; base of claim-check URIs workers fetch
  HttpServerOptions http;
  uint64_t max_body_bytes = 5ull << 30;
  std::chrono::milliseconds publish_timeout{10'000};
  std::string default_bucket;  // s3.bucket: bucket named in jobs
  DiskSpoolOptions spool;
  // spool.ttl: held uploads older than this are deleted and reported failed (zero: never).
  std::chrono::milliseconds spool_ttl{std::chrono::hours(24 * 7)};
  std::string spool_token;  // spool.token: workers' secret for /internal/spool
  // auth.tokens and the lines of auth.tokens_file: client bearer tokens (empty: auth off)
  std::vector<std::string> auth_tokens;
  // http.shutdown_grace: on SIGTERM, how long requests in progress may take to finish.
  std::chrono::milliseconds shutdown_grace{20'000};
  int max_event_streams = 256;  // http.max_event_streams: concurrent SSE streams (0: none)
  std::string metrics_listen;   // metrics.listen: extra metrics endpoint ("" = none)
  KafkaSection kafka;
  log::Level log_level = log::Level::kInfo;
  int blocking_threads = 32;
};

// Reads and validates; the error lists every bad key with its fix.
Result<IngestConfig> load_ingest_config(const std::optional<std::filesystem::path>& file,
                                        const EnvLookup& env);

}  // namespace upfleet
