// Key-ordered concurrency for the messages of a consumer (as in Confluent's Parallel
// Consumer): jobs with different keys run at the same time, jobs with the same key strictly in
// the order they were read. Per partition it tracks which offsets are finished, so commits
// only ever cover finished jobs (contiguous commit), and it bounds the jobs and bytes in
// flight so the consumer can pause fetching instead of buffering without limit.
//
// Threads: all public methods are thread-safe; submit(), saturated(), the commit calls and
// revoke() are meant for the consumer's poll thread. Jobs run on the scheduler's own threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/job_source.h"
#include "worker/offset_tracker.h"

namespace upfleet {

enum class Ordering {
  kKey,        // same key in order, different keys concurrently
  kPartition,  // one job at a time per partition (the classic consumer)
  kNone,       // no ordering at all (for comparison; same-key jobs may overlap)
};

std::string_view to_string(Ordering ordering);

struct SchedulerOptions {
  Ordering ordering = Ordering::kKey;
  int workers = 8;                           // threads running jobs
  int max_inflight_jobs = 64;                // submitted and not finished
  uint64_t max_inflight_bytes = 8ull << 30;  // sum of the jobs' sizes in flight
  // After revoke cancelled its running jobs: how long it waits for them to stop before it
  // gives the partitions up anyway (a stuck job's late finish is then ignored).
  std::chrono::milliseconds cancel_wait{30000};
};

class JobScheduler {
 public:
  // Runs one job to its end. Returns true when the job is finished (its offset may be
  // committed: done, skipped or dead-lettered), false when it was abandoned (stopping or its
  // partition revoked; it will run again elsewhere). `cancelled` turns true when the job
  // should give up soon. Called concurrently for different keys.
  using Handler = std::function<bool(const JobMessage&, const std::function<bool()>& cancelled)>;

  JobScheduler(SchedulerOptions options, Handler handler);
  ~JobScheduler();  // stops the workers; running jobs are cancelled and abandoned
  JobScheduler(const JobScheduler&) = delete;
  JobScheduler& operator=(const JobScheduler&) = delete;

  // Accepts a message (never blocks). `bytes` is the job's size for the bytes bound.
  void submit(JobMessage message, uint64_t bytes);
  // Records a message as finished without running it (an earlier reader finished it).
  void skip(const JobMessage& message);

  // True while the bounds are reached: the consumer should pause fetching. False again once
  // in-flight work fell to 3/4 of the bounds (hysteresis, so pause/resume does not flap).
  bool saturated();
  // Waits until in-flight work is within 3/4 of the bounds (where saturated() turns false),
  // or `timeout` passed, or the scheduler is stopping.
  void wait_for_room(std::chrono::milliseconds timeout);

  // Partitions whose committable offset differs from the last one marked committed.
  std::map<TopicPartition, int64_t> pending_commits() const;
  // Records a successful commit (a failed one is simply offered again next time).
  void mark_committed(const TopicPartition& tp, int64_t offset);
  // The note to commit with the partition's offset (see worker/offset_note.h).
  std::string note(const TopicPartition& tp) const;

  // The partitions are going away: queued jobs of them are dropped, running ones get until
  // `grace` to finish and are then cancelled and abandoned. Returns the final committable
  // offsets of those partitions not committed yet (commit them before giving the partitions
  // up). Blocks.
  std::map<TopicPartition, int64_t> revoke(const std::vector<TopicPartition>& partitions,
                                           std::chrono::milliseconds grace,
                                           std::map<TopicPartition, std::string>* notes = nullptr);
  // The partitions are gone already (the group took them back): queued jobs are dropped and
  // running ones cancelled at once, without waiting for them; whatever they do later is
  // ignored. Does not block on jobs.
  void abandon(const std::vector<TopicPartition>& partitions);

  size_t inflight_jobs() const;
  uint64_t inflight_bytes() const;
  // Partitions with jobs tracked (finished or not) since their last revocation.
  std::vector<TopicPartition> partitions() const;

 private:
  struct Entry {
    JobMessage message;
    uint64_t bytes = 0;
    uint64_t epoch = 0;  // of its partition when submitted
    std::string lane;    // ordering key
  };
  // Removes the queued jobs of `going` (mutex_ held).
  void drop_queued(const std::set<TopicPartition>& going);
  struct PartitionState {
    OffsetTracker offsets;
    uint64_t epoch = 0;
    std::optional<int64_t> last_committed;
    int running = 0;
  };

  std::string lane_of(const JobMessage& message) const;
  // The partition's state, created (with a new epoch) on first sight. Lock held.
  PartitionState& state_for(const JobMessage& message);
  void work();
  // Takes the next runnable entry (its lane not busy); nullopt if none. Lock held.
  std::optional<Entry> take_runnable();
  void finish(const Entry& entry, bool finished);
  bool within_low_water() const;  // lock held

  const SchedulerOptions options_;
  const Handler handler_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Entry> queue_;           // in arrival order
  std::set<std::string> busy_lanes_;  // lanes with a job running
  std::map<TopicPartition, PartitionState> partitions_;
  std::set<TopicPartition> revoking_;  // their jobs are cancelled
  uint64_t next_epoch_ = 1;
  size_t inflight_jobs_ = 0;
  uint64_t inflight_bytes_ = 0;
  bool paused_ = false;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace upfleet
