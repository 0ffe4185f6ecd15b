// A StatusSink that records the events it was given and fails on demand.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "common/status_sink.h"

namespace upfleet::testing {

class FakeStatusSink final : public StatusSink {
 public:
  // Records the event unless a failure is queued or set. Calls the hook first (outside the
  // lock), so a test can look at other fakes at the moment of publication.
  using StatusSink::publish;
  Status publish(const StatusEvent& event, Deadline deadline) override;

  // The next call fails with `error` (queued: several calls fail in turn).
  void fail_next(Error error);
  // Every call fails with `error` until cleared with nullopt.
  void fail_always(std::optional<Error> error);
  void set_on_publish(std::function<void(const StatusEvent&)> hook);

  // Events published successfully, in order.
  std::vector<StatusEvent> events() const;
  // Calls so far, failed ones included.
  int calls() const;

 private:
  mutable std::mutex mutex_;
  std::vector<StatusEvent> events_;      // guarded by mutex_
  std::deque<Error> queued_failures_;    // guarded by mutex_
  std::optional<Error> always_failure_;  // guarded by mutex_
  std::function<void(const StatusEvent&)> on_publish_;
  int calls_ = 0;  // guarded by mutex_
};

}  // namespace upfleet::testing
