#include "worker/job_loop.h"

#include "common/job.h"
#include "common/log.h"

namespace upfleet {

uint64_t job_bytes(const JobMessage& message) {
  auto job = parse_job(message.value);
  return job ? job->source.size : 0;
}

JobLoop::JobLoop(JobSource& source, JobRunner& runner, WorkerMetrics& metrics,
                 JobLoopOptions options, const Clock& clock)
    : source_(source),
      metrics_(metrics),
      options_(options),
      clock_(clock),
      scheduler_(options.scheduler,
                 [&runner](const JobMessage& message, const std::function<bool()>& cancelled) {
                   return runner.run(message, cancelled);
                 }) {
  source_.set_rebalance_listener(this);
}

JobLoop::~JobLoop() {
  source_.set_rebalance_listener(nullptr);
}

void JobLoop::commit(const std::map<TopicPartition, int64_t>& offsets,
                     const std::map<TopicPartition, std::string>* notes) {
  for (const auto& [tp, offset] : offsets) {
    std::string note;
    if (notes != nullptr) {
      if (auto it = notes->find(tp); it != notes->end()) note = it->second;
    } else {
      note = scheduler_.note(tp);
    }
    if (auto committed = source_.commit_offset(tp, offset, note); committed) {
      scheduler_.mark_committed(tp, offset);
    } else {
      // Offered again at the next commit; worst case the jobs since run once more.
      metrics_.commit_failures.Increment();
      log::warn(
          "offset commit failed",
          {{"partition", tp.partition}, {"offset", offset}, {"error", committed.error().message}});
    }
  }
}

bool JobLoop::finished_before(const JobMessage& message) {
  auto it = notes_.find({message.topic, message.partition});
  if (it == notes_.end()) return false;
  const bool finished = it->second.finished(message.offset);
  if (message.offset >= it->second.highest) notes_.erase(it);  // the note is used up
  if (finished) {
    scheduler_.skip(message);
    metrics_.jobs_skipped_by_note.Increment();
  }
  return finished;
}

void JobLoop::on_assigned(const std::vector<TopicPartition>& partitions) {
  assigned_.insert(partitions.begin(), partitions.end());
  if (options_.before_assigned_work) options_.before_assigned_work();
  for (const auto& [tp, metadata] : source_.committed_metadata(partitions)) {
    if (auto note = parse_offset_note(metadata)) notes_[tp] = std::move(*note);
  }
  // New partitions take the current fetch state. librdkafka keeps a partition's pause flag
  // across revocation and reassignment, so one revoked while paused would come back paused
  // and, with fetching resumed meanwhile, never be resumed.
  const Status set = paused_ ? source_.pause(partitions) : source_.resume(partitions);
  if (!set) log::warn("pause/resume of new partitions failed", {{"error", set.error().message}});
}

void JobLoop::on_revoking(const std::vector<TopicPartition>& partitions) {
  log::info("partitions being revoked; finishing their jobs",
            {{"count", partitions.size()}, {"grace_ms", options_.shutdown_grace.count()}});
  std::map<TopicPartition, std::string> notes;
  commit(scheduler_.revoke(partitions, options_.shutdown_grace, &notes), &notes);
  for (const auto& tp : partitions) {
    assigned_.erase(tp);
    notes_.erase(tp);
    metrics_.clear_consumer_lag(tp.partition);
  }
}

void JobLoop::on_lost(const std::vector<TopicPartition>& partitions) {
  log::warn("partitions lost (session expired?); abandoning their jobs",
            {{"count", partitions.size()}});
  (void)scheduler_.revoke(partitions, std::chrono::milliseconds(0));  // nothing to commit
  for (const auto& tp : partitions) {
    assigned_.erase(tp);
    notes_.erase(tp);
    metrics_.clear_consumer_lag(tp.partition);
  }
}

void JobLoop::apply_backpressure() {
  const bool full = scheduler_.saturated();
  if (full == paused_) return;
  const std::vector<TopicPartition> all(assigned_.begin(), assigned_.end());
  Status changed = full ? source_.pause(all) : source_.resume(all);
  if (!changed) {
    log::warn("pause/resume failed", {{"error", changed.error().message}});
    return;
  }
  paused_ = full;
  log::debug(full ? "in-flight bounds reached; fetching paused" : "fetching resumed",
             {{"inflight_jobs", scheduler_.inflight_jobs()},
              {"inflight_bytes", scheduler_.inflight_bytes()}});
}

void JobLoop::update_gauges() {
  metrics_.assigned_partitions.Set(static_cast<double>(assigned_.size()));
  metrics_.paused_partitions.Set(paused_ ? static_cast<double>(assigned_.size()) : 0.0);
  metrics_.inflight_bytes.Set(static_cast<double>(scheduler_.inflight_bytes()));
  metrics_.queued_jobs.Set(static_cast<double>(scheduler_.inflight_jobs()));
  const uint64_t rebalances = source_.rebalance_count();
  if (rebalances > rebalances_seen_) {
    metrics_.rebalances.Increment(static_cast<double>(rebalances - rebalances_seen_));
    rebalances_seen_ = rebalances;
  }
}

void JobLoop::run() {
  auto next_commit = clock_.steady_now() + options_.commit_interval;
  while (!stopping_.load()) {
    // Short polls keep group membership alive during long uploads and let commits flow.
    auto polled = source_.poll(std::chrono::milliseconds(100));
    if (!polled) {
      log::warn("kafka consumer error", {{"error", polled.error().message}});
    } else if (*polled) {
      JobMessage& message = **polled;
      if (!finished_before(message)) {
        const uint64_t bytes = job_bytes(message);
        scheduler_.submit(std::move(message), bytes);
      }
    }
    apply_backpressure();
    if (clock_.steady_now() >= next_commit) {
      commit(scheduler_.pending_commits());
      next_commit = clock_.steady_now() + options_.commit_interval;
    }
    update_gauges();
  }
  log::info("stopping: finishing jobs in flight", {{"inflight_jobs", scheduler_.inflight_jobs()},
                                                   {"grace_ms", options_.shutdown_grace.count()}});
  std::map<TopicPartition, std::string> notes;
  commit(scheduler_.revoke(scheduler_.partitions(), options_.shutdown_grace, &notes), &notes);
}

}  // namespace upfleet
