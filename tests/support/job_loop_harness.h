// What tests of JobLoop and JobRunner share: claim checks served from memory, an object store
// that holds PUTs until the test lets them through, a JobRunner wired to fakes, and a JobLoop
// running on its own thread.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/job.h"
#include "common/job_source.h"
#include "common/object_store.h"
#include "tests/fakes/fake_dead_letter_sink.h"
#include "tests/fakes/fake_status_sink.h"
#include "tests/fakes/in_memory_object_store.h"
#include "worker/job_loop.h"
#include "worker/job_runner.h"
#include "worker/source_opener.h"
#include "worker/upload_job_handler.h"
#include "worker/worker_metrics.h"

namespace upfleet::testing {

// The bucket the harness's runner stores jobs without a bucket in.
inline const std::string kHarnessBucket = "media";
// The longest the harness waits for something: only reached when something is broken.
inline constexpr std::chrono::milliseconds kHarnessTimeout{20'000};

// Serves claim checks from memory: uri -> bytes; unknown URIs are kNotFound. Thread-safe.
class MemorySourceOpener final : public SourceOpener {
 public:
  void add(std::string uri, std::string data);
  Result<std::unique_ptr<ByteSource>> open(const ClaimCheck& source) override;

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> sources_;  // guarded by mutex_
};

// An upload job of `key` (job-<id>, upload-<id>, spooled at ingest-0) whose claim check
// `sources` now serves `data`.
Job spooled_upload_job(MemorySourceOpener& sources, const std::string& id, const std::string& key,
                       const std::string& data);

// A message of the job topic as the source hands it out.
JobMessage job_message(std::string topic, int32_t partition, int64_t offset, std::string key,
                       std::string value);

// An in-memory store whose put_object waits while its key is held, until the test releases it
// (or the put's job is cancelled: kCancelled, as S3ObjectStore). Keys pass unless held; after
// hold_all() every key waits unless released. Thread-safe.
class GatedObjectStore final : public ObjectStore {
 public:
  Result<ObjectInfo> put_object(const ObjectRef& ref, ByteSource& body,
                                const PutOptions& options) override;
  Result<ObjectInfo> head_object(const ObjectRef& ref) override { return inner_.head_object(ref); }
  Status get_object(const ObjectRef& ref, uint64_t offset, uint64_t length,
                    const std::function<bool(std::string_view)>& sink) override {
    return inner_.get_object(ref, offset, length, sink);
  }
  Status delete_object(const ObjectRef& ref) override { return inner_.delete_object(ref); }
  std::string object_url(const ObjectRef& ref) const override { return inner_.object_url(ref); }

  void hold(const std::string& key);
  void release(const std::string& key);
  // Every key, also the ones named before: hold_all() holds them, release_all() lets them go.
  void hold_all();
  void release_all();

  // Waits until exactly these keys are waiting in put_object; false on timeout.
  bool wait_blocked(const std::set<std::string>& keys,
                    std::chrono::milliseconds timeout = kHarnessTimeout);
  std::set<std::string> blocked() const;
  // True when a put of `key` gave up because its job was cancelled.
  bool was_cancelled(const std::string& key) const;
  // True when `key` is stored in kHarnessBucket.
  bool stored(const std::string& key) const;

 private:
  bool held(const std::string& key) const;  // with mutex_ held

  InMemoryObjectStore inner_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool hold_by_default_ = false;       // guarded by mutex_
  std::map<std::string, bool> gates_;  // key -> held; guarded by mutex_
  std::set<std::string> blocked_;      // guarded by mutex_
  std::set<std::string> cancelled_;    // guarded by mutex_
};

// A fixture with a JobRunner wired to fakes: `Store` for objects, claim checks from memory,
// statuses and dead letters recorded, jobs without a bucket going to kHarnessBucket.
template <typename Store, typename TestClock>
class JobRunnerFixture : public ::testing::Test {
 protected:
  explicit JobRunnerFixture(BackoffPolicy retry)
      : runner_(uploads_, store_, statuses_, dead_letters_, metrics_, retry, kHarnessBucket,
                clock_) {}

  TestClock clock_;
  Store store_;
  MemorySourceOpener sources_;
  FakeStatusSink statuses_;
  FakeDeadLetterSink dead_letters_;
  WorkerMetrics metrics_{std::make_shared<prometheus::Registry>()};
  UploadJobHandler uploads_{store_, sources_, kHarnessBucket, clock_};
  JobRunner runner_;
};

// A JobLoop running on its own thread, as on the worker's main thread. Destruction stops the
// loop and waits for run() to return.
class JobLoopThread {
 public:
  JobLoopThread(JobSource& source, JobRunner& runner, WorkerMetrics& metrics,
                JobLoopOptions options, const Clock& clock)
      : loop_(source, runner, metrics, std::move(options), clock) {}
  ~JobLoopThread() {
    loop_.stop();
    join();
  }
  JobLoopThread(const JobLoopThread&) = delete;
  JobLoopThread& operator=(const JobLoopThread&) = delete;

  // The loop, e.g. as the rebalance listener; start() only after wiring it up.
  JobLoop& loop() { return loop_; }

  // Calls run() on a new thread; once only.
  void start() {
    thread_ = std::thread([this] {
      loop_.run();
      std::lock_guard lock(mutex_);
      returned_ = true;
      returned_changed_.notify_all();
    });
  }
  void stop() { loop_.stop(); }
  // Waits until run() returned; false on timeout.
  bool wait_returned(std::chrono::milliseconds timeout = kHarnessTimeout) {
    std::unique_lock lock(mutex_);
    return returned_changed_.wait_for(lock, timeout, [&] { return returned_; });
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  JobLoop loop_;
  std::mutex mutex_;
  std::condition_variable returned_changed_;
  bool returned_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace upfleet::testing
