#include "common/process.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace upfleet {

CommonFlags parse_common_flags(int argc, char** argv, std::string_view program,
                               std::string_view usage) {
  CommonFlags flags;
  auto die = [&](const std::string& why) {
    std::fprintf(stderr, "%s: %s\n\n%.*s\n", std::string(program).c_str(), why.c_str(),
                 static_cast<int>(usage.size()), usage.data());
    std::exit(2);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf("%.*s\n", static_cast<int>(usage.size()), usage.data());
      std::exit(0);
    } else if (arg == "--version") {
      std::printf("%s %.*s\n", std::string(program).c_str(), static_cast<int>(kVersion.size()),
                  kVersion.data());
      std::exit(0);
    } else if (arg == "--check-config") {
      flags.check_config = true;
    } else if (arg == "--config") {
      if (i + 1 >= argc) die("--config needs a file name");
      flags.config = argv[++i];
    } else if (arg.starts_with("--config=")) {
      flags.config = std::string(arg.substr(std::strlen("--config=")));
    } else {
      die("unknown argument '" + std::string(arg) + "'");
    }
  }
  return flags;
}

void block_termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

std::string wait_for_termination() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signal_number = 0;
  sigwait(&set, &signal_number);
  return signal_number == SIGINT ? "SIGINT" : "SIGTERM";
}

}  // namespace upfleet
