// A StatusSink that also records what it published in the worker's CheckpointIndex, so the
// worker's own progress is known at once, before its status reader (which may batch fetches
// and lag a little) reads it back from the topic: a job retried on this worker resumes its
// multipart upload from the latest checkpoint it reported.
#pragma once

#include "common/status_sink.h"
#include "worker/checkpoint_index.h"

namespace upfleet {

class CheckpointingStatusSink : public StatusSink {
 public:
  CheckpointingStatusSink(StatusSink& inner, CheckpointIndex& index)
      : inner_(inner), index_(index) {}

  // The event is recorded only once the broker confirmed it: an unconfirmed checkpoint may
  // be one other workers never see.
  Status publish(const StatusEvent& event, Deadline deadline) override;
  using StatusSink::publish;

 private:
  StatusSink& inner_;
  CheckpointIndex& index_;
};

}  // namespace upfleet
