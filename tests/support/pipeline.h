// A private upfleet pipeline for one e2e test: its own topics, spool dir and consumer group,
// the real upfleet-ingest and upfleet-worker binaries as child processes, against the real
// Kafka and S3 server from scripts/services.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/http/curl_transport.h"
#include "common/kafka/kafka_settings.h"
#include "tests/support/child_process.h"
#include "tests/support/test_env.h"

namespace upfleet::testing {

struct HttpReply {
  long status = 0;
  nlohmann::json body;  // null when the body was not JSON
  std::string raw;
  std::string header(std::string_view name) const;
  http::Headers headers;
};

class Pipeline {
 public:
  Pipeline(ServicesEnv services, std::string name, int job_partitions = 6);
  ~Pipeline();

  // Extra environment for processes started afterwards.
  std::map<std::string, std::string> ingest_env;
  std::map<std::string, std::string> worker_env;

  // Starts the ingest and waits until /readyz answers 200. False (with the log printed) if not.
  bool start_ingest();
  // Starts the ingest again after it exited or was killed: same port, spool dir and ingest id
  // (claim-check URIs stay valid); each run logs to its own file. Waits for /readyz.
  bool restart_ingest();
  // Starts one more worker; waits until its metrics endpoint answers.
  bool start_worker();

  ChildProcess& ingest() { return *ingest_; }
  ChildProcess& worker(size_t i) { return *workers_.at(i); }
  size_t worker_count() const { return workers_.size(); }

  std::string ingest_url() const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(ingest_port_);
  }
  // The ingest listens with HTTPS only, with this certificate (call before start_ingest()).
  // The test's requests and the workers (spool.ca_file) trust it as their CA.
  void use_tls(const std::filesystem::path& cert_file, const std::filesystem::path& key_file);
  const std::filesystem::path& spool_dir() const { return spool_dir_; }
  const kafka::Topics& topics() const { return topics_; }
  const ServicesEnv& services() const { return services_; }
  // Unique per pipeline, so tests never see each other's objects.
  const std::string& key_prefix() const { return key_prefix_; }

  // Raw HTTP against the ingest. `path` is sent as is (already encoded).
  HttpReply request(const std::string& method, const std::string& path, std::string body = {},
                    http::Headers headers = {});
  HttpReply put(const std::string& encoded_key, std::string body, http::Headers headers = {});

  // Polls GET /v1/uploads/{id} until the state is `state` (or later); the last status seen.
  std::optional<nlohmann::json> wait_for_state(const std::string& upload_id,
                                               const std::string& state,
                                               std::chrono::milliseconds timeout);

  // The value of an unlabelled metric on worker i's metrics endpoint (nullopt if absent).
  std::optional<double> worker_metric(size_t i, const std::string& name);

  // What the spool directory holds, files of any kind plus manifests and published marks
  // kept as xattrs (see spool_entries in test_env.h).
  std::vector<std::string> spool_files() const;

  // Dumps process logs to stderr (call when a test fails).
  void print_logs() const;

 private:
  ServicesEnv services_;
  std::string name_;
  TempDir dir_;
  std::filesystem::path spool_dir_;
  kafka::Topics topics_;
  std::string group_id_;
  std::string key_prefix_;
  uint16_t ingest_port_ = 0;
  int ingest_runs_ = 0;
  std::vector<uint16_t> worker_metrics_ports_;
  bool tls_ = false;
  std::unique_ptr<http::CurlTransport> transport_ = std::make_unique<http::CurlTransport>();
  std::unique_ptr<ChildProcess> ingest_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
};

}  // namespace upfleet::testing
