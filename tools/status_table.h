// Waiting for uploads to reach a state, and the table `wait` and `watch` print.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status_event.h"
#include "tools/args.h"

namespace upfleet::ctl {

struct WaitSpec {
  UploadState wanted = UploadState::kUploaded;
  std::string wanted_text = "uploaded";
  std::chrono::milliseconds timeout{120'000};
};

// --state (default uploaded) and --timeout (default 120s); nullopt after printing why.
std::optional<WaitSpec> parse_wait_spec(const ParsedArgs& args);

// True when the status JSON shows `wanted` or a later state, or a dead letter (which will not
// move on by itself).
bool settled(const nlohmann::json& status, UploadState wanted);

// Prints one row (or JSON line) per id; returns how many did not reach the wanted state.
int print_status_table(const std::vector<std::string>& ids,
                       const std::map<std::string, nlohmann::json>& latest, const WaitSpec& spec,
                       bool json);

}  // namespace upfleet::ctl
