// The seam for status events (`upfleet.status`, key = upload_id). KafkaStatusSink implements
// it; tests use FakeStatusSink.
#pragma once

#include "common/error.h"
#include "common/status_event.h"

namespace upfleet {

class StatusSink {
 public:
  virtual ~StatusSink() = default;

  // Publishes `event` and blocks until the broker acknowledged it. Retryable kUnavailable /
  // kTimeout when it did not. Thread-safe.
  virtual Status publish(const StatusEvent& event) = 0;
};

}  // namespace upfleet
