#include "tools/status_table.h"

#include <cstdio>

#include "common/config_reader.h"

namespace upfleet::ctl {
namespace {

void print_row(const std::string& key, const std::string& size, const std::string& sha,
               const std::string& state, const std::string& url) {
  std::printf("%-28s %12s  %-16s  %-13s %s\n", key.c_str(), size.c_str(), sha.c_str(),
              state.c_str(), url.c_str());
}

}  // namespace

std::optional<WaitSpec> parse_wait_spec(const ParsedArgs& args) {
  WaitSpec spec;
  spec.wanted_text = args.flag("state", "uploaded");
  auto wanted = parse_upload_state(spec.wanted_text);
  auto timeout = parse_duration(args.flag("timeout", "120s"));
  if (!wanted || !timeout) {
    std::fprintf(stderr, "upfleetctl: bad --state or --timeout\n");
    return std::nullopt;
  }
  spec.wanted = *wanted;
  spec.timeout = *timeout;
  return spec;
}

bool settled(const nlohmann::json& status, UploadState wanted) {
  auto state = parse_upload_state(status.value("state", ""));
  return state &&
         (progress_rank(*state) >= progress_rank(wanted) || *state == UploadState::kDeadLettered);
}

int print_status_table(const std::vector<std::string>& ids,
                       const std::map<std::string, nlohmann::json>& latest, const WaitSpec& spec,
                       bool json) {
  int failures = 0;
  if (!json) print_row("KEY", "SIZE", "SHA256", "STATE", "URL");
  for (const std::string& id : ids) {
    auto it = latest.find(id);
    const nlohmann::json status = it != latest.end() ? it->second : nlohmann::json::object();
    const std::string state = status.value("state", "unknown");
    const bool reached = state != "dead_lettered" && settled(status, spec.wanted);
    if (!reached) ++failures;
    if (json) {
      std::printf("%s\n", status.dump().c_str());
      continue;
    }
    const std::string sha = status.value("sha256", "");
    print_row(status.value("key", id), std::to_string(status.value("size", uint64_t{0})),
              sha.size() > 16 ? sha.substr(0, 16) : sha, state, status.value("url", ""));
  }
  return failures;
}

}  // namespace upfleet::ctl
