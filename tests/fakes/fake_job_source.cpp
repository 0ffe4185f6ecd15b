#include "tests/fakes/fake_job_source.h"

namespace upfleet::testing {

Result<std::optional<JobMessage>> FakeJobSource::poll(std::chrono::milliseconds) {
  std::function<void()> idle;
  {
    std::lock_guard lock(mutex_);
    if (!queue_.empty()) {
      JobMessage message = std::move(queue_.front());
      queue_.pop_front();
      return std::optional<JobMessage>(std::move(message));
    }
    idle = on_idle_;
  }
  if (idle) idle();
  return std::optional<JobMessage>();
}

Status FakeJobSource::commit(const std::string& topic, int32_t partition, int64_t next_offset) {
  CommitRecord record{topic, partition, next_offset};
  std::function<void(const CommitRecord&)> hook;
  {
    std::lock_guard lock(mutex_);
    if (!commit_failures_.empty()) {
      Error error = std::move(commit_failures_.front());
      commit_failures_.pop_front();
      return fail(std::move(error));
    }
    commits_.push_back(record);
    hook = on_commit_;
  }
  if (hook) hook(record);
  return {};
}

std::vector<int32_t> FakeJobSource::assigned_partitions() const {
  return {0};
}

void FakeJobSource::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
}

void FakeJobSource::push(JobMessage message) {
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(message));
}

void FakeJobSource::fail_next_commit(Error error) {
  std::lock_guard lock(mutex_);
  commit_failures_.push_back(std::move(error));
}

void FakeJobSource::set_on_idle(std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  on_idle_ = std::move(hook);
}

void FakeJobSource::set_on_commit(std::function<void(const CommitRecord&)> hook) {
  std::lock_guard lock(mutex_);
  on_commit_ = std::move(hook);
}

std::vector<CommitRecord> FakeJobSource::commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

bool FakeJobSource::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

size_t FakeJobSource::pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

}  // namespace upfleet::testing
