// upfleetctl dlq: list the dead-letter topic and replay jobs from it.
#pragma once

#include <string>
#include <vector>

namespace upfleet::ctl {

// dlq list [--limit N]: one row (or JSON line) per dead letter: where it came from, why.
// dlq replay (--all | --id UPLOAD_ID ... | --offset PARTITION:OFFSET ...): publishes the
// selected jobs to the job topic again, unchanged (same key and upload id: idempotent).
int run_dlq(const std::vector<std::string>& args, bool json);

}  // namespace upfleet::ctl
