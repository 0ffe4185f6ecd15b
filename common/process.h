// What every upfleet binary does the same way at start and stop: common flags, and waiting
// for SIGTERM/SIGINT.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace upfleet {

struct CommonFlags {
  std::optional<std::filesystem::path> config;  // --config FILE
  bool check_config = false;                    // --check-config: validate and exit
};

// Parses --config FILE, --config=FILE, --check-config, --help, --version. On --help/--version
// prints and exits 0; on unknown flags prints `usage` and exits 2.
CommonFlags parse_common_flags(int argc, char** argv, std::string_view program,
                               std::string_view usage);

// Blocks SIGTERM and SIGINT in the calling thread; call before starting threads so they inherit
// the mask and only wait_for_termination() sees the signals.
void block_termination_signals();

// Waits for SIGTERM or SIGINT; returns its name.
std::string wait_for_termination();

inline constexpr std::string_view kVersion = "0.1.0";

}  // namespace upfleet
