#include "worker/job_scheduler.h"

#include <algorithm>

#include "worker/offset_note.h"

namespace upfleet {

std::string_view to_string(Ordering ordering) {
  switch (ordering) {
    case Ordering::kKey: return "key";
    case Ordering::kPartition: return "partition";
    case Ordering::kNone: return "none";
  }
  return "key";
}

JobScheduler::JobScheduler(SchedulerOptions options, Handler handler)
    : options_(options), handler_(std::move(handler)) {
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this] { work(); });
  }
}

JobScheduler::~JobScheduler() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& worker : workers_) worker.join();
}

std::string JobScheduler::lane_of(const JobMessage& message) const {
  // Keys are scoped by partition: the same key always lands in one partition anyway, and
  // scoping keeps revocation of one partition from touching another's lanes.
  const std::string partition = message.topic + "/" + std::to_string(message.partition);
  if (options_.ordering == Ordering::kPartition) return partition;
  if (options_.ordering == Ordering::kNone) return partition + "@" + std::to_string(message.offset);
  return partition + "/" + message.key;
}

JobScheduler::PartitionState& JobScheduler::state_for(const JobMessage& message) {
  auto [it, created] = partitions_.try_emplace({message.topic, message.partition});
  if (created) {
    it->second.epoch = next_epoch_++;
    // Reading started here, so the group's committed offset is at least this: committing it
    // again would say nothing new.
    it->second.last_committed = message.offset;
  }
  return it->second;
}

void JobScheduler::skip(const JobMessage& message) {
  std::lock_guard lock(mutex_);
  PartitionState& state = state_for(message);
  state.offsets.started(message.offset);
  state.offsets.finished(message.offset);
}

void JobScheduler::submit(JobMessage message, uint64_t bytes) {
  {
    std::lock_guard lock(mutex_);
    PartitionState& state = state_for(message);
    state.offsets.started(message.offset);
    Entry entry{std::move(message), bytes, state.epoch, {}};
    entry.lane = lane_of(entry.message);
    queue_.push_back(std::move(entry));
    ++inflight_jobs_;
    inflight_bytes_ += bytes;
  }
  changed_.notify_all();
}

bool JobScheduler::within_low_water() const {
  return inflight_jobs_ * 4 <= static_cast<size_t>(options_.max_inflight_jobs) * 3 &&
         inflight_bytes_ <= options_.max_inflight_bytes / 4 * 3;
}

bool JobScheduler::saturated() {
  std::lock_guard lock(mutex_);
  if (inflight_jobs_ >= static_cast<size_t>(options_.max_inflight_jobs) ||
      inflight_bytes_ >= options_.max_inflight_bytes) {
    paused_ = true;
  } else if (paused_ && within_low_water()) {
    paused_ = false;
  }
  return paused_;
}

void JobScheduler::wait_for_room(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return stopping_ || within_low_water(); });
}

std::optional<JobScheduler::Entry> JobScheduler::take_runnable() {
  std::set<std::string> passed;  // lanes whose first queued entry cannot run
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (busy_lanes_.contains(it->lane) || passed.contains(it->lane)) {
      passed.insert(it->lane);
      continue;
    }
    Entry entry = std::move(*it);
    queue_.erase(it);
    return entry;
  }
  return std::nullopt;
}

void JobScheduler::work() {
  for (;;) {
    std::optional<Entry> entry;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] {
        if (stopping_) return true;
        entry = take_runnable();
        return entry.has_value();
      });
      if (stopping_) return;
      busy_lanes_.insert(entry->lane);
      partitions_[{entry->message.topic, entry->message.partition}].running += 1;
    }
    const TopicPartition tp{entry->message.topic, entry->message.partition};
    const uint64_t epoch = entry->epoch;
    auto cancelled = [this, tp, epoch] {
      std::lock_guard lock(mutex_);
      if (stopping_ || revoking_.contains(tp)) return true;
      auto it = partitions_.find(tp);
      return it == partitions_.end() || it->second.epoch != epoch;
    };
    const bool finished = handler_(entry->message, cancelled);
    finish(*entry, finished);
  }
}

void JobScheduler::finish(const Entry& entry, bool finished) {
  {
    std::lock_guard lock(mutex_);
    busy_lanes_.erase(entry.lane);
    --inflight_jobs_;
    inflight_bytes_ -= entry.bytes;
    auto it = partitions_.find({entry.message.topic, entry.message.partition});
    // A partition revoked (and perhaps assigned again) meanwhile has a new epoch: this job's
    // outcome belongs to the old assignment and must not move the new one's offsets.
    if (it != partitions_.end() && it->second.epoch == entry.epoch) {
      it->second.running -= 1;
      if (finished) it->second.offsets.finished(entry.message.offset);
    }
  }
  changed_.notify_all();
}

std::map<TopicPartition, int64_t> JobScheduler::pending_commits() const {
  std::lock_guard lock(mutex_);
  std::map<TopicPartition, int64_t> commits;
  for (const auto& [tp, state] : partitions_) {
    auto offset = state.offsets.committable();
    if (offset && offset != state.last_committed) commits[tp] = *offset;
  }
  return commits;
}

std::string JobScheduler::note(const TopicPartition& tp) const {
  std::lock_guard lock(mutex_);
  auto it = partitions_.find(tp);
  return it == partitions_.end() ? std::string() : encode_offset_note(it->second.offsets);
}

void JobScheduler::mark_committed(const TopicPartition& tp, int64_t offset) {
  std::lock_guard lock(mutex_);
  if (auto it = partitions_.find(tp); it != partitions_.end()) it->second.last_committed = offset;
}

void JobScheduler::drop_queued(const std::set<TopicPartition>& going) {
  // Jobs not started yet are simply not run: the next owner reads them again.
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (going.contains({it->message.topic, it->message.partition})) {
      --inflight_jobs_;
      inflight_bytes_ -= it->bytes;
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
}

void JobScheduler::abandon(const std::vector<TopicPartition>& partitions) {
  {
    std::lock_guard lock(mutex_);
    const std::set<TopicPartition> going(partitions.begin(), partitions.end());
    drop_queued(going);
    // Without their state, running jobs see cancelled() and finish() ignores their outcome
    // (the epoch no longer matches). Their lanes stay busy until they return, so a job for
    // the same key, should the partition come back, still waits for them.
    for (const auto& tp : going) partitions_.erase(tp);
  }
  changed_.notify_all();
}

std::map<TopicPartition, int64_t> JobScheduler::revoke(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds grace,
    std::map<TopicPartition, std::string>* notes) {
  std::unique_lock lock(mutex_);
  const std::set<TopicPartition> going(partitions.begin(), partitions.end());
  drop_queued(going);
  auto running = [&] {
    int total = 0;
    for (const auto& tp : going) {
      if (auto it = partitions_.find(tp); it != partitions_.end()) total += it->second.running;
    }
    return total;
  };
  // Running jobs may finish within the grace period; then they are told to stop.
  changed_.wait_for(lock, grace, [&] { return running() == 0; });
  revoking_.insert(going.begin(), going.end());
  changed_.wait_for(lock, options_.cancel_wait, [&] { return running() == 0; });
  std::map<TopicPartition, int64_t> final_offsets;
  for (const auto& tp : going) {
    // Always, also for a partition none of whose jobs was taken yet: a partition left in
    // revoking_ would have every job of its next assignment cancelled (and never committed).
    revoking_.erase(tp);
    auto it = partitions_.find(tp);
    if (it == partitions_.end()) continue;
    auto offset = it->second.offsets.committable();
    const std::string note = encode_offset_note(it->second.offsets);
    // With a note, commit even an unchanged offset: the next reader learns what finished.
    if (offset && (offset != it->second.last_committed || !note.empty())) {
      final_offsets[tp] = *offset;
      if (notes != nullptr) (*notes)[tp] = note;
    }
    partitions_.erase(it);
  }
  lock.unlock();
  changed_.notify_all();
  return final_offsets;
}

std::vector<TopicPartition> JobScheduler::partitions() const {
  std::lock_guard lock(mutex_);
  std::vector<TopicPartition> out;
  for (const auto& [tp, state] : partitions_) out.push_back(tp);
  return out;
}

size_t JobScheduler::inflight_jobs() const {
  std::lock_guard lock(mutex_);
  return inflight_jobs_;
}

uint64_t JobScheduler::inflight_bytes() const {
  std::lock_guard lock(mutex_);
  return inflight_bytes_;
}

}  // namespace upfleet
