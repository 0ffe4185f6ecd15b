// Configuration of upfleet-worker (README "Configuration reference" lists every key).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "common/backoff.h"
#include "common/config_reader.h"
#include "common/config_sections.h"
#include "common/http/curl_transport.h"
#include "common/kafka/kafka_job_source.h"
#include "common/s3/s3_config.h"
#include "common/upload/uploader.h"
#include "worker/job_loop.h"
#include "worker/upload_job_handler.h"

namespace upfleet {

struct WorkerConfig {
  std::string worker_id;  // worker.id; shows in logs and Kafka client ids
  KafkaSection kafka;
  kafka::KafkaJobSourceOptions consumer;
  std::chrono::milliseconds publish_timeout{10'000};
  s3::S3Config s3;
  std::string default_bucket;                // s3.bucket: used when a job names no bucket
  upload::UploaderOptions upload;            // upload.*: part sizes, parallelism, part retries
  uint64_t max_buffer_bytes = 256ull << 20;  // upload.max_buffer_bytes: all jobs' part buffers
  ExistingCheck existing_check = ExistingCheck::kRepeats;  // upload.existing_object_check
  http::CurlTransportOptions transport;        // S3: s3.ca_file, s3.insecure_skip_verify
  http::CurlTransportOptions spool_transport;  // ingests' https:// spool: spool.ca_file
  std::string spool_token;                     // spool.token: presented to ingests' /internal/spool
  std::string metrics_listen;                  // metrics.listen
  BackoffPolicy retry;  // worker.max_attempts, worker.retry_base, worker.retry_cap
  JobLoopOptions loop;  // worker.ordering, concurrency, in-flight bounds, grace, commits
  log::Level log_level = log::Level::kInfo;
};

Result<WorkerConfig> load_worker_config(const std::optional<std::filesystem::path>& file,
                                        const EnvLookup& env);

}  // namespace upfleet
