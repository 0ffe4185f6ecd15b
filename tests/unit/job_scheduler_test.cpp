// JobScheduler: key-ordered concurrency, contiguous commits, in-flight bounds with hysteresis,
// revocation (drop queued, grace for running, then cancel), partition epochs, shutdown.
//
// Jobs run a handler the test controls: each job blocks until the test releases it (or it is
// cancelled), and records when it starts and ends. Waits have generous deadlines and fail the
// test instead of hanging; teardown releases every job so nothing is left blocked.
#include "worker/job_scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace upfleet {
namespace {

using namespace std::chrono_literals;

constexpr auto kTimeout = 20s;  // generous: only reached when something is broken
const std::string kTopic = "upfleet.jobs";

TopicPartition tp(int32_t partition) {
  return {kTopic, partition};
}

// A job message; `value` names the job instance (unique per test) for the controller.
JobMessage job(int32_t partition, int64_t offset, const std::string& key, std::string name = {}) {
  JobMessage m;
  m.topic = kTopic;
  m.partition = partition;
  m.offset = offset;
  m.key = key;
  m.value = name.empty() ? key + "@" + std::to_string(partition) + "/" + std::to_string(offset)
                         : std::move(name);
  return m;
}

std::string name_of(int32_t partition, int64_t offset, const std::string& key) {
  return job(partition, offset, key).value;
}

// The handler the scheduler runs. Jobs block until released; they give up (return false) once
// cancelled() turns true unless told to ignore cancellation.
class JobController {
 public:
  struct Run {
    std::string name;
    int32_t partition = 0;
    int64_t offset = 0;
    std::string key;
  };

  explicit JobController(Ordering ordering = Ordering::kKey) : ordering_(ordering) {}

  JobScheduler::Handler handler() {
    return [this](const JobMessage& message, const std::function<bool()>& cancelled) {
      return run(message, cancelled);
    };
  }

  // Lets the job end, returning `finished` (true: its offset may be committed). May come
  // before the job starts.
  void release(const std::string& name, bool finished = true) {
    std::lock_guard lock(mutex_);
    releases_[name] = finished;
    changed_.notify_all();
  }
  // Every job, now and later, ends at once as finished (teardown, failed tests).
  void release_everything() {
    std::lock_guard lock(mutex_);
    release_everything_ = true;
    changed_.notify_all();
  }
  // The job keeps running after cancellation until released.
  void ignore_cancellation(const std::string& name) {
    std::lock_guard lock(mutex_);
    ignores_cancel_.insert(name);
  }

  // Waits until `condition` (evaluated under the controller's lock) holds; false on timeout.
  bool wait(const std::function<bool()>& condition, std::chrono::milliseconds timeout = kTimeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, condition);
  }
  bool wait_running(size_t count) {
    return wait([&] { return running_.size() >= count; });
  }
  bool wait_started(const std::string& name) {
    return wait([&] { return started_.contains(name); });
  }
  bool wait_ended(const std::string& name) {
    return wait([&] { return ended_.contains(name); });
  }
  bool wait_ended_count(size_t count) {
    return wait([&] { return ended_.size() >= count; });
  }
  // Polls state the controller is not told about (the scheduler's own bookkeeping, which
  // changes just after a handler returns); false on timeout.
  bool eventually(const std::function<bool()>& condition,
                  std::chrono::milliseconds timeout = kTimeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mutex_);
    for (;;) {
      lock.unlock();
      if (condition()) return true;
      lock.lock();
      if (std::chrono::steady_clock::now() >= deadline) return false;
      changed_.wait_for(lock, 1ms);
    }
  }

  std::vector<std::string> running() const {
    std::lock_guard lock(mutex_);
    return {running_.begin(), running_.end()};
  }
  bool started(const std::string& name) const {
    std::lock_guard lock(mutex_);
    return started_.contains(name);
  }
  bool saw_cancel(const std::string& name) const {
    std::lock_guard lock(mutex_);
    return saw_cancel_.contains(name);
  }
  // Asks a running job's cancelled() now.
  std::optional<bool> cancelled_now(const std::string& name) {
    std::function<bool()> probe;
    {
      std::lock_guard lock(mutex_);
      auto it = probes_.find(name);
      if (it == probes_.end()) return std::nullopt;
      probe = it->second;
    }
    return probe();
  }
  std::vector<Run> starts() const {
    std::lock_guard lock(mutex_);
    return starts_;
  }
  // Same-lane jobs seen running at once, and the most jobs of one partition at once.
  std::vector<std::string> overlaps() const {
    std::lock_guard lock(mutex_);
    return overlaps_;
  }
  int max_concurrent(int32_t partition) const {
    std::lock_guard lock(mutex_);
    auto it = max_per_partition_.find(partition);
    return it == max_per_partition_.end() ? 0 : it->second;
  }
  int max_concurrent_total() const {
    std::lock_guard lock(mutex_);
    return max_total_;
  }

 private:
  std::string lane(const JobMessage& m) const {
    const std::string partition = std::to_string(m.partition);
    return ordering_ == Ordering::kPartition ? partition : partition + "/" + m.key;
  }

  bool run(const JobMessage& message, const std::function<bool()>& cancelled) {
    const std::string& name = message.value;
    const std::string job_lane = lane(message);
    std::unique_lock lock(mutex_);
    if (!active_lanes_.insert(job_lane).second) {
      overlaps_.push_back(name + " started while its lane " + job_lane + " was busy");
    }
    starts_.push_back({name, message.partition, message.offset, message.key});
    started_.insert(name);
    running_.insert(name);
    probes_[name] = cancelled;
    int& in_partition = running_per_partition_[message.partition];
    ++in_partition;
    max_per_partition_[message.partition] =
        std::max(max_per_partition_[message.partition], in_partition);
    max_total_ = std::max(max_total_, static_cast<int>(running_.size()));
    changed_.notify_all();

    bool finished = true;
    for (;;) {
      if (release_everything_) break;
      if (auto it = releases_.find(name); it != releases_.end()) {
        finished = it->second;
        break;
      }
      if (!ignores_cancel_.contains(name)) {
        lock.unlock();
        const bool stop = cancelled();  // takes the scheduler's lock: not under ours
        lock.lock();
        if (stop) {
          saw_cancel_.insert(name);
          finished = false;
          break;
        }
      }
      // cancelled() cannot notify us; look again shortly.
      changed_.wait_for(lock, 2ms);
    }
    active_lanes_.erase(job_lane);
    running_.erase(name);
    probes_.erase(name);
    --running_per_partition_[message.partition];
    ended_.insert(name);
    changed_.notify_all();
    return finished;
  }

  const Ordering ordering_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, bool> releases_;
  bool release_everything_ = false;
  std::set<std::string> ignores_cancel_;
  std::set<std::string> active_lanes_;
  std::set<std::string> running_;
  std::set<std::string> started_;
  std::set<std::string> ended_;
  std::set<std::string> saw_cancel_;
  std::map<std::string, std::function<bool()>> probes_;
  std::vector<Run> starts_;
  std::vector<std::string> overlaps_;
  std::map<int32_t, int> running_per_partition_;
  std::map<int32_t, int> max_per_partition_;
  int max_total_ = 0;
};

// Runs a blocking call on its own thread so the test can bound how long it may take.
template <class T>
class Background {
 public:
  explicit Background(std::function<T()> call) {
    std::packaged_task<T()> task(std::move(call));
    result_ = task.get_future();
    thread_ = std::thread(std::move(task));
  }
  ~Background() { join(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  bool done_within(std::chrono::milliseconds timeout) {
    return result_.wait_for(timeout) == std::future_status::ready;
  }
  T get() {
    join();
    return result_.get();
  }

 private:
  std::future<T> result_;
  std::thread thread_;
};

class JobSchedulerTest : public ::testing::Test {
 protected:
  void start(SchedulerOptions options) {
    controller_ = std::make_unique<JobController>(options.ordering);
    scheduler_ = std::make_unique<JobScheduler>(options, controller_->handler());
  }
  void submit(const JobMessage& message, uint64_t bytes = 0) { scheduler_->submit(message, bytes); }

  // The offset a commit would name now: pending if offered, else the one last marked.
  std::optional<int64_t> offered(int32_t partition) const {
    auto commits = scheduler_->pending_commits();
    auto it = commits.find(tp(partition));
    if (it == commits.end()) return std::nullopt;
    return it->second;
  }

  void TearDown() override {
    if (controller_) controller_->release_everything();
    if (revoke_) revoke_->join();
    scheduler_.reset();
  }

  std::unique_ptr<JobController> controller_;
  std::unique_ptr<JobScheduler> scheduler_;
  std::unique_ptr<Background<std::map<TopicPartition, int64_t>>> revoke_;
};

// Releases running jobs in a random order until `total` have ended. Between releases it calls
// `after_each` (with the name just released, once that job has ended).
void release_randomly(JobController& controller, size_t total, std::mt19937& rng,
                      const std::function<void(const std::string&)>& after_each = {}) {
  for (size_t ended = 0; ended < total; ++ended) {
    ASSERT_TRUE(controller.wait_running(1)) << "no job running after " << ended << " ended";
    const auto running = controller.running();
    ASSERT_FALSE(running.empty());
    const std::string pick =
        running[std::uniform_int_distribution<size_t>(0, running.size() - 1)(rng)];
    controller.release(pick);
    ASSERT_TRUE(controller.wait_ended(pick)) << pick;
    if (after_each) after_each(pick);
    if (::testing::Test::HasFatalFailure()) return;  // stop, rather than wait out every deadline
  }
}

// --- ordering ---------------------------------------------------------------------------------

TEST_F(JobSchedulerTest, SameKeyJobsStartInOffsetOrderAndNeverOverlap) {
  start({.ordering = Ordering::kKey, .workers = 6});
  constexpr int kPartitions = 2;
  constexpr int kKeys = 12;
  constexpr int kJobsPerKey = 5;
  std::mt19937 rng(4242);
  // Per partition, the keys' jobs interleaved at random (each key kJobsPerKey times).
  std::map<std::pair<int32_t, std::string>, std::vector<int64_t>> submitted;
  size_t total = 0;
  for (int32_t partition = 0; partition < kPartitions; ++partition) {
    std::vector<std::string> sequence;
    for (int k = 0; k < kKeys; ++k) {
      for (int j = 0; j < kJobsPerKey; ++j) sequence.push_back("key-" + std::to_string(k));
    }
    std::shuffle(sequence.begin(), sequence.end(), rng);
    int64_t offset = 1000 * partition;
    for (const auto& key : sequence) {
      submit(job(partition, offset, key));
      submitted[{partition, key}].push_back(offset);
      ++offset;
      ++total;
    }
  }

  // Nothing finishes before it is released: jobs of different keys must run side by side by
  // now. (Checked as a wait, not after the fact: under load the random releases could
  // otherwise finish each job before the next one got a thread.)
  ASSERT_TRUE(controller_->wait_running(2)) << "jobs of different keys never ran at once";

  ASSERT_NO_FATAL_FAILURE(release_randomly(*controller_, total, rng));

  EXPECT_EQ(controller_->overlaps(), std::vector<std::string>{});
  std::map<std::pair<int32_t, std::string>, std::vector<int64_t>> started;
  for (const auto& run : controller_->starts())
    started[{run.partition, run.key}].push_back(run.offset);
  EXPECT_EQ(started, submitted);
  EXPECT_GT(controller_->max_concurrent_total(), 1);
  ASSERT_TRUE(controller_->eventually([&] { return scheduler_->inflight_jobs() == 0; }));
  auto commits = scheduler_->pending_commits();
  EXPECT_EQ(commits[tp(0)], kKeys * kJobsPerKey);
  EXPECT_EQ(commits[tp(1)], 1000 + kKeys * kJobsPerKey);
}

TEST_F(JobSchedulerTest, DifferentKeysRunAtTheSameTime) {
  constexpr int kJobs = 4;
  start({.ordering = Ordering::kKey, .workers = kJobs});
  for (int i = 0; i < kJobs; ++i) submit(job(0, i, "key-" + std::to_string(i)));
  // All of them inside the handler at once: none is released until all have started.
  ASSERT_TRUE(controller_->wait_running(kJobs))
      << "only " << controller_->running().size() << " of " << kJobs << " ran concurrently";
  controller_->release_everything();
  ASSERT_TRUE(controller_->wait_ended_count(kJobs));
}

TEST_F(JobSchedulerTest, SameKeyWaitsEvenWithIdleWorkers) {
  start({.ordering = Ordering::kKey, .workers = 4});
  submit(job(0, 0, "same"));
  submit(job(0, 1, "same"));
  submit(job(0, 2, "other"));
  // "other" (behind the blocked second "same") runs: one busy key does not block the queue.
  ASSERT_TRUE(controller_->wait_started(name_of(0, 2, "other")));
  ASSERT_TRUE(controller_->wait_started(name_of(0, 0, "same")));
  EXPECT_FALSE(controller_->started(name_of(0, 1, "same")));
  controller_->release(name_of(0, 0, "same"));
  ASSERT_TRUE(controller_->wait_started(name_of(0, 1, "same")));
  EXPECT_EQ(controller_->overlaps(), std::vector<std::string>{});
}

TEST_F(JobSchedulerTest, PartitionOrderingRunsOneJobPerPartitionAtATime) {
  start({.ordering = Ordering::kPartition, .workers = 4});
  constexpr int kJobs = 8;
  std::map<int32_t, std::vector<int64_t>> submitted;
  for (int i = 0; i < kJobs; ++i) {
    for (int32_t partition : {0, 1}) {
      const int64_t offset = 100 * partition + i;
      submit(job(partition, offset, "key-" + std::to_string(i)));  // all keys differ
      submitted[partition].push_back(offset);
    }
  }
  // Partitions are independent: one job of each runs at once.
  ASSERT_TRUE(controller_->wait_running(2));
  std::mt19937 rng(99);
  ASSERT_NO_FATAL_FAILURE(release_randomly(*controller_, 2 * kJobs, rng));

  EXPECT_EQ(controller_->overlaps(), std::vector<std::string>{});
  EXPECT_EQ(controller_->max_concurrent(0), 1);
  EXPECT_EQ(controller_->max_concurrent(1), 1);
  EXPECT_EQ(controller_->max_concurrent_total(), 2);
  std::map<int32_t, std::vector<int64_t>> started;
  for (const auto& run : controller_->starts()) started[run.partition].push_back(run.offset);
  EXPECT_EQ(started, submitted);
}

// --- commits ----------------------------------------------------------------------------------

TEST_F(JobSchedulerTest, CommitNeverPassesTheLowestUnfinishedOffset) {
  start({.ordering = Ordering::kKey, .workers = 8});
  constexpr int64_t kFirst = 500;
  constexpr int kJobs = 60;
  std::mt19937 rng(1234);
  std::set<int64_t> unreleased;
  std::map<std::string, int64_t> offset_of;
  for (int i = 0; i < kJobs; ++i) {
    // Mostly distinct keys, some repeated, so completion order is far from offset order.
    const std::string key = "key-" + std::to_string(i % 45);
    submit(job(0, kFirst + i, key));
    unreleased.insert(kFirst + i);
    offset_of[name_of(0, kFirst + i, key)] = kFirst + i;
  }
  // Reading started at kFirst: nothing new to commit yet.
  EXPECT_EQ(offered(0), std::nullopt);

  std::optional<int64_t> marked;  // the last offset "committed" by this test
  auto lowest_unfinished = [&] {
    return unreleased.empty() ? kFirst + kJobs : *unreleased.begin();
  };
  auto check_bound = [&](const char* when) {
    const int64_t commit = offered(0).value_or(marked.value_or(kFirst));
    ASSERT_LE(commit, lowest_unfinished()) << when;
  };
  ASSERT_NO_FATAL_FAILURE(
      release_randomly(*controller_, kJobs, rng, [&](const std::string& released) {
        // Released jobs may be finished by now, unreleased ones certainly are not.
        unreleased.erase(offset_of.at(released));
        check_bound("right after a job ended");
        // The commit catches up with exactly the lowest unfinished offset (never beyond).
        const int64_t expected = lowest_unfinished();
        ASSERT_TRUE(controller_->eventually([&] {
          return offered(0).value_or(marked.value_or(kFirst)) == expected;
        })) << "commit did not reach "
            << expected;
        check_bound("after the scheduler took the finish");
        // Half of the time the offered offset is committed.
        if (auto offer = offered(0); offer && std::bernoulli_distribution(0.5)(rng)) {
          scheduler_->mark_committed(tp(0), *offer);
          marked = *offer;
          ASSERT_EQ(offered(0), std::nullopt) << "a committed offset is not offered again";
        }
      }));
  EXPECT_EQ(offered(0).value_or(marked.value_or(kFirst)), kFirst + kJobs);
}

TEST_F(JobSchedulerTest, FailedCommitIsOfferedAgainAndSuccessfulOneIsNot) {
  start({.ordering = Ordering::kKey, .workers = 2});
  for (const auto& name : {name_of(3, 0, "a"), name_of(3, 1, "b")}) controller_->release(name);
  submit(job(3, 0, "a"));
  submit(job(3, 1, "b"));
  ASSERT_TRUE(controller_->eventually([&] { return offered(3) == 2; }));
  // The commit of 2 failed: nothing is marked, so 2 is offered again, and again.
  EXPECT_EQ(offered(3), 2);
  EXPECT_EQ(offered(3), 2);
  // An earlier offset marked (an older commit that went through) does not hide the newer one.
  scheduler_->mark_committed(tp(3), 1);
  EXPECT_EQ(offered(3), 2);
  scheduler_->mark_committed(tp(3), 2);
  EXPECT_EQ(scheduler_->pending_commits(), (std::map<TopicPartition, int64_t>{}));
  // New work moves it again.
  controller_->release(name_of(3, 2, "c"));
  submit(job(3, 2, "c"));
  ASSERT_TRUE(controller_->eventually([&] { return offered(3) == 3; }));
  // Marking a partition the scheduler does not know is harmless.
  scheduler_->mark_committed(tp(9), 5);
  EXPECT_EQ(scheduler_->pending_commits(), (std::map<TopicPartition, int64_t>{{tp(3), 3}}));
}

TEST_F(JobSchedulerTest, CommitsArePerPartition) {
  start({.ordering = Ordering::kKey, .workers = 4});
  submit(job(0, 10, "a"));
  submit(job(1, 20, "a"));  // same key, other partition: its own lane
  ASSERT_TRUE(controller_->wait_running(2));
  controller_->release(name_of(1, 20, "a"));
  ASSERT_TRUE(controller_->eventually([&] { return offered(1) == 21; }));
  EXPECT_EQ(offered(0), std::nullopt);  // partition 0's job still runs
  controller_->release(name_of(0, 10, "a"));
  ASSERT_TRUE(controller_->eventually([&] { return offered(0) == 11; }));
}

// --- bounds -----------------------------------------------------------------------------------

TEST_F(JobSchedulerTest, SaturatedAtMaxJobsUntilBackToThreeQuarters) {
  start({.ordering = Ordering::kKey, .workers = 8, .max_inflight_jobs = 8});
  for (int i = 0; i < 7; ++i) {
    submit(job(0, i, "k" + std::to_string(i)));
    EXPECT_FALSE(scheduler_->saturated()) << i + 1 << " jobs in flight";
  }
  submit(job(0, 7, "k7"));
  EXPECT_TRUE(scheduler_->saturated());
  ASSERT_TRUE(controller_->wait_running(8));
  EXPECT_EQ(scheduler_->inflight_jobs(), 8u);

  controller_->release(name_of(0, 0, "k0"));
  ASSERT_TRUE(controller_->eventually([&] { return scheduler_->inflight_jobs() == 7; }));
  EXPECT_TRUE(scheduler_->saturated()) << "7 of 8 is above 3/4: still saturated";
  controller_->release(name_of(0, 1, "k1"));
  ASSERT_TRUE(controller_->eventually([&] { return scheduler_->inflight_jobs() == 6; }));
  EXPECT_FALSE(scheduler_->saturated()) << "6 of 8 is 3/4: fetching resumes";

  // Below the bound and no longer paused: filling up again saturates only at the bound.
  submit(job(0, 8, "k8"));
  EXPECT_FALSE(scheduler_->saturated());
  submit(job(0, 9, "k9"));
  EXPECT_TRUE(scheduler_->saturated());
  submit(job(0, 10, "k10"));  // submit never blocks, even over the bound
  EXPECT_TRUE(scheduler_->saturated());
  EXPECT_EQ(scheduler_->inflight_jobs(), 9u);
}

TEST_F(JobSchedulerTest, SaturatedAtMaxBytesUntilBackToThreeQuarters) {
  start({.ordering = Ordering::kKey,
         .workers = 4,
         .max_inflight_jobs = 100,
         .max_inflight_bytes = 1000});
  submit(job(0, 0, "a"), 200);
  submit(job(0, 1, "b"), 500);
  EXPECT_FALSE(scheduler_->saturated());
  EXPECT_EQ(scheduler_->inflight_bytes(), 700u);
  submit(job(0, 2, "c"), 300);
  EXPECT_TRUE(scheduler_->saturated());
  EXPECT_EQ(scheduler_->inflight_bytes(), 1000u);

  controller_->release(name_of(0, 0, "a"));
  ASSERT_TRUE(controller_->eventually([&] { return scheduler_->inflight_bytes() == 800; }));
  EXPECT_TRUE(scheduler_->saturated()) << "800 of 1000 bytes is above 3/4";
  controller_->release(name_of(0, 2, "c"));
  ASSERT_TRUE(controller_->eventually([&] { return scheduler_->inflight_bytes() == 500; }));
  EXPECT_FALSE(scheduler_->saturated());
  EXPECT_EQ(scheduler_->inflight_jobs(), 1u);
}

TEST_F(JobSchedulerTest, JobLargerThanTheByteBoundStillRuns) {
  start({.ordering = Ordering::kKey, .workers = 2, .max_inflight_bytes = 1000});
  submit(job(0, 0, "huge"), 5000);
  EXPECT_TRUE(scheduler_->saturated());
  ASSERT_TRUE(controller_->wait_started(name_of(0, 0, "huge")));
  controller_->release(name_of(0, 0, "huge"));
  ASSERT_TRUE(controller_->eventually([&] { return scheduler_->inflight_jobs() == 0; }));
  EXPECT_EQ(scheduler_->inflight_bytes(), 0u);
  EXPECT_FALSE(scheduler_->saturated());
  EXPECT_EQ(offered(0), 1);
}

// --- revocation -------------------------------------------------------------------------------

TEST_F(JobSchedulerTest, RevokeDropsQueuedJobsAndCommitsJobsFinishingWithinTheGrace) {
  start({.ordering = Ordering::kKey, .workers = 4});
  submit(job(0, 10, "a"));
  submit(job(0, 11, "b"));
  submit(job(0, 12, "a"));  // queued behind 10
  submit(job(0, 13, "b"));  // queued behind 11
  submit(job(1, 0, "x"));   // another partition
  ASSERT_TRUE(controller_->wait_running(3));
  ASSERT_EQ(scheduler_->inflight_jobs(), 5u);

  revoke_ = std::make_unique<Background<std::map<TopicPartition, int64_t>>>(
      [&] { return scheduler_->revoke({tp(0)}, 60s); });
  // The queued jobs are dropped at once; the running ones have the grace.
  ASSERT_TRUE(controller_->eventually([&] { return scheduler_->inflight_jobs() == 3; }));
  EXPECT_FALSE(revoke_->done_within(0ms)) << "revoke returned while jobs were running";
  EXPECT_EQ(controller_->cancelled_now(name_of(0, 10, "a")), false);  // within the grace
  controller_->release(name_of(0, 10, "a"));
  controller_->release(name_of(0, 11, "b"));
  ASSERT_TRUE(revoke_->done_within(kTimeout)) << "revoke did not return once its jobs finished";
  EXPECT_EQ(revoke_->get(), (std::map<TopicPartition, int64_t>{{tp(0), 12}}));

  EXPECT_FALSE(controller_->saw_cancel(name_of(0, 10, "a")));
  EXPECT_FALSE(controller_->saw_cancel(name_of(0, 11, "b")));
  // The other partition's job runs on, not cancelled, and is committed as usual.
  EXPECT_EQ(controller_->cancelled_now(name_of(1, 0, "x")), false);
  EXPECT_EQ(scheduler_->partitions(), std::vector<TopicPartition>{tp(1)});
  controller_->release(name_of(1, 0, "x"));
  ASSERT_TRUE(controller_->eventually([&] { return scheduler_->inflight_jobs() == 0; }));
  EXPECT_EQ(scheduler_->pending_commits(), (std::map<TopicPartition, int64_t>{{tp(1), 1}}));
  // The dropped jobs never ran.
  EXPECT_FALSE(controller_->started(name_of(0, 12, "a")));
  EXPECT_FALSE(controller_->started(name_of(0, 13, "b")));
}

TEST_F(JobSchedulerTest, RevokeCancelsJobsStillRunningAfterTheGraceAndDoesNotCommitThem) {
  start({.ordering = Ordering::kKey, .workers = 4});
  controller_->release(name_of(0, 10, "a"));  // finishes at once
  submit(job(0, 10, "a"));
  submit(job(0, 11, "b"));  // runs past the grace
  submit(job(0, 12, "b"));  // queued
  submit(job(1, 0, "x"));
  ASSERT_TRUE(controller_->wait_ended(name_of(0, 10, "a")));
  ASSERT_TRUE(controller_->wait_started(name_of(0, 11, "b")));
  ASSERT_TRUE(controller_->wait_started(name_of(1, 0, "x")));

  revoke_ = std::make_unique<Background<std::map<TopicPartition, int64_t>>>(
      [&] { return scheduler_->revoke({tp(0)}, 100ms); });
  ASSERT_TRUE(revoke_->done_within(kTimeout));
  // 10 finished (offered even though never committed); 11 was abandoned, so the commit stops
  // at it and the partition's next reader runs it again.
  EXPECT_EQ(revoke_->get(), (std::map<TopicPartition, int64_t>{{tp(0), 11}}));
  EXPECT_TRUE(controller_->saw_cancel(name_of(0, 11, "b")));
  EXPECT_FALSE(controller_->started(name_of(0, 12, "b")));

  EXPECT_EQ(controller_->cancelled_now(name_of(1, 0, "x")), false);
  EXPECT_FALSE(controller_->saw_cancel(name_of(1, 0, "x")));
  controller_->release(name_of(1, 0, "x"));
  ASSERT_TRUE(controller_->eventually([&] { return offered(1) == 1; }));
  EXPECT_EQ(scheduler_->inflight_jobs(), 0u);
  EXPECT_EQ(scheduler_->inflight_bytes(), 0u);
}

TEST_F(JobSchedulerTest, RevokeOffersNothingAlreadyCommitted) {
  start({.ordering = Ordering::kKey, .workers = 2});
  controller_->release(name_of(0, 4, "a"));
  submit(job(0, 4, "a"));
  ASSERT_TRUE(controller_->eventually([&] { return offered(0) == 5; }));
  scheduler_->mark_committed(tp(0), 5);
  EXPECT_EQ(scheduler_->revoke({tp(0)}, 1s), (std::map<TopicPartition, int64_t>{}));
  EXPECT_EQ(scheduler_->partitions(), std::vector<TopicPartition>{});
  // Revoking partitions the scheduler never saw is harmless.
  EXPECT_EQ(scheduler_->revoke({tp(7)}, 1s), (std::map<TopicPartition, int64_t>{}));
}

TEST_F(JobSchedulerTest, RevokedPartitionAssignedAgainStartsAfresh) {
  start({.ordering = Ordering::kKey, .workers = 2});
  controller_->release(name_of(0, 0, "a"));
  submit(job(0, 0, "a"));
  ASSERT_TRUE(controller_->eventually([&] { return offered(0) == 1; }));
  EXPECT_EQ(scheduler_->revoke({tp(0)}, 1s), (std::map<TopicPartition, int64_t>{{tp(0), 1}}));
  // Another consumer committed up to 50 meanwhile; we read from there.
  controller_->release(name_of(0, 50, "a"));
  submit(job(0, 50, "a"));
  ASSERT_TRUE(controller_->eventually([&] { return offered(0) == 51; }));
}

// A partition can be assigned and revoked before any of its jobs was taken. Assigned again,
// its jobs must run: they were all cancelled at once, never finished and never committed (a
// fleet test lost a whole partition's 330 jobs that way).
TEST_F(JobSchedulerTest, PartitionRevokedBeforeAnyJobRunsItsJobsWhenAssignedAgain) {
  start({.ordering = Ordering::kKey, .workers = 2});
  EXPECT_EQ(scheduler_->revoke({tp(0)}, 10ms), (std::map<TopicPartition, int64_t>{}));
  scheduler_->abandon({tp(1)});
  submit(job(0, 0, "a"));
  submit(job(1, 0, "x"));
  ASSERT_TRUE(controller_->wait_started(name_of(0, 0, "a")));
  ASSERT_TRUE(controller_->wait_started(name_of(1, 0, "x")));
  EXPECT_EQ(controller_->cancelled_now(name_of(0, 0, "a")), false)
      << "the job is cancelled as if its partition were still being revoked";
  EXPECT_EQ(controller_->cancelled_now(name_of(1, 0, "x")), false);
  controller_->release(name_of(0, 0, "a"));
  controller_->release(name_of(1, 0, "x"));
  ASSERT_TRUE(controller_->eventually([&] { return offered(0) == 1 && offered(1) == 1; }));
  EXPECT_FALSE(controller_->saw_cancel(name_of(0, 0, "a")));
}

// A job that ignores cancellation outlives revoke() (which waits a bounded time for it); the
// partition comes back with the same offsets; the old job then finishes. Its finish belongs to
// the old assignment and must not mark the new assignment's offset as done.
// Slow: revoke() waits a fixed 30 s for cancelled jobs before abandoning them.
TEST_F(JobSchedulerTest, LateFinishOfARevokedJobDoesNotMoveTheNewAssignmentsOffsets) {
  start({.ordering = Ordering::kKey, .workers = 4, .cancel_wait = 300ms});
  const std::string old_a = "a, first assignment";
  const std::string new_a = "a, second assignment";
  controller_->ignore_cancellation(old_a);
  submit(job(0, 5, "a", old_a));
  ASSERT_TRUE(controller_->wait_started(old_a));

  revoke_ = std::make_unique<Background<std::map<TopicPartition, int64_t>>>(
      [&] { return scheduler_->revoke({tp(0)}, 10ms); });
  ASSERT_TRUE(controller_->eventually([&] { return controller_->cancelled_now(old_a) == true; }))
      << "the job past its grace was not cancelled";
  ASSERT_TRUE(revoke_->done_within(60s)) << "revoke did not give up on the stuck job";
  EXPECT_EQ(revoke_->get(), (std::map<TopicPartition, int64_t>{}));  // 5 never finished
  ASSERT_FALSE(controller_->started(new_a));
  ASSERT_EQ(controller_->running(), std::vector<std::string>{old_a});

  // Assigned again: offsets 5 and 6 are read anew.
  submit(job(0, 5, "a", new_a));
  submit(job(0, 6, "b"));
  controller_->release(name_of(0, 6, "b"));
  ASSERT_TRUE(controller_->wait_ended(name_of(0, 6, "b")));
  EXPECT_EQ(controller_->cancelled_now(old_a), true) << "still the old assignment's job";
  // The same key never runs twice at once, even across assignments.
  EXPECT_FALSE(controller_->started(new_a));

  controller_->release(old_a, /*finished=*/true);
  // The lane is freed with the old job's finish: the new instance runs after it.
  ASSERT_TRUE(controller_->wait_started(new_a));
  EXPECT_EQ(offered(0), std::nullopt) << "the old job's finish moved the new assignment's commit";
  EXPECT_EQ(controller_->cancelled_now(new_a), false);
  controller_->release(new_a);
  ASSERT_TRUE(controller_->eventually([&] { return offered(0) == 7; }));
  EXPECT_EQ(controller_->overlaps(), std::vector<std::string>{});
  EXPECT_EQ(scheduler_->inflight_jobs(), 0u);
}

// A lost partition is the group's already: abandon() must not keep the consumer (and so the
// group) waiting for jobs that ignore cancellation, and their late finish counts for nothing.
TEST_F(JobSchedulerTest, AbandonReturnsAtOnceCancelsRunningJobsAndIgnoresTheirFinish) {
  start({.ordering = Ordering::kKey, .workers = 4, .cancel_wait = 60s});
  const std::string stuck = "a, lost assignment";
  controller_->ignore_cancellation(stuck);
  submit(job(0, 5, "a", stuck));
  submit(job(0, 6, "b"));  // runs, obeys cancellation
  submit(job(0, 7, "a"));  // queued behind the stuck job's lane
  submit(job(1, 0, "x"));  // another partition
  ASSERT_TRUE(controller_->wait_started(stuck));
  ASSERT_TRUE(controller_->wait_started(name_of(0, 6, "b")));
  ASSERT_TRUE(controller_->wait_started(name_of(1, 0, "x")));

  Background<bool> abandon([&] {
    scheduler_->abandon({tp(0)});
    return true;
  });
  ASSERT_TRUE(abandon.done_within(kTimeout)) << "abandon() waited for the stuck job";
  EXPECT_TRUE(controller_->wait_ended(name_of(0, 6, "b")));
  EXPECT_TRUE(controller_->saw_cancel(name_of(0, 6, "b")));
  EXPECT_EQ(controller_->cancelled_now(stuck), true);
  EXPECT_FALSE(controller_->started(name_of(0, 7, "a")));
  EXPECT_EQ(scheduler_->partitions(), std::vector<TopicPartition>{tp(1)});

  // The stuck job finishes after all: nothing of partition 0 is offered for commit.
  controller_->release(stuck, /*finished=*/true);
  ASSERT_TRUE(controller_->wait_ended(stuck));
  EXPECT_EQ(offered(0), std::nullopt);
  // The other partition was left alone.
  EXPECT_EQ(controller_->cancelled_now(name_of(1, 0, "x")), false);
  controller_->release(name_of(1, 0, "x"));
  ASSERT_TRUE(controller_->eventually([&] { return offered(1) == 1; }));
  EXPECT_TRUE(controller_->eventually([&] { return scheduler_->inflight_jobs() == 0; }));
}

// --- shutdown ---------------------------------------------------------------------------------

TEST_F(JobSchedulerTest, DestructorCancelsRunningJobsAndReturns) {
  start({.ordering = Ordering::kKey, .workers = 2});
  submit(job(0, 0, "a"));
  submit(job(0, 1, "b"));
  submit(job(0, 2, "a"));  // queued: never runs
  ASSERT_TRUE(controller_->wait_running(2));

  Background<bool> destroy([&] {
    scheduler_.reset();
    return true;
  });
  const bool returned = destroy.done_within(kTimeout);
  if (!returned) controller_->release_everything();  // so the test fails instead of hanging
  ASSERT_TRUE(returned) << "~JobScheduler did not cancel its running jobs";
  EXPECT_TRUE(controller_->saw_cancel(name_of(0, 0, "a")));
  EXPECT_TRUE(controller_->saw_cancel(name_of(0, 1, "b")));
  EXPECT_FALSE(controller_->started(name_of(0, 2, "a")));
}

}  // namespace
}  // namespace upfleet
