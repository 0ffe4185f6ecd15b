#include "worker/worker_config.h"

namespace upfleet {

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
  config.upload.plan.multipart_threshold =
      reader.get_bytes("upload.multipart_threshold", 16ull << 20, 1, upload::kMaxPartSize);
  config.upload.plan.part_size =
      reader.get_bytes("upload.part_size", 16ull << 20, upload::kMinPartSize, upload::kMaxPartSize);
  config.upload.concurrency = static_cast<int>(reader.get_int("upload.concurrency", 8, 1, 256));
  config.upload.part_retry.max_attempts =
      static_cast<int>(reader.get_int("upload.max_attempts", 8, 1, 100));
  config.upload.part_retry.base = reader.get_duration(
      "upload.retry_base", std::chrono::milliseconds(200), std::chrono::milliseconds(1));
  config.upload.part_retry.cap = reader.get_duration("upload.retry_cap", std::chrono::seconds(10),
                                                     std::chrono::milliseconds(1));
  config.upload.retry_budget =
      static_cast<int>(reader.get_int("upload.retry_budget", 100, 0, 1'000'000));
  config.max_buffer_bytes =
      reader.get_bytes("upload.max_buffer_bytes", 256ull << 20, 1ull << 20, 1ull << 40);
  if (config.max_buffer_bytes < config.upload.plan.part_size) {
    reader.add_problem("upload.max_buffer_bytes",
                       "is smaller than upload.part_size; raise it to at least one part "
                       "(better: part_size x concurrency)");
  }
  const std::string existing_check =
      reader.get_string("upload.existing_object_check", "redelivered");
  if (existing_check == "redelivered") {
    config.existing_check = ExistingCheck::kRepeats;
  } else if (existing_check == "always") {
    config.existing_check = ExistingCheck::kAlways;
  } else {
    reader.add_problem("upload.existing_object_check",
                       "'" + existing_check + "' is not a choice; use redelivered or always");
  }
  config.transport.ca_file = reader.get_string("s3.ca_file", "");
  config.transport.insecure = reader.get_bool("s3.insecure_skip_verify", false);
  // Ingests behind their own CA (http.tls.*) need it here; without it the S3 settings apply,
  // as they did when one transport served both.
  config.spool_transport = config.transport;
  config.spool_transport.ca_file = reader.get_string("spool.ca_file", config.transport.ca_file);
  config.spool_token = reader.get_secret("spool.token");
  config.metrics_listen = reader.get_string("metrics.listen", "127.0.0.1:9091");
  // Defaults ride out a few minutes of S3 or ingest trouble before a job is dead-lettered.
  config.retry.max_attempts = static_cast<int>(reader.get_int("worker.max_attempts", 8, 1, 100));
  config.retry.base = reader.get_duration("worker.retry_base", std::chrono::seconds(1),
                                          std::chrono::milliseconds(1));
  config.retry.cap = reader.get_duration("worker.retry_cap", std::chrono::seconds(60),
                                         std::chrono::milliseconds(1));
  config.loop.shutdown_grace = reader.get_duration(
      "worker.shutdown_grace", std::chrono::seconds(25), std::chrono::milliseconds(0));
  const std::string ordering = reader.get_string("worker.ordering", "key");
  if (ordering == "key") {
    config.loop.scheduler.ordering = Ordering::kKey;
  } else if (ordering == "partition") {
    config.loop.scheduler.ordering = Ordering::kPartition;
  } else if (ordering == "none") {
    config.loop.scheduler.ordering = Ordering::kNone;
  } else {
    reader.add_problem("worker.ordering",
                       "'" + ordering + "' is not an ordering; use key, partition or none");
  }
  config.loop.scheduler.workers =
      static_cast<int>(reader.get_int("worker.concurrency", 16, 1, 1024));
  config.loop.scheduler.max_inflight_jobs =
      static_cast<int>(reader.get_int("worker.max_inflight_jobs", 256, 1, 1'000'000));
  config.loop.scheduler.max_inflight_bytes =
      reader.get_bytes("worker.max_inflight_bytes", 16ull << 30, 1, UINT64_MAX);
  config.loop.commit_interval = reader.get_duration(
      "kafka.commit_interval", std::chrono::seconds(1), std::chrono::milliseconds(10));
  config.log_level = read_log_level(reader);
  if (auto finished = reader.finish(); !finished) return fail(finished.error());
  return config;
}

}  // namespace upfleet
