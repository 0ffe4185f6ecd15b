#include "tests/fakes/fake_job_publisher.h"

namespace upfleet::testing {

Status FakeJobPublisher::publish(const Job& job, Deadline) {
  std::function<void(const Job&)> hook;
  {
    std::lock_guard lock(mutex_);
    hook = on_publish_;
  }
  if (hook) hook(job);
  std::lock_guard lock(mutex_);
  ++calls_;
  if (!queued_failures_.empty()) {
    Error error = std::move(queued_failures_.front());
    queued_failures_.pop_front();
    return fail(std::move(error));
  }
  if (always_failure_) return fail(*always_failure_);
  jobs_.push_back(job);
  return {};
}

void FakeJobPublisher::fail_next(Error error) {
  std::lock_guard lock(mutex_);
  queued_failures_.push_back(std::move(error));
}

void FakeJobPublisher::fail_always(std::optional<Error> error) {
  std::lock_guard lock(mutex_);
  always_failure_ = std::move(error);
}

void FakeJobPublisher::set_on_publish(std::function<void(const Job&)> hook) {
  std::lock_guard lock(mutex_);
  on_publish_ = std::move(hook);
}

std::vector<Job> FakeJobPublisher::jobs() const {
  std::lock_guard lock(mutex_);
  return jobs_;
}

int FakeJobPublisher::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

}  // namespace upfleet::testing
