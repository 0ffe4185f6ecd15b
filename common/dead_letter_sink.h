// Where jobs go that cannot succeed: unparseable messages at once, others after their retries.
// KafkaDeadLetterSink writes them to `upfleet.jobs.dlq` with headers naming why.
#pragma once

#include <string>

#include "common/error.h"
#include "common/job_source.h"

namespace upfleet {

struct DeadLetter {
  JobMessage original;  // value and key unchanged, so a replay is the same job
  std::string stage;    // "parse", "upload", "thumbnail", ...
  std::string error;
  int attempts = 0;
};

class DeadLetterSink {
 public:
  virtual ~DeadLetterSink() = default;
  // Blocks until the dead letter is stored. Retryable errors when it was not.
  virtual Status send(const DeadLetter& letter) = 0;
};

}  // namespace upfleet
