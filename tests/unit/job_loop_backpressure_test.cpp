// JobLoop's flow control and hand-over, with fakes all around: it stops taking messages while
// the scheduler is full, pauses fetching when that lasts and resumes once it drained, pauses
// partitions assigned meanwhile, commits what finished before a revoked partition goes (and
// nothing unfinished), and lets jobs finish within the grace on stop.
//
// The loop runs on its own thread. Uploads block in a gated object store until the test
// releases their key (or their job is cancelled). A feeder hands the fake source one message at
// a time and only for partitions that are not paused, as a Kafka consumer fetches.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/job.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_job_source.h"
#include "tests/support/job_loop_harness.h"
#include "worker/job_loop.h"
#include "worker/offset_note.h"

namespace upfleet {
namespace {

using namespace std::chrono_literals;
using upfleet::testing::CommitRecord;
using upfleet::testing::FakeClock;
using upfleet::testing::FakeJobSource;
using upfleet::testing::GatedObjectStore;
using upfleet::testing::job_message;
using upfleet::testing::JobLoopThread;
using upfleet::testing::JobRunnerFixture;
using upfleet::testing::spooled_upload_job;

constexpr auto kTimeout = 20s;  // generous: only reached when something is broken
const std::string kTopic = "upfleet.jobs";

TopicPartition tp(int32_t partition) {
  return {kTopic, partition};
}

// Waits until `condition` holds, looking again every millisecond; false on timeout. For state
// that cannot notify (another thread's progress seen through fakes).
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = kTimeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Forwards rebalances to the loop and notes what was committed when on_revoking returned.
class RecordingListener final : public RebalanceListener {
 public:
  RecordingListener(RebalanceListener& inner, FakeJobSource& source)
      : inner_(inner), source_(source) {}
  void on_assigned(const std::vector<TopicPartition>& partitions) override {
    inner_.on_assigned(partitions);
  }
  void on_lost(const std::vector<TopicPartition>& partitions) override {
    inner_.on_lost(partitions);
  }
  void on_revoking(const std::vector<TopicPartition>& partitions) override {
    {
      std::lock_guard lock(mutex_);
      revoking_ = true;
    }
    changed_.notify_all();
    inner_.on_revoking(partitions);
    std::lock_guard lock(mutex_);
    commits_when_revoked_ = source_.commits();
    revoked_ = true;
    changed_.notify_all();
  }
  bool wait_revoking() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kTimeout, [&] { return revoking_; });
  }
  bool wait_revoked() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kTimeout, [&] { return revoked_; });
  }
  std::vector<CommitRecord> commits_when_revoked() const {
    std::lock_guard lock(mutex_);
    return commits_when_revoked_;
  }

 private:
  RebalanceListener& inner_;
  FakeJobSource& source_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool revoking_ = false;
  bool revoked_ = false;
  std::vector<CommitRecord> commits_when_revoked_;
};

struct LoopSetup {
  int max_inflight_jobs = 2;
  // 0: pause as soon as the scheduler is full. The fake clock only moves when a test says so.
  std::chrono::milliseconds pause_after = 0ms;
  std::chrono::milliseconds commit_interval = 0ms;  // 0: commit on every turn
  std::chrono::milliseconds grace = 10s;
};

class JobLoopBackpressureTest : public JobRunnerFixture<GatedObjectStore, FakeClock> {
 protected:
  // Every upload waits until the test releases its key.
  JobLoopBackpressureTest() : JobRunnerFixture(BackoffPolicy{1ms, 1ms, 3}) { store_.hold_all(); }
  ~JobLoopBackpressureTest() override {
    // Whatever happened, nothing stays blocked and the loop's thread ends.
    store_.release_all();
    loop_.reset();
  }

  void start(LoopSetup setup) {
    JobLoopOptions options;
    options.scheduler.workers = 4;
    options.scheduler.max_inflight_jobs = setup.max_inflight_jobs;
    options.commit_interval = setup.commit_interval;
    options.shutdown_grace = setup.grace;
    options.pause_after = setup.pause_after;
    loop_ = std::make_unique<JobLoopThread>(source_, runner_, metrics_, options, clock_);
    listener_ = std::make_unique<RecordingListener>(loop_->loop(), source_);
    source_.set_rebalance_listener(listener_.get());
    source_.set_on_idle([this] { feed(); });
    loop_->start();
  }

  bool wait_run_returned() { return loop_->wait_returned(kTimeout); }

  // Makes an upload job for `key` and queues it on the partition's backlog.
  void add(int32_t partition, int64_t offset, const std::string& key) {
    const Job job = spooled_upload_job(sources_, key, key, "bytes of " + key);
    JobMessage message = job_message(kTopic, partition, offset, key, to_json(job));
    std::lock_guard lock(mutex_);
    backlog_.push_back(std::move(message));
  }

  // Called by the source when its queue is empty (on the loop's thread): hands it the next
  // message of a partition that is not paused, as a fetch would. Pausing happens only after a
  // message was taken, so a message handed over here is never one of a paused partition.
  void feed() {
    const auto paused = source_.paused();
    std::unique_lock lock(mutex_);
    ++idle_polls_;
    changed_.notify_all();
    for (auto it = backlog_.begin(); it != backlog_.end(); ++it) {
      if (std::find(paused.begin(), paused.end(), tp(it->partition)) != paused.end()) continue;
      JobMessage message = std::move(*it);
      backlog_.erase(it);
      ++taken_[message.partition];
      lock.unlock();
      source_.push(std::move(message));
      return;
    }
    // Nothing to fetch: stand in for the poll timeout instead of spinning.
    changed_.wait_for(lock, 1ms);
  }

  int taken(int32_t partition) const {
    std::lock_guard lock(mutex_);
    auto it = taken_.find(partition);
    return it == taken_.end() ? 0 : it->second;
  }
  size_t backlog() const {
    std::lock_guard lock(mutex_);
    return backlog_.size();
  }
  // Waits for `count` more idle polls: the loop went round that often since.
  bool wait_idle_polls(int count) {
    std::unique_lock lock(mutex_);
    const int target = idle_polls_ + count;
    return changed_.wait_for(lock, kTimeout, [&] { return idle_polls_ >= target; });
  }

  bool is_paused(int32_t partition) const {
    const auto paused = source_.paused();
    return std::find(paused.begin(), paused.end(), tp(partition)) != paused.end();
  }
  std::vector<int64_t> commits_of(int32_t partition) const {
    std::vector<int64_t> out;
    for (const auto& commit : source_.commits()) {
      if (commit.topic == kTopic && commit.partition == partition)
        out.push_back(commit.next_offset);
    }
    return out;
  }
  std::optional<int64_t> last_commit(int32_t partition) const {
    auto commits = commits_of(partition);
    if (commits.empty()) return std::nullopt;
    return commits.back();
  }

  // clock_ is never advanced: a non-zero commit interval never elapses.
  FakeJobSource source_;
  std::unique_ptr<JobLoopThread> loop_;
  std::unique_ptr<RecordingListener> listener_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<JobMessage> backlog_;  // guarded by mutex_
  std::map<int32_t, int> taken_;    // guarded by mutex_
  int idle_polls_ = 0;              // guarded by mutex_
};

TEST_F(JobLoopBackpressureTest, PausesWhileSaturatedAndResumesWhenDrained) {
  start({.max_inflight_jobs = 2});
  source_.queue_assign({tp(0)});
  for (int i = 0; i < 5; ++i) add(0, i, "k" + std::to_string(i));

  // Two jobs block; the loop pauses the partition and takes nothing more.
  ASSERT_TRUE(store_.wait_blocked({"k0", "k1"}));
  ASSERT_TRUE(eventually([&] { return is_paused(0); })) << "the loop did not pause fetching";
  ASSERT_TRUE(wait_idle_polls(20));
  EXPECT_TRUE(is_paused(0));
  EXPECT_EQ(taken(0), 2) << "the loop took more than the in-flight bound while paused";
  EXPECT_EQ(backlog(), 3u);

  // One finishes: 1 of 2 in flight is within 3/4 of the bound, so fetching resumes.
  store_.release("k0");
  ASSERT_TRUE(eventually([&] { return taken(0) >= 3; })) << "fetching did not resume";
  // k2 joins k1; full again.
  ASSERT_TRUE(store_.wait_blocked({"k1", "k2"}));
  ASSERT_TRUE(eventually([&] { return is_paused(0); }));
  ASSERT_TRUE(wait_idle_polls(20));
  EXPECT_EQ(taken(0), 3);

  // Everything drains: resumed, all taken and committed.
  store_.release_all();
  ASSERT_TRUE(eventually([&] { return last_commit(0) == 5; }))
      << "commits: " << ::testing::PrintToString(commits_of(0));
  // The loop may commit in the same turn that still saw the scheduler full; it resumes on
  // its next turn.
  EXPECT_TRUE(eventually([&] { return !is_paused(0); })) << "fetching did not resume";
  EXPECT_EQ(taken(0), 5);
  EXPECT_GE(source_.pause_calls(), 2);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(store_.stored("k" + std::to_string(i)));
  // Commits only ever move forward.
  const auto commits = commits_of(0);
  EXPECT_TRUE(std::is_sorted(commits.begin(), commits.end()));
  loop_->stop();
  ASSERT_TRUE(wait_run_returned());
}

// A full scheduler that drains quickly is waited out without pausing: a pause throws away
// what the consumer prefetched, and librdkafka 2.0 fetches again only up to a second after
// the resume, which left small fast jobs waiting with nothing to run.
TEST_F(JobLoopBackpressureTest, ShortSaturationStopsTakingWithoutPausing) {
  start({.max_inflight_jobs = 2, .pause_after = 1h});
  source_.queue_assign({tp(0)});
  for (int i = 0; i < 5; ++i) add(0, i, "k" + std::to_string(i));

  ASSERT_TRUE(store_.wait_blocked({"k0", "k1"}));
  // Several of the loop's 50 ms waits: it takes nothing more and does not pause.
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(taken(0), 2) << "the loop took more than the in-flight bound";
  EXPECT_FALSE(is_paused(0));

  // Room again (1 of 2 in flight): it takes the next job straight away.
  store_.release("k0");
  ASSERT_TRUE(eventually([&] { return taken(0) >= 3; })) << "the loop did not take more";
  store_.release_all();
  ASSERT_TRUE(eventually([&] { return last_commit(0) == 5; }))
      << "commits: " << ::testing::PrintToString(commits_of(0));
  EXPECT_EQ(source_.pause_calls(), 0);
  loop_->stop();
  ASSERT_TRUE(wait_run_returned());
}

// A scheduler full for longer than pause_after (long uploads) pauses fetching, so the loop
// goes back to polling: that keeps the consumer in its group and serves rebalances.
TEST_F(JobLoopBackpressureTest, SaturationOutlastingPauseAfterPausesFetching) {
  start({.max_inflight_jobs = 2, .pause_after = 5s});
  source_.queue_assign({tp(0)});
  for (int i = 0; i < 4; ++i) add(0, i, "k" + std::to_string(i));
  ASSERT_TRUE(store_.wait_blocked({"k0", "k1"}));
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(is_paused(0)) << "paused before pause_after passed";

  clock_.advance(5s);
  ASSERT_TRUE(eventually([&] { return is_paused(0); })) << "the loop never paused fetching";
  ASSERT_TRUE(wait_idle_polls(5)) << "the loop stopped polling while paused";
  EXPECT_EQ(taken(0), 2);

  store_.release_all();
  ASSERT_TRUE(eventually([&] { return last_commit(0) == 4; }));
  EXPECT_FALSE(is_paused(0));
  loop_->stop();
  ASSERT_TRUE(wait_run_returned());
}

TEST_F(JobLoopBackpressureTest, PartitionAssignedWhilePausedIsPausedAtOnce) {
  start({.max_inflight_jobs = 2});
  source_.queue_assign({tp(0)});
  add(0, 0, "a0");
  add(0, 1, "a1");
  ASSERT_TRUE(store_.wait_blocked({"a0", "a1"}));
  ASSERT_TRUE(eventually([&] { return is_paused(0); }));

  source_.queue_assign({tp(1)});
  add(1, 0, "b0");
  ASSERT_TRUE(eventually([&] { return is_paused(1); }))
      << "a partition assigned while fetching is paused must start paused";
  ASSERT_TRUE(wait_idle_polls(20));
  EXPECT_EQ(taken(1), 0);

  store_.release_all();
  ASSERT_TRUE(eventually([&] { return last_commit(1) == 1 && last_commit(0) == 2; }));
  EXPECT_FALSE(is_paused(0));
  EXPECT_FALSE(is_paused(1));
  loop_->stop();
  ASSERT_TRUE(wait_run_returned());
}

// librdkafka keeps a partition's pause flag across revocation and reassignment (the fake
// does too): a partition revoked while paused and assigned again after fetching resumed must
// not stay paused forever. Regression: 198 of 2,000 fleet-test jobs were never fetched.
TEST_F(JobLoopBackpressureTest, PartitionRevokedWhilePausedIsNotLeftPausedWhenItComesBack) {
  start({.max_inflight_jobs = 2});
  source_.queue_assign({tp(0), tp(1)});
  add(0, 0, "a0");
  add(0, 1, "a1");
  ASSERT_TRUE(store_.wait_blocked({"a0", "a1"}));
  ASSERT_TRUE(eventually([&] { return is_paused(0) && is_paused(1); }));

  source_.queue_revoke({tp(1)});  // leaves while paused
  ASSERT_TRUE(listener_->wait_revoked());
  store_.release_all();
  ASSERT_TRUE(eventually([&] { return last_commit(0) == 2 && !is_paused(0); }));
  ASSERT_TRUE(is_paused(1)) << "the fake must model librdkafka's sticky pause flag";

  source_.queue_assign({tp(1)});
  add(1, 0, "b0");
  ASSERT_TRUE(eventually([&] { return last_commit(1) == 1; }))
      << "partition 1 came back still paused and was never fetched";
  EXPECT_FALSE(is_paused(1));
  loop_->stop();
  ASSERT_TRUE(wait_run_returned());
}

// librdkafka drops what a partition already fetched when it is resumed without being paused.
// A partition assigned while fetching runs, with messages fetched before the loop got to
// on_assigned, must keep them: the loop resumes only what it paused. (This loss left a real
// partition's 100 jobs unrun after a lost assignment: fetched, dropped, never fetched again.)
TEST_F(JobLoopBackpressureTest, AssignedPartitionIsNotResumedUnlessPausedSoFetchedJobsAreKept) {
  source_.queue_assign({tp(0)});
  const Job job = spooled_upload_job(sources_, "early", "early", "fetched before on_assigned");
  source_.push(job_message(kTopic, 0, 0, "early", to_json(job)));  // ahead of the first poll
  store_.release("early");
  start({.max_inflight_jobs = 4});
  ASSERT_TRUE(eventually([&] { return last_commit(0) == 1; }))
      << "the job fetched before the assignment was handled never ran; dropped: "
      << source_.dropped_by_resume();
  EXPECT_TRUE(store_.stored("early"));
  EXPECT_EQ(source_.dropped_by_resume(), 0u);
  EXPECT_FALSE(is_paused(0));
  loop_->stop();
  ASSERT_TRUE(wait_run_returned());
}

TEST_F(JobLoopBackpressureTest, RevokeCommitsFinishedOffsetsAndNotTheCancelledJob) {
  // No periodic commits: whatever is committed, the revocation committed.
  start({.max_inflight_jobs = 10, .commit_interval = 1h, .grace = 200ms});
  source_.queue_assign({tp(0), tp(1)});
  store_.release("a");
  store_.release("c");
  add(0, 0, "a");
  add(0, 1, "b");  // blocks past the grace
  add(0, 2, "c");
  add(1, 0, "x");  // another partition, blocks throughout
  ASSERT_TRUE(eventually([&] { return store_.stored("a") && store_.stored("c"); }));
  ASSERT_TRUE(store_.wait_blocked({"b", "x"}));
  EXPECT_TRUE(source_.commits().empty());

  source_.queue_revoke({tp(0)});
  ASSERT_TRUE(listener_->wait_revoked());
  // Committed before the partition went: up to the unfinished job, not past it.
  const auto at_revoke = listener_->commits_when_revoked();
  ASSERT_EQ(at_revoke.size(), 1u) << ::testing::PrintToString(commits_of(0));
  EXPECT_EQ(at_revoke[0].partition, 0);
  EXPECT_EQ(at_revoke[0].next_offset, 1);
  // Its note tells the next reader that 2 finished too, and 1 did not.
  const auto note = parse_offset_note(at_revoke[0].metadata);
  ASSERT_TRUE(note.has_value()) << at_revoke[0].metadata;
  EXPECT_FALSE(note->finished(1));
  EXPECT_TRUE(note->finished(2));
  EXPECT_TRUE(store_.was_cancelled("b"));
  EXPECT_FALSE(store_.stored("b"));
  // The other partition's job was left alone.
  EXPECT_FALSE(store_.was_cancelled("x"));
  EXPECT_EQ(store_.blocked(), std::set<std::string>{"x"});

  // Nothing more is committed for the revoked partition.
  store_.release("x");
  ASSERT_TRUE(eventually([&] { return store_.stored("x"); }));
  loop_->stop();
  ASSERT_TRUE(wait_run_returned());
  EXPECT_EQ(commits_of(0), std::vector<int64_t>{1});
  EXPECT_EQ(commits_of(1), std::vector<int64_t>{1});
}

TEST_F(JobLoopBackpressureTest, RevokeWaitsForJobsFinishingWithinTheGraceAndCommitsThem) {
  start({.max_inflight_jobs = 10, .commit_interval = 1h, .grace = 60s});
  source_.queue_assign({tp(0)});
  store_.release("a");
  add(0, 0, "a");
  add(0, 1, "b");
  ASSERT_TRUE(store_.wait_blocked({"b"}));
  ASSERT_TRUE(eventually([&] { return store_.stored("a"); }));

  source_.queue_revoke({tp(0)});
  ASSERT_TRUE(listener_->wait_revoking());
  store_.release("b");  // finishes during the grace
  ASSERT_TRUE(listener_->wait_revoked());
  const auto at_revoke = listener_->commits_when_revoked();
  ASSERT_EQ(at_revoke.size(), 1u);
  EXPECT_EQ(at_revoke[0].next_offset, 2);
  EXPECT_FALSE(store_.was_cancelled("b"));
  loop_->stop();
  ASSERT_TRUE(wait_run_returned());
  EXPECT_EQ(commits_of(0), std::vector<int64_t>{2});
}

TEST_F(JobLoopBackpressureTest, StopLetsARunningJobFinishWithinTheGraceAndCommitsIt) {
  start({.max_inflight_jobs = 10, .commit_interval = 1h, .grace = 60s});
  source_.queue_assign({tp(0)});
  add(0, 0, "slow");
  ASSERT_TRUE(store_.wait_blocked({"slow"}));

  loop_->stop();
  store_.release("slow");
  ASSERT_TRUE(wait_run_returned());
  EXPECT_FALSE(store_.was_cancelled("slow"));
  EXPECT_TRUE(store_.stored("slow"));
  EXPECT_EQ(commits_of(0), std::vector<int64_t>{1});
  ASSERT_EQ(statuses_.events().size(), 1u);
  EXPECT_EQ(statuses_.events()[0].state, UploadState::kUploaded);
}

TEST_F(JobLoopBackpressureTest, StopCancelsAJobOutlastingTheGraceAndDoesNotCommitIt) {
  start({.max_inflight_jobs = 10, .commit_interval = 1h, .grace = 100ms});
  source_.queue_assign({tp(0)});
  store_.release("quick");
  add(0, 0, "quick");
  add(0, 1, "stuck");
  ASSERT_TRUE(store_.wait_blocked({"stuck"}));
  ASSERT_TRUE(eventually([&] { return store_.stored("quick"); }));

  loop_->stop();
  ASSERT_TRUE(wait_run_returned());
  EXPECT_TRUE(store_.was_cancelled("stuck"));
  EXPECT_EQ(commits_of(0), std::vector<int64_t>{1});  // up to the stuck job, not past it
  EXPECT_TRUE(dead_letters_.letters().empty());       // abandoned, not failed
}

}  // namespace
}  // namespace upfleet
