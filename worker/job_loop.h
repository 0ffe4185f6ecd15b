// The worker's consume loop: polls the job source, hands messages to the key-ordered
// scheduler, stops taking messages while the scheduler is full (and pauses fetching when that
// lasts), commits finished offsets
// periodically and on revocation, and on stop lets jobs in flight finish within the grace.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <set>

#include "common/clock.h"
#include "common/job_source.h"
#include "worker/first_deliveries.h"
#include "worker/job_runner.h"
#include "worker/job_scheduler.h"
#include "worker/offset_note.h"
#include "worker/worker_metrics.h"

namespace upfleet {

struct JobLoopOptions {
  SchedulerOptions scheduler;
  std::chrono::milliseconds commit_interval{1'000};
  std::chrono::milliseconds shutdown_grace{25'000};  // also the grace for revoked partitions
  // Called when partitions are assigned, before their messages are read (e.g. to bring the
  // status index up to date, so redelivered jobs that are already done are recognised).
  std::function<void()> before_assigned_work;
  // How long on_assigned waits for the new partitions' high watermarks (which tell first
  // deliveries from repeats; partitions it misses treat every message as a possible repeat).
  std::chrono::milliseconds watermark_timeout{5'000};
  // How long the scheduler may stay full before fetching is paused. Until then the loop only
  // stops taking messages (librdkafka keeps prefetching): pausing throws the prefetched
  // messages away and librdkafka 2.0 takes up to a second to fetch again after a resume,
  // which left fast small jobs with nothing to run. Rebalances wait at most this long.
  std::chrono::milliseconds pause_after{1'000};
};

class JobLoop final : public RebalanceListener {
 public:
  JobLoop(JobSource& source, JobRunner& runner, WorkerMetrics& metrics, JobLoopOptions options,
          const Clock& clock);
  ~JobLoop() override;

  // Consumes until stop(); then finishes (within the grace) and commits. Blocking; call from
  // one thread.
  void run();
  // Asks run() to wind down (thread-safe, callable from a signal thread). Jobs running get
  // the grace; jobs taken but not started are left to the partitions' next reader.
  void stop() { stopping_ = true; }
  // True when every job taken from the source is finished.
  bool idle() const { return scheduler_.inflight_jobs() == 0; }

  void on_assigned(const std::vector<TopicPartition>& partitions) override;
  void on_revoking(const std::vector<TopicPartition>& partitions) override;
  void on_lost(const std::vector<TopicPartition>& partitions) override;

 private:
  // Commits the offsets, each with its partition's note (from `notes`, or the scheduler's).
  void commit(const std::map<TopicPartition, int64_t>& offsets,
              const std::map<TopicPartition, std::string>* notes = nullptr);
  // True (and recorded as finished) when an earlier reader already finished this job.
  bool finished_before(const JobMessage& message);
  // Polls the source once and hands what came to the scheduler.
  void take_one();
  void apply_backpressure();
  // Pauses / resumes those of `partitions` not yet in that state (see JobSource::pause).
  void set_fetching(const std::vector<TopicPartition>& partitions, bool fetch);
  void update_gauges();

  JobSource& source_;
  WorkerMetrics& metrics_;
  const JobLoopOptions options_;
  const Clock& clock_;
  JobScheduler scheduler_;
  std::set<TopicPartition> assigned_;           // poll thread only
  std::map<TopicPartition, OffsetNote> notes_;  // from the last owner; poll thread only
  FirstDeliveries first_deliveries_;            // poll thread only
  bool paused_ = false;                         // poll thread only
  bool saturated_ = false;                      // poll thread only
  // When the scheduler became full (unset while it is not); poll thread only.
  std::optional<std::chrono::steady_clock::time_point> saturated_since_;
  // Partitions this consumer paused and has not resumed, revoked ones included (the pause
  // outlives revocation); poll thread only.
  std::set<TopicPartition> source_paused_;
  uint64_t rebalances_seen_ = 0;
  std::atomic<bool> stopping_{false};
};

// The size the scheduler accounts for a message: the job's source size, 0 if unparseable.
uint64_t job_bytes(const JobMessage& message);

}  // namespace upfleet
