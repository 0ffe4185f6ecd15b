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
  // New partitions take the current fetch state, before anything slow happens here: a
  // partition revoked while paused comes back paused, and changing the state of one that
  // is already fetching loses what was fetched (see JobSource::pause).
  set_fetching(partitions, !paused_);
  // Messages produced from now on cannot have reached an earlier owner of the partition.
  for (const auto& [tp, high] : source_.high_watermarks(partitions, options_.watermark_timeout)) {
    first_deliveries_.assigned(tp, high);
  }
  if (options_.before_assigned_work) options_.before_assigned_work();
  for (const auto& [tp, metadata] : source_.committed_metadata(partitions)) {
    if (auto note = parse_offset_note(metadata)) notes_[tp] = std::move(*note);
  }
}

void JobLoop::on_revoking(const std::vector<TopicPartition>& partitions) {
  log::info("partitions being revoked; finishing their jobs",
            {{"count", partitions.size()}, {"grace_ms", options_.shutdown_grace.count()}});
  std::map<TopicPartition, std::string> notes;
  commit(scheduler_.revoke(partitions, options_.shutdown_grace, &notes), &notes);
  for (const auto& tp : partitions) {
    assigned_.erase(tp);
    notes_.erase(tp);
    first_deliveries_.forget(tp);
    metrics_.clear_consumer_lag(tp.partition);
  }
}

void JobLoop::on_lost(const std::vector<TopicPartition>& partitions) {
  log::warn("partitions lost (session expired?); abandoning their jobs",
            {{"count", partitions.size()}});
  // Nothing to commit (the group moved on) and no reason to keep the group waiting.
  scheduler_.abandon(partitions);
  for (const auto& tp : partitions) {
    assigned_.erase(tp);
    notes_.erase(tp);
    first_deliveries_.forget(tp);
    metrics_.clear_consumer_lag(tp.partition);
  }
}

void JobLoop::set_fetching(const std::vector<TopicPartition>& partitions, bool fetch) {
  std::vector<TopicPartition> changing;
  for (const auto& tp : partitions) {
    if (source_paused_.contains(tp) == fetch) changing.push_back(tp);
  }
  if (changing.empty()) return;
  if (Status set = fetch ? source_.resume(changing) : source_.pause(changing); !set) {
    log::warn(fetch ? "resuming partitions failed" : "pausing partitions failed",
              {{"error", set.error().message}});
    return;
  }
  for (const auto& tp : changing) {
    if (fetch) {
      source_paused_.erase(tp);
    } else {
      source_paused_.insert(tp);
    }
  }
}

void JobLoop::apply_backpressure() {
  saturated_ = scheduler_.saturated();
  const auto now = clock_.steady_now();
  if (!saturated_) {
    saturated_since_.reset();
  } else if (!saturated_since_) {
    saturated_since_ = now;
  }
  const bool pause = saturated_ && now - *saturated_since_ >= options_.pause_after;
  if (pause != paused_) {
    paused_ = pause;
    log::debug(pause ? "in-flight bounds reached for a while; fetching paused" : "fetching resumed",
               {{"inflight_jobs", scheduler_.inflight_jobs()},
                {"inflight_bytes", scheduler_.inflight_bytes()}});
  }
  // Every time, not only on a change: a pause or resume that failed is tried again.
  set_fetching({assigned_.begin(), assigned_.end()}, !paused_);
}

void JobLoop::update_gauges() {
  metrics_.assigned_partitions.Set(static_cast<double>(assigned_.size()));
  size_t paused = 0;
  for (const auto& tp : assigned_) paused += source_paused_.contains(tp) ? 1 : 0;
  metrics_.paused_partitions.Set(static_cast<double>(paused));
  metrics_.inflight_bytes.Set(static_cast<double>(scheduler_.inflight_bytes()));
  metrics_.queued_jobs.Set(static_cast<double>(scheduler_.inflight_jobs()));
  const uint64_t rebalances = source_.rebalance_count();
  if (rebalances > rebalances_seen_) {
    metrics_.rebalances.Increment(static_cast<double>(rebalances - rebalances_seen_));
    rebalances_seen_ = rebalances;
  }
}

void JobLoop::take_one() {
  // Short polls keep group membership alive during long uploads and let commits flow.
  auto polled = source_.poll(std::chrono::milliseconds(100));
  if (!polled) {
    log::warn("kafka consumer error", {{"error", polled.error().message}});
    return;
  }
  if (!*polled) return;
  JobMessage& message = **polled;
  message.first_delivery =
      first_deliveries_.first({message.topic, message.partition}, message.offset);
  if (!finished_before(message)) {
    const uint64_t bytes = job_bytes(message);
    scheduler_.submit(std::move(message), bytes);
  }
}

void JobLoop::run() {
  auto next_commit = clock_.steady_now() + options_.commit_interval;
  while (!stopping_.load()) {
    if (saturated_ && !paused_) {
      // Full for the moment: wait for room rather than take more, without pausing yet.
      scheduler_.wait_for_room(std::chrono::milliseconds(50));
    } else {
      take_one();
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
