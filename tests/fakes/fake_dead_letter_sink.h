// A DeadLetterSink that records the letters it was given and fails on demand.
#pragma once

#include <deque>
#include <mutex>
#include <vector>

#include "common/dead_letter_sink.h"

namespace upfleet::testing {

class FakeDeadLetterSink final : public DeadLetterSink {
 public:
  Status send(const DeadLetter& letter) override;

  // The next call fails with `error` (queued: several calls fail in turn).
  void fail_next(Error error);

  // Letters stored successfully, in order.
  std::vector<DeadLetter> letters() const;
  // Calls so far, failed ones included.
  int calls() const;

 private:
  mutable std::mutex mutex_;
  std::vector<DeadLetter> letters_;    // guarded by mutex_
  std::deque<Error> queued_failures_;  // guarded by mutex_
  int calls_ = 0;                      // guarded by mutex_
};

}  // namespace upfleet::testing
