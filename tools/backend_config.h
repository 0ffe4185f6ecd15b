// upfleetctl commands that talk to Kafka and S3 directly (enqueue, watch, gc-multipart) read
// the same keys as the worker, from the environment (or --config FILE).
#pragma once

#include <filesystem>
#include <optional>

#include "common/config_sections.h"

namespace upfleet::ctl {

struct BackendConfig {
  KafkaSection kafka;
  s3::S3Config s3;
  std::string bucket;  // s3.bucket
  std::chrono::milliseconds publish_timeout{10'000};
};

// `needs_s3` false: s3 credentials are not required (enqueue, watch).
Result<BackendConfig> load_backend_config(const std::optional<std::filesystem::path>& file,
                                          bool needs_s3);

}  // namespace upfleet::ctl
