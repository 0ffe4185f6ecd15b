#include "worker/checkpointing_status_sink.h"

namespace upfleet {

Status CheckpointingStatusSink::publish(const StatusEvent& event, Deadline deadline) {
  Status sent = inner_.publish(event, deadline);
  if (sent) index_.apply(event);
  return sent;
}

}  // namespace upfleet
