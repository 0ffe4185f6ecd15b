#include "producer/ingest_config.h"

namespace upfleet {
namespace {

constexpr uint64_t kMaxAllowedBody = 5ull << 40;  // S3's object size limit

std::string default_advertise_url(const std::string& listen) {
  auto endpoint = parse_listen_address(listen);
  if (!endpoint) return "";
  std::string host =
      endpoint->address().is_unspecified() ? host_name() : endpoint->address().to_string();
  if (endpoint->address().is_v6()) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(endpoint->port());
}

}  // namespace

Result<IngestConfig> load_ingest_config(const std::optional<std::filesystem::path>& file,
                                        const EnvLookup& env) {
  auto loaded = ConfigReader::load(file, env);
  if (!loaded) return fail(loaded.error());
  ConfigReader& reader = *loaded;
  IngestConfig config;
  config.ingest_id = reader.get_string("ingest.id", host_name());
  config.http.listen = reader.get_string("http.listen", "127.0.0.1:8080");
  if (auto endpoint = parse_listen_address(config.http.listen); !endpoint) {
    reader.add_problem("http.listen", endpoint.error().message + "; use e.g. 0.0.0.0:8080");
  }
  config.advertise_url =
      reader.get_string("http.advertise_url", default_advertise_url(config.http.listen));
  while (!config.advertise_url.empty() && config.advertise_url.back() == '/') {
    config.advertise_url.pop_back();
  }
  if (!config.advertise_url.starts_with("http://") &&
      !config.advertise_url.starts_with("https://")) {
    reader.add_problem(
        "http.advertise_url",
        "must be an http(s) URL workers can reach, e.g. http://ingest-0.ingest:8080");
  }
  config.http.io_threads = static_cast<int>(reader.get_int("http.io_threads", 2, 1, 64));
  config.http.max_connections =
      static_cast<int>(reader.get_int("http.max_connections", 1024, 1, 1'000'000));
  config.http.header_timeout = reader.get_duration("http.header_timeout", std::chrono::seconds(10),
                                                   std::chrono::milliseconds(100));
  config.http.idle_timeout = reader.get_duration("http.idle_timeout", std::chrono::seconds(60),
                                                 std::chrono::milliseconds(100));
  config.http.body_read_timeout = reader.get_duration(
      "http.body_read_timeout", std::chrono::seconds(30), std::chrono::milliseconds(100));
  config.max_body_bytes = reader.get_bytes("http.max_body_bytes", 5ull << 30, 1, kMaxAllowedBody);
  config.blocking_threads = static_cast<int>(reader.get_int("http.blocking_threads", 8, 1, 256));

  config.spool.dir = reader.get_string("spool.dir", "/var/tmp/upfleet/spool");
  config.spool.max_bytes = reader.get_bytes("spool.max_bytes", 10ull << 30, 1, UINT64_MAX);
  config.spool.min_free_bytes =
      reader.get_bytes("spool.min_free_bytes", 256ull << 20, 0, UINT64_MAX);
  config.spool_token = reader.get_secret("spool.token");
  config.auth_tokens = reader.get_list("auth.tokens");
  config.default_bucket = reader.get_string("s3.bucket", "upfleet");
  config.metrics_listen = reader.get_string("metrics.listen", "");
  config.kafka = read_kafka_section(reader, "upfleet-ingest");
  config.publish_timeout = reader.get_duration("kafka.publish_timeout", std::chrono::seconds(10),
                                               std::chrono::milliseconds(100));
  config.log_level = read_log_level(reader);
  if (auto finished = reader.finish(); !finished) return fail(finished.error());
  return config;
}

}  // namespace upfleet
