// KafkaJobSource + JobLoop + JobRunner on librdkafka's mock cluster (in-process, no broker):
// while some jobs are held unfinished and OffsetCommit requests fail, the group's committed
// offset — read by a separate consumer of the same group — never passes the lowest unfinished
// job; once everything is released and the loop stops, it is the end of the partition.
//
// The mock cluster makes this fast and lets us inject commit errors; the same flow against the
// real broker is covered by the e2e tests.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/job.h"
#include "common/kafka/kafka_job_source.h"
#include "common/kafka/kafka_settings.h"
#include "tests/support/job_loop_harness.h"
#include "tests/support/test_env.h"
#include "worker/job_loop.h"
#include "worker/offset_note.h"

namespace upfleet {
namespace {

using namespace std::chrono_literals;
using kafka::KafkaHandle;
using kafka::PartitionListHandle;
using upfleet::testing::GatedObjectStore;
using upfleet::testing::JobLoopThread;
using upfleet::testing::JobRunnerFixture;
using upfleet::testing::spooled_upload_job;

constexpr int16_t kOffsetCommitApiKey = 8;  // RD_KAFKAP_OffsetCommit (not in the public headers)
constexpr auto kTimeout = 60s;              // generous: only reached when something is broken

// A mock cluster living inside a producer handle (test.mock.num.brokers), with that producer
// for writing the jobs.
class MockCluster {
 public:
  MockCluster() {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char errstr[512];
    if (rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      ADD_FAILURE() << errstr;
    }
    rd_kafka_conf_set(conf, "linger.ms", "0", errstr, sizeof errstr);
    producer_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr));
    if (!producer_) {
      ADD_FAILURE() << "mock cluster producer: " << errstr;
      rd_kafka_conf_destroy(conf);
      return;
    }
    cluster_ = rd_kafka_handle_mock_cluster(producer_.get());
    if (cluster_ == nullptr) ADD_FAILURE() << "no mock cluster in the producer handle";
  }

  bool ok() const { return cluster_ != nullptr; }
  rd_kafka_mock_cluster_t* get() const { return cluster_; }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

  void create_topic(const std::string& topic, int partitions) {
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  void produce(const std::string& topic, int32_t partition, const std::string& key,
               const std::string& value) {
    const rd_kafka_resp_err_t err =
        rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                          RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(key.data(), key.size()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  }

  void flush() {
    ASSERT_EQ(rd_kafka_flush(producer_.get(), 30'000), RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_EQ(rd_kafka_outq_len(producer_.get()), 0);
  }

 private:
  KafkaHandle producer_;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;  // owned by producer_
};

// Another client of the same group that only reads the group's committed offsets (it never
// subscribes, so it does not join the group).
class CommittedReader {
 public:
  CommittedReader(const std::string& bootstraps, const std::string& group) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char errstr[512];
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", group.c_str(), errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr);
    handle_.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr));
    if (!handle_) {
      ADD_FAILURE() << "checker consumer: " << errstr;
      rd_kafka_conf_destroy(conf);
    }
  }

  // The committed offset, nullopt when none yet; an error fails the test.
  std::optional<int64_t> committed(const std::string& topic, int32_t partition) {
    return read(topic, partition).first;
  }
  // The metadata committed with it.
  std::string committed_metadata(const std::string& topic, int32_t partition) {
    return read(topic, partition).second;
  }

 private:
  std::pair<std::optional<int64_t>, std::string> read(const std::string& topic, int32_t partition) {
    PartitionListHandle list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
    const rd_kafka_resp_err_t err = rd_kafka_committed(handle_.get(), list.get(), 10'000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      ADD_FAILURE() << "rd_kafka_committed: " << rd_kafka_err2str(err);
      return {};
    }
    const auto& entry = list->elems[0];
    if (entry.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      ADD_FAILURE() << "rd_kafka_committed partition: " << rd_kafka_err2str(entry.err);
      return {};
    }
    std::string metadata;
    if (entry.metadata != nullptr) {
      metadata.assign(static_cast<const char*>(entry.metadata), entry.metadata_size);
    }
    if (entry.offset < 0) return {std::nullopt, metadata};  // RD_KAFKA_OFFSET_INVALID: none
    return {entry.offset, metadata};
  }

  KafkaHandle handle_;
};

std::string key_at(int64_t offset) {
  return "file-" + std::to_string(offset) + ".bin";
}

// Jobs whose key the test holds stay unfinished until it releases them.
class KafkaMockCommitTest : public JobRunnerFixture<GatedObjectStore, SystemClock> {
 protected:
  KafkaMockCommitTest() : JobRunnerFixture(BackoffPolicy{1ms, 5ms, 3}) {}

  void SetUp() override {
    cluster_ = std::make_unique<MockCluster>();
    ASSERT_TRUE(cluster_->ok());
    ASSERT_NO_FATAL_FAILURE(cluster_->create_topic(topic_, 1));
  }

  // The worker's consumer leaves the group while the cluster is still there.
  void TearDown() override {
    store_.release_all();
    loop_.reset();
    source_.reset();
    cluster_.reset();
  }

  void produce_jobs(int64_t count) {
    for (int64_t offset = 0; offset < count; ++offset) {
      ASSERT_NO_FATAL_FAILURE(cluster_->produce(topic_, 0, key_at(offset), job_json(offset)));
    }
    ASSERT_NO_FATAL_FAILURE(cluster_->flush());
  }

  // KafkaJobSource + JobLoop on the mock cluster, the loop on its own thread.
  void start_worker(std::chrono::milliseconds commit_interval, std::chrono::milliseconds grace) {
    kafka::KafkaSettings settings;
    settings.brokers = cluster_->bootstraps();
    settings.client_id = "upfleet-mock-worker";
    kafka::KafkaJobSourceOptions source_options;
    source_options.group_id = group_;
    source_options.topic = topic_;
    source_options.session_timeout = 10s;
    auto source = kafka::KafkaJobSource::create(settings, source_options);
    ASSERT_TRUE(source) << source.error().message;
    source_ = std::move(*source);
    JobLoopOptions options;
    options.scheduler.workers = 4;
    options.commit_interval = commit_interval;
    options.shutdown_grace = grace;
    loop_ = std::make_unique<JobLoopThread>(*source_, runner_, metrics_, options, clock_);
    loop_->start();
  }

  // Waits until every job but `held` is stored.
  void wait_stored_except(int64_t count, const std::set<int64_t>& held) {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    for (int64_t offset = 0; offset < count; ++offset) {
      if (held.contains(offset)) continue;
      while (!store_.stored(key_at(offset))) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << key_at(offset) << " not stored";
        std::this_thread::sleep_for(5ms);
      }
    }
  }

  std::string job_json(int64_t offset) {
    const std::string key = key_at(offset);
    return to_json(spooled_upload_job(sources_, std::to_string(offset), key, "content of " + key));
  }

  // Reads the committed offset every few milliseconds until it equals `target`, failing if it
  // ever passes `bound` (the lowest unfinished job) on the way.
  void watch_commits_until(CommittedReader& reader, int64_t target, int64_t bound) {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    std::optional<int64_t> last;
    for (;;) {
      last = reader.committed(topic_, 0);
      if (last) {
        ASSERT_LE(*last, bound) << "committed offset passed the unfinished job at " << bound;
        ++reads_with_commit_;
      }
      if (last == target) return;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline)
          << "committed offset stuck at " << (last ? std::to_string(*last) : "none")
          << ", expected " << target;
      std::this_thread::sleep_for(20ms);  // pacing the reads, not synchronisation
    }
  }

  std::unique_ptr<MockCluster> cluster_;  // outlives every client below
  const std::string suffix_ = upfleet::testing::unique_suffix();
  const std::string topic_ = "upfleet-mock-" + suffix_ + ".jobs";
  const std::string group_ = "upfleet-mock-workers-" + suffix_;
  std::unique_ptr<kafka::KafkaJobSource> source_;
  std::unique_ptr<JobLoopThread> loop_;
  int reads_with_commit_ = 0;
};

TEST_F(KafkaMockCommitTest, CommittedOffsetNeverPassesAnUnfinishedJobDespiteCommitErrors) {
  constexpr int64_t kJobs = 12;
  constexpr int64_t kFirstHeld = 3;
  constexpr int64_t kSecondHeld = 7;
  ASSERT_NO_FATAL_FAILURE(produce_jobs(kJobs));
  store_.hold(key_at(kFirstHeld));
  store_.hold(key_at(kSecondHeld));
  // The first commits fail, in the ways a coordinator answers during trouble. (librdkafka
  // retries the timeouts and coordinator moves itself; a rebalance in progress reaches us.)
  rd_kafka_mock_push_request_errors(
      cluster_->get(), kOffsetCommitApiKey, 4, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
      RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
      RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS);
  ASSERT_NO_FATAL_FAILURE(start_worker(/*commit_interval=*/50ms, /*grace=*/10s));
  CommittedReader reader(cluster_->bootstraps(), group_);

  // Everything but the held jobs finishes; the commit stops at the first held one.
  ASSERT_NO_FATAL_FAILURE(watch_commits_until(reader, kFirstHeld, kFirstHeld));
  ASSERT_NO_FATAL_FAILURE(wait_stored_except(kJobs, {kFirstHeld, kSecondHeld}));
  // Jobs above the held one are finished, yet the commit holds; look a while longer.
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(reader.committed(topic_, 0), kFirstHeld);
    std::this_thread::sleep_for(20ms);  // pacing the reads, not synchronisation
  }
  EXPECT_GE(metrics_.commit_failures.Value(), 1) << "no injected commit error reached the loop";

  // More failing commits, then the first held job finishes: the commit moves to the second.
  rd_kafka_mock_push_request_errors(
      cluster_->get(), kOffsetCommitApiKey, 3, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS);
  store_.release(key_at(kFirstHeld));
  ASSERT_NO_FATAL_FAILURE(watch_commits_until(reader, kSecondHeld, kSecondHeld));

  // The last held job finishes; the commit reaches the end while the loop runs.
  store_.release(key_at(kSecondHeld));
  ASSERT_NO_FATAL_FAILURE(watch_commits_until(reader, kJobs, kJobs));

  loop_->stop();
  loop_->join();
  EXPECT_EQ(reader.committed(topic_, 0), kJobs);
  for (int64_t offset = 0; offset < kJobs; ++offset) EXPECT_TRUE(store_.stored(key_at(offset)));
  EXPECT_TRUE(dead_letters_.letters().empty());
  EXPECT_GT(reads_with_commit_, 0);
}

TEST_F(KafkaMockCommitTest, StopCommitsJobsFinishedWithinTheGraceAndNotOnesCancelled) {
  constexpr int64_t kJobs = 6;
  constexpr int64_t kHeld = 4;
  ASSERT_NO_FATAL_FAILURE(produce_jobs(kJobs));
  store_.hold(key_at(kHeld));
  ASSERT_NO_FATAL_FAILURE(start_worker(/*commit_interval=*/1h, /*grace=*/200ms));
  ASSERT_NO_FATAL_FAILURE(wait_stored_except(kJobs, {kHeld}));
  CommittedReader reader(cluster_->bootstraps(), group_);
  EXPECT_EQ(reader.committed(topic_, 0), std::nullopt);  // no periodic commit yet

  // Stopping: the held job outlasts the grace and is cancelled; the final commit covers the
  // jobs below it and neither the held one nor the finished one above it.
  loop_->stop();
  loop_->join();
  EXPECT_EQ(reader.committed(topic_, 0), kHeld);
  EXPECT_FALSE(store_.stored(key_at(kHeld)));
  // The note committed with it tells the next reader that the job above the held one is done.
  const std::string metadata = reader.committed_metadata(topic_, 0);
  const auto note = parse_offset_note(metadata);
  ASSERT_TRUE(note.has_value()) << "metadata: '" << metadata << "'";
  EXPECT_FALSE(note->finished(kHeld));
  EXPECT_TRUE(note->finished(kHeld + 1));
}

}  // namespace
}  // namespace upfleet
