#include "tests/fakes/fake_status_sink.h"

namespace upfleet::testing {

Status FakeStatusSink::publish(const StatusEvent& event, Deadline) {
  std::function<void(const StatusEvent&)> hook;
  {
    std::lock_guard lock(mutex_);
    hook = on_publish_;
  }
  if (hook) hook(event);
  std::lock_guard lock(mutex_);
  ++calls_;
  if (!queued_failures_.empty()) {
    Error error = std::move(queued_failures_.front());
    queued_failures_.pop_front();
    return fail(std::move(error));
  }
  if (always_failure_) return fail(*always_failure_);
  events_.push_back(event);
  return {};
}

void FakeStatusSink::fail_next(Error error) {
  std::lock_guard lock(mutex_);
  queued_failures_.push_back(std::move(error));
}

void FakeStatusSink::fail_always(std::optional<Error> error) {
  std::lock_guard lock(mutex_);
  always_failure_ = std::move(error);
}

void FakeStatusSink::set_on_publish(std::function<void(const StatusEvent&)> hook) {
  std::lock_guard lock(mutex_);
  on_publish_ = std::move(hook);
}

std::vector<StatusEvent> FakeStatusSink::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

int FakeStatusSink::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

}  // namespace upfleet::testing
