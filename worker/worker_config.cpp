#include "worker/worker_config.h"

namespace upfleet {

s3::S3Config read_s3_section(ConfigReader& reader) {
  s3::S3Config config;
  config.endpoint = reader.get_string("s3.endpoint", "https://s3.amazonaws.com");
  if (!config.endpoint.starts_with("http://") && !config.endpoint.starts_with("https://")) {
    reader.add_problem("s3.endpoint",
                       "'" + config.endpoint + "' must start with http:// or https://");
  }
  config.region = reader.get_string("s3.region", "us-east-1");
  config.access_key_id = reader.get_required("s3.access_key_id");
  config.secret_access_key = reader.get_secret("s3.secret_access_key");
  if (config.secret_access_key.empty()) {
    reader.add_problem(
        "s3.secret_access_key",
        "is required; set UPFLEET_S3_SECRET_ACCESS_KEY or s3.secret_access_key_file");
  }
  config.session_token = reader.get_secret("s3.session_token");
  config.path_style = reader.get_bool("s3.path_style", false);
  config.connect_timeout = reader.get_duration("s3.connect_timeout", std::chrono::seconds(10),
                                               std::chrono::milliseconds(100));
  return config;
}

Result<WorkerConfig> load_worker_config(const std::optional<std::filesystem::path>& file,
                                        const EnvLookup& env) {
  auto loaded = ConfigReader::load(file, env);
  if (!loaded) return fail(loaded.error());
  ConfigReader& reader = *loaded;
  WorkerConfig config;
  config.worker_id = reader.get_string("worker.id", host_name());
  config.kafka = read_kafka_section(reader, "upfleet-worker-" + config.worker_id);
  config.consumer.group_id = reader.get_string("kafka.group_id", "upfleet-workers");
  config.consumer.topic = config.kafka.topics.jobs;
  config.consumer.max_poll_interval = reader.get_duration(
      "kafka.max_poll_interval", std::chrono::minutes(5), std::chrono::seconds(1));
  config.consumer.session_timeout = reader.get_duration(
      "kafka.session_timeout", std::chrono::seconds(45), std::chrono::seconds(1));
  config.publish_timeout = reader.get_duration("kafka.publish_timeout", std::chrono::seconds(10),
                                               std::chrono::milliseconds(100));
  config.s3 = read_s3_section(reader);
  config.default_bucket = reader.get_string("s3.bucket", "upfleet");
  config.transport.ca_file = reader.get_string("s3.ca_file", "");
  config.transport.insecure = reader.get_bool("s3.insecure_skip_verify", false);
  config.spool_token = reader.get_secret("spool.token");
  config.metrics_listen = reader.get_string("metrics.listen", "127.0.0.1:9091");
  // Defaults ride out a few minutes of S3 or ingest trouble before a job is dead-lettered.
  config.retry.max_attempts = static_cast<int>(reader.get_int("worker.max_attempts", 8, 1, 100));
  config.retry.base = reader.get_duration("worker.retry_base", std::chrono::seconds(1),
                                          std::chrono::milliseconds(1));
  config.retry.cap = reader.get_duration("worker.retry_cap", std::chrono::seconds(60),
                                         std::chrono::milliseconds(1));
  config.shutdown_grace = reader.get_duration("worker.shutdown_grace", std::chrono::seconds(25),
                                              std::chrono::milliseconds(0));
  config.log_level = read_log_level(reader);
  if (auto finished = reader.finish(); !finished) return fail(finished.error());
  return config;
}

}  // namespace upfleet
