#include "producer/ingest_config.h"

#include "producer/auth.h"
#include "producer/tls_context.h"

namespace upfleet {
namespace {

constexpr uint64_t kMaxAllowedBody = 5ull << 40;  // S3's object size limit

// https:// when the listener speaks TLS: workers and clients must use the listener's scheme.
std::string default_advertise_url(const std::string& listen, bool tls) {
  auto endpoint = parse_listen_address(listen);
  if (!endpoint) return "";
  std::string host =
      endpoint->address().is_unspecified() ? host_name() : endpoint->address().to_string();
  if (endpoint->address().is_v6()) host = "[" + host + "]";
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(endpoint->port());
}

void read_tls(ConfigReader& reader, HttpServerOptions& http) {
  http.tls_cert_file = reader.get_string("http.tls.cert_file", "");
  http.tls_key_file = reader.get_string("http.tls.key_file", "");
  if (http.tls_cert_file.empty() && http.tls_key_file.empty()) return;
  if (http.tls_cert_file.empty() || http.tls_key_file.empty()) {
    reader.add_problem(http.tls_cert_file.empty() ? "http.tls.cert_file" : "http.tls.key_file",
                       "is empty but its partner is set; set both http.tls.cert_file and "
                       "http.tls.key_file for HTTPS, or neither for plain HTTP");
    return;
  }
  // Loading now makes --check-config catch a bad certificate, not just the first start.
  if (auto loaded = TlsContext::load(http.tls_cert_file, http.tls_key_file); !loaded) {
    const std::string& message = loaded.error().message;
    const size_t colon = message.find(": ");
    reader.add_problem(message.substr(0, colon), message.substr(colon + 2));
  }
}

// auth.tokens plus the lines of auth.tokens_file; values never appear in messages.
std::vector<std::string> read_auth_tokens(ConfigReader& reader) {
  std::vector<std::string> tokens = reader.get_list("auth.tokens");
  const std::string file = reader.get_string("auth.tokens_file", "");
  if (!file.empty()) {
    auto from_file = read_tokens_file(file);
    if (!from_file) {
      reader.add_problem("auth.tokens_file",
                         from_file.error().message + "; point it at a readable file of tokens");
    } else {
      tokens.insert(tokens.end(), from_file->begin(), from_file->end());
    }
  }
  return tokens;
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
  // The listener's TLS files decide the default scheme; read_tls() below checks them.
  const bool tls = !reader.get_string("http.tls.cert_file", "").empty();
  config.advertise_url =
      reader.get_string("http.advertise_url", default_advertise_url(config.http.listen, tls));
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
  config.http.body_rate.min_bytes_per_second =
      reader.get_bytes("http.min_body_rate", 10 * 1024, 0, 1ull << 40);
  config.http.body_rate.grace = reader.get_duration(
      "http.body_rate_grace", std::chrono::seconds(10), std::chrono::milliseconds(0));
  config.http.body_rate.window = reader.get_duration(
      "http.body_rate_window", std::chrono::seconds(20), std::chrono::milliseconds(100));
  config.shutdown_grace = reader.get_duration("http.shutdown_grace", std::chrono::seconds(20),
                                              std::chrono::milliseconds(0));
  config.max_event_streams =
      static_cast<int>(reader.get_int("http.max_event_streams", 256, 0, 1'000'000));
  read_tls(reader, config.http);
  config.blocking_threads = static_cast<int>(reader.get_int("http.blocking_threads", 32, 1, 256));

  config.spool.dir = reader.get_string("spool.dir", "/var/tmp/upfleet/spool");
  config.spool.max_bytes = reader.get_bytes("spool.max_bytes", 10ull << 30, 1, UINT64_MAX);
  config.spool.min_free_bytes =
      reader.get_bytes("spool.min_free_bytes", 256ull << 20, 0, UINT64_MAX);
  config.spool.write_behind_bytes =
      reader.get_bytes("spool.write_behind_bytes", 8ull << 20, 0, UINT64_MAX);
  config.spool.drop_committed_pages = reader.get_bool("spool.drop_committed_pages", true);
  config.spool.direct_io = reader.get_bool("spool.direct_io", true);
  // A bare 0 (no unit) turns expiry off, as the docs promise.
  config.spool_ttl = reader.get_string("spool.ttl", "") == "0"
                         ? std::chrono::milliseconds(0)
                         : reader.get_duration("spool.ttl", std::chrono::hours(24 * 7),
                                               std::chrono::milliseconds(0));
  if (config.spool_ttl.count() > 0 && config.spool_ttl < std::chrono::minutes(1)) {
    // Shorter would delete uploads a busy fleet simply has not reached yet.
    reader.add_problem("spool.ttl", "is shorter than 1m; use e.g. 168h, or 0 to keep uploads");
  }
  config.spool_token = reader.get_secret("spool.token");
  config.auth_tokens = read_auth_tokens(reader);
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
