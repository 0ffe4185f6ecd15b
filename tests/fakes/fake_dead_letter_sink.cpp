#include "tests/fakes/fake_dead_letter_sink.h"

namespace upfleet::testing {

Status FakeDeadLetterSink::send(const DeadLetter& letter) {
  std::lock_guard lock(mutex_);
  ++calls_;
  if (!queued_failures_.empty()) {
    Error error = std::move(queued_failures_.front());
    queued_failures_.pop_front();
    return fail(std::move(error));
  }
  letters_.push_back(letter);
  return {};
}

void FakeDeadLetterSink::fail_next(Error error) {
  std::lock_guard lock(mutex_);
  queued_failures_.push_back(std::move(error));
}

std::vector<DeadLetter> FakeDeadLetterSink::letters() const {
  std::lock_guard lock(mutex_);
  return letters_;
}

int FakeDeadLetterSink::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

}  // namespace upfleet::testing
