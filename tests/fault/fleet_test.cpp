// The worker fleet on the real broker: workers join and leave while jobs flow, workers are
// killed at random moments, poison messages and failing jobs go to the dead-letter topic.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "common/crypto/sha256.h"
#include "common/ids.h"
#include "common/kafka/kafka_job_publisher.h"
#include "common/kafka/kafka_producer.h"
#include "common/s3/uri_encode.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/kafka_test_util.h"
#include "tests/support/pipeline.h"
#include "tests/support/status_watcher.h"

namespace upfleet::testing {
namespace {

struct PlannedJob {
  Job job;
  std::string key;
  int seq = 0;
};

// Jobs with file:// sources: `keys` keys, `per_key` jobs each, seq 0..per_key-1 per key, in
// the order a producer would emit them (seq-major, so each key's jobs are spread out).
std::vector<PlannedJob> plan_jobs(const std::filesystem::path& dir, const std::string& prefix,
                                  int keys, int per_key) {
  std::vector<PlannedJob> planned;
  for (int seq = 0; seq < per_key; ++seq) {
    for (int k = 0; k < keys; ++k) {
      const std::string key = prefix + "key-" + std::to_string(k);
      const std::string content = key + ":" + std::to_string(seq);
      const auto path = dir / ("k" + std::to_string(k) + "-s" + std::to_string(seq));
      std::ofstream(path) << content;
      PlannedJob p;
      p.key = key;
      p.seq = seq;
      p.job.job_id = new_id();
      p.job.upload_id = new_id();
      p.job.key = key;
      p.job.source.uri = "file://" + s3::uri_encode_path(path.string());
      p.job.source.size = content.size();
      p.job.source.sha256 = crypto::sha256_hex(content);
      p.job.metadata["seq"] = std::to_string(seq);
      planned.push_back(std::move(p));
    }
  }
  return planned;
}

// Publishes in order (one thread: per-key order in the topic is the plan's order).
bool publish_all(const ServicesEnv& env, const std::string& topic,
                 const std::vector<PlannedJob>& jobs, size_t from, size_t to) {
  auto producer = kafka::KafkaProducer::create({env.kafka_brokers, "fleet-test", {}},
                                               std::chrono::seconds(30), kafka::Linger::kNone);
  if (!producer) return false;
  kafka::KafkaJobPublisher publisher(**producer, topic);
  for (size_t i = from; i < to && i < jobs.size(); ++i) {
    if (!publisher.publish(jobs[i].job)) return false;
  }
  return true;
}

std::vector<std::string> ids_of(const std::vector<PlannedJob>& jobs) {
  std::vector<std::string> ids;
  for (const auto& p : jobs) ids.push_back(p.job.upload_id);
  return ids;
}

// Per key, the seq values of the PUTs the S3 side saw, in arrival order.
std::map<std::string, std::vector<int>> puts_per_key(const ProxyStats& stats) {
  std::map<std::string, std::vector<int>> out;
  for (const auto& [target, seq] : stats.put_log) {
    if (seq.empty()) continue;
    const std::string key = target.substr(target.rfind('/') + 1);
    out[key].push_back(std::stoi(seq));
  }
  return out;
}

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = services_env();
    ASSERT_TRUE(env) << "services not running: run `eval \"$(scripts/services up)\"` first";
    env_ = *env;
    std::string host;
    uint16_t port = 0;
    ASSERT_TRUE(
        split_host_port(env_.s3_endpoint.substr(std::string("http://").size()), host, port));
    FaultPolicy recording;
    recording.record_header = "x-amz-meta-seq";
    proxy_ = FaultProxy::start(host, port, recording);
    ASSERT_TRUE(proxy_);
  }
  void TearDown() override {
    if (HasFailure() && pipeline_) pipeline_->print_logs();
  }
  void make_pipeline(const std::string& name, int partitions) {
    pipeline_ = std::make_unique<Pipeline>(env_, name, partitions);
    pipeline_->worker_env = {{"UPFLEET_S3_ENDPOINT", proxy_->url()},
                             {"UPFLEET_KAFKA_SESSION_TIMEOUT", "6s"},
                             {"UPFLEET_WORKER_SHUTDOWN_GRACE", "10s"},
                             {"UPFLEET_WORKER_CONCURRENCY", "8"},
                             {"UPFLEET_LOG_LEVEL", "warn"}};
  }

  ServicesEnv env_;
  TempDir files_{"upfleet-fleet"};
  std::unique_ptr<FaultProxy> proxy_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(FleetTest, WorkersJoiningAndLeavingKeepPerKeyOrderAndLoseNothing) {
  make_pipeline("fleet-rebalance", 6);
  const auto jobs = plan_jobs(files_.path(), pipeline_->key_prefix(), 200, 10);  // 2,000 jobs
  StatusWatcher watcher(env_.kafka_brokers, pipeline_->topics().status);
  ASSERT_TRUE(watcher.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pipeline_->start_worker());

  std::thread producer(
      [&] { EXPECT_TRUE(publish_all(env_, pipeline_->topics().jobs, jobs, 0, jobs.size())); });
  const auto ids = ids_of(jobs);
  // A fourth worker joins once a quarter is done; one of the first leaves at half.
  EXPECT_TRUE(eventually([&] { return watcher.reached(ids, UploadState::kUploaded) >= 500; },
                         std::chrono::seconds(120)));
  ASSERT_TRUE(pipeline_->start_worker());
  EXPECT_TRUE(eventually([&] { return watcher.reached(ids, UploadState::kUploaded) >= 1000; },
                         std::chrono::seconds(120)));
  pipeline_->worker(1).terminate(std::chrono::seconds(30));
  producer.join();

  ASSERT_TRUE(watcher.wait_all(ids, UploadState::kUploaded, std::chrono::seconds(300)))
      << watcher.reached(ids, UploadState::kUploaded) << " of " << ids.size() << " uploaded";

  // Per key, the S3 side saw the jobs' PUTs in seq order (re-runs may repeat, never reverse).
  const auto per_key = puts_per_key(proxy_->stats());
  int repeated = 0;
  for (const auto& [key, seqs] : per_key) {
    for (size_t i = 1; i < seqs.size(); ++i) {
      EXPECT_GE(seqs[i], seqs[i - 1])
          << "key " << key << " ran seq " << seqs[i] << " after " << seqs[i - 1];
      if (seqs[i] == seqs[i - 1]) ++repeated;
    }
  }
  EXPECT_EQ(per_key.size(), 200u);
  // Graceful hand-overs let jobs in flight finish and note what finished: nothing runs twice.
  std::cerr << "jobs run twice after rebalances: " << repeated << "\n";
  EXPECT_EQ(repeated, 0);
}

TEST_F(FleetTest, KillingWorkersAtRandomLosesNoJob) {
  make_pipeline("fleet-kill", 6);
  const auto jobs = plan_jobs(files_.path(), pipeline_->key_prefix(), 100, 10);  // 1,000 jobs
  StatusWatcher watcher(env_.kafka_brokers, pipeline_->topics().status);
  ASSERT_TRUE(watcher.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pipeline_->start_worker());
  std::thread producer(
      [&] { EXPECT_TRUE(publish_all(env_, pipeline_->topics().jobs, jobs, 0, jobs.size())); });

  std::mt19937 rng(20261122);
  std::vector<size_t> alive = {0, 1, 2};
  for (int kill = 0; kill < 10; ++kill) {
    // The moment is random; the wait is the fault schedule, not synchronisation.
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 1200));
    const size_t victim = rng() % alive.size();
    pipeline_->worker(alive[victim]).kill_now();
    ASSERT_TRUE(pipeline_->start_worker());
    alive[victim] = pipeline_->worker_count() - 1;
  }
  producer.join();
  const auto ids = ids_of(jobs);
  ASSERT_TRUE(watcher.wait_all(ids, UploadState::kUploaded, std::chrono::seconds(300)))
      << watcher.reached(ids, UploadState::kUploaded) << " of " << ids.size() << " uploaded";
  size_t twice = 0;
  for (const auto& [id, times] : watcher.counts(UploadState::kUploaded)) twice += times > 1;
  std::cerr << "jobs reported uploaded more than once after kill -9: " << twice << "\n";
}

TEST_F(FleetTest, PoisonAndFailingJobsGoToTheDeadLetterTopicAndReplayWorks) {
  make_pipeline("fleet-dlq", 1);  // one partition: everything below shares it
  pipeline_->worker_env["UPFLEET_WORKER_MAX_ATTEMPTS"] = "2";
  pipeline_->worker_env["UPFLEET_WORKER_RETRY_BASE"] = "10ms";
  StatusWatcher watcher(env_.kafka_brokers, pipeline_->topics().status);
  ASSERT_TRUE(pipeline_->start_worker());

  auto producer = kafka::KafkaProducer::create({env_.kafka_brokers, "fleet-test", {}},
                                               std::chrono::seconds(30), kafka::Linger::kNone);
  ASSERT_TRUE(producer);
  ASSERT_TRUE((*producer)->produce(pipeline_->topics().jobs, "poison", "{not json", {}));
  // A job whose file does not exist yet fails (permanently) until the file appears.
  const auto late_file = files_.path() / "appears-later.txt";
  Job late;
  late.job_id = new_id();
  late.upload_id = new_id();
  late.key = pipeline_->key_prefix() + "late.txt";
  late.source.uri = "file://" + s3::uri_encode_path(late_file.string());
  late.source.size = 4;
  late.source.sha256 = crypto::sha256_hex("late");
  kafka::KafkaJobPublisher publisher(**producer, pipeline_->topics().jobs);
  ASSERT_TRUE(publisher.publish(late));
  // The partition keeps flowing behind them.
  auto jobs = plan_jobs(files_.path(), pipeline_->key_prefix(), 10, 2);
  for (const auto& p : jobs) ASSERT_TRUE(publisher.publish(p.job));
  ASSERT_TRUE(watcher.wait_all(ids_of(jobs), UploadState::kUploaded, std::chrono::seconds(120)));
  ASSERT_TRUE(
      watcher.wait_all({late.upload_id}, UploadState::kDeadLettered, std::chrono::seconds(60)));

  auto dead = read_topic(env_.kafka_brokers, pipeline_->topics().dead_letters);
  ASSERT_TRUE(dead) << dead.error().message;
  ASSERT_EQ(dead->size(), 2u);
  EXPECT_EQ((*dead)[0].value, "{not json");

  // Fix the cause, replay from the DLQ with upfleetctl, and the upload completes.
  std::ofstream(late_file) << "late";
  const std::string command = "UPFLEET_KAFKA_TOPICS_JOBS=" + pipeline_->topics().jobs +
                              " UPFLEET_KAFKA_TOPICS_DLQ=" + pipeline_->topics().dead_letters +
                              " " + built_binary("upfleetctl").string() + " dlq replay --id " +
                              late.upload_id + " >&2";
  ASSERT_EQ(std::system(command.c_str()), 0);
  EXPECT_TRUE(watcher.wait_all({late.upload_id}, UploadState::kUploaded, std::chrono::seconds(60)));
}

}  // namespace
}  // namespace upfleet::testing
