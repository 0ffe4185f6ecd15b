// The seam for status events (`upfleet.status`, key = upload_id). KafkaStatusSink implements
// it; tests use FakeStatusSink.
#pragma once

#include "common/clock.h"
#include "common/error.h"
#include "common/status_event.h"

namespace upfleet {

class StatusSink {
 public:
  virtual ~StatusSink() = default;

  // Publishes `event` and blocks until the broker acknowledged it, delivery failed, or
  // `deadline` came (the event may still be delivered then; a past deadline means "send, do
  // not wait"). Retryable kUnavailable / kTimeout when not confirmed. Thread-safe.
  virtual Status publish(const StatusEvent& event, Deadline deadline) = 0;
  Status publish(const StatusEvent& event) { return publish(event, kNoDeadline); }
};

}  // namespace upfleet
