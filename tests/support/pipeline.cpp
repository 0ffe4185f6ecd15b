#include "tests/support/pipeline.h"

#include <iostream>
#include <set>
#include <sstream>

#include "tests/support/kafka_test_util.h"
#include "tests/support/test_env.h"

namespace upfleet::testing {

std::string HttpReply::header(std::string_view name) const {
  for (const auto& [header_name, value] : headers) {
    if (header_name == name) return value;
  }
  return {};
}

Pipeline::Pipeline(ServicesEnv services, std::string name, int job_partitions)
    : services_(std::move(services)), name_(std::move(name)), dir_("upfleet-e2e-" + name_) {
  spool_dir_ = dir_.path() / "spool";
  topics_ = create_test_topics(services_.kafka_brokers, job_partitions);
  group_id_ = "upfleet-test-workers-" + unique_suffix();
  key_prefix_ = "e2e/" + name_ + "-" + unique_suffix() + "/";
}

Pipeline::~Pipeline() {
  for (auto& worker : workers_) worker->terminate(std::chrono::seconds(10));
  if (ingest_) ingest_->terminate(std::chrono::seconds(10));
}

void Pipeline::use_tls(const std::filesystem::path& cert_file,
                       const std::filesystem::path& key_file) {
  tls_ = true;
  ingest_env["UPFLEET_HTTP_TLS_CERT_FILE"] = cert_file.string();
  ingest_env["UPFLEET_HTTP_TLS_KEY_FILE"] = key_file.string();
  worker_env["UPFLEET_SPOOL_CA_FILE"] = cert_file.string();
  http::CurlTransportOptions options;
  options.ca_file = cert_file.string();
  transport_ = std::make_unique<http::CurlTransport>(options);
}

bool Pipeline::start_ingest() {
  ingest_port_ = free_port();
  return restart_ingest();
}

bool Pipeline::restart_ingest() {
  if (ingest_) ingest_->terminate(std::chrono::seconds(10));
  const std::string log_name =
      ingest_runs_ == 0 ? "ingest.log" : "ingest-" + std::to_string(ingest_runs_) + ".log";
  ++ingest_runs_;
  std::map<std::string, std::string> env = {
      {"UPFLEET_HTTP_LISTEN", "127.0.0.1:" + std::to_string(ingest_port_)},
      {"UPFLEET_SPOOL_DIR", spool_dir_.string()},
      {"UPFLEET_SPOOL_MIN_FREE_BYTES", "0"},
      {"UPFLEET_KAFKA_TOPICS_JOBS", topics_.jobs},
      {"UPFLEET_KAFKA_TOPICS_STATUS", topics_.status},
      {"UPFLEET_KAFKA_TOPICS_DLQ", topics_.dead_letters},
      {"UPFLEET_INGEST_ID", "ingest-" + name_},
  };
  for (const auto& [k, v] : ingest_env) env[k] = v;
  ingest_ = ChildProcess::start(built_binary("upfleet-ingest"), {}, env, dir_.path() / log_name);
  if (!ingest_) return false;
  const bool ready =
      eventually([this] { return ingest_->running() && request("GET", "/readyz").status == 200; },
                 std::chrono::seconds(60));
  if (!ready) print_logs();
  return ready;
}

bool Pipeline::start_worker() {
  const uint16_t metrics_port = free_port();
  const size_t index = workers_.size();
  std::map<std::string, std::string> env = {
      {"UPFLEET_METRICS_LISTEN", "127.0.0.1:" + std::to_string(metrics_port)},
      {"UPFLEET_KAFKA_TOPICS_JOBS", topics_.jobs},
      {"UPFLEET_KAFKA_TOPICS_STATUS", topics_.status},
      {"UPFLEET_KAFKA_TOPICS_DLQ", topics_.dead_letters},
      {"UPFLEET_KAFKA_GROUP_ID", group_id_},
      {"UPFLEET_WORKER_ID", name_ + "-w" + std::to_string(index)},
      {"UPFLEET_WORKER_RETRY_BASE", "50ms"},
  };
  for (const auto& [k, v] : worker_env) env[k] = v;
  auto worker = ChildProcess::start(built_binary("upfleet-worker"), {}, env,
                                    dir_.path() / ("worker" + std::to_string(index) + ".log"));
  if (!worker) return false;
  workers_.push_back(std::move(worker));
  worker_metrics_ports_.push_back(metrics_port);
  const bool up = eventually(
      [&] {
        return workers_[index]->running() && worker_metric(index, "upfleet_worker_inflight_jobs");
      },
      std::chrono::seconds(30));
  if (!up) print_logs();
  return up;
}

HttpReply Pipeline::request(const std::string& method, const std::string& path, std::string body,
                            http::Headers headers) {
  http::HttpRequest request;
  request.method = method;
  request.url = ingest_url() + path;
  request.body = body;
  request.headers = std::move(headers);
  request.timeout = std::chrono::seconds(60);
  HttpReply reply;
  auto response = transport_->perform(request);
  if (!response) return reply;
  reply.status = response->status;
  reply.raw = response->body;
  reply.headers = response->headers;
  reply.body = nlohmann::json::parse(reply.raw, nullptr, false);
  if (reply.body.is_discarded()) reply.body = nullptr;
  return reply;
}

HttpReply Pipeline::put(const std::string& encoded_key, std::string body, http::Headers headers) {
  return request("PUT", "/v1/files/" + encoded_key, std::move(body), std::move(headers));
}

std::optional<nlohmann::json> Pipeline::wait_for_state(const std::string& upload_id,
                                                       const std::string& state,
                                                       std::chrono::milliseconds timeout) {
  std::optional<nlohmann::json> last;
  eventually(
      [&] {
        HttpReply reply = request("GET", "/v1/uploads/" + upload_id);
        if (reply.status != 200 || !reply.body.is_object()) return false;
        last = reply.body;
        return reply.body.value("state", "") == state;
      },
      timeout);
  return last;
}

std::optional<double> Pipeline::worker_metric(size_t i, const std::string& name) {
  http::HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(worker_metrics_ports_.at(i)) + "/metrics";
  request.timeout = std::chrono::seconds(5);
  auto response = transport_->perform(request);
  if (!response || response->status != 200) return std::nullopt;
  std::istringstream lines(response->body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with(name + " ")) return std::stod(line.substr(name.size() + 1));
  }
  return std::nullopt;
}

std::vector<std::string> Pipeline::spool_files() const {
  std::error_code ec;
  if (!std::filesystem::is_directory(spool_dir_, ec)) return {};
  const std::set<std::string> entries = spool_entries(spool_dir_);
  return {entries.begin(), entries.end()};
}

void Pipeline::print_logs() const {
  if (ingest_) std::cerr << "---- ingest log ----\n" << ingest_->log_contents();
  for (size_t i = 0; i < workers_.size(); ++i) {
    std::cerr << "---- worker " << i << " log ----\n" << workers_[i]->log_contents();
  }
}

}  // namespace upfleet::testing
