// Runs an upfleet binary as a child process for e2e tests: own environment overrides, output
// to a log file, terminated (TERM, then KILL) when the handle goes away.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace upfleet::testing {

class ChildProcess {
 public:
  // Starts `binary` with `args`; the environment is the test's own plus `env` (which wins).
  // stdout and stderr go to `log_file`. Returns nullptr (and prints why) if it cannot start.
  static std::unique_ptr<ChildProcess> start(const std::filesystem::path& binary,
                                             const std::vector<std::string>& args,
                                             const std::map<std::string, std::string>& env,
                                             const std::filesystem::path& log_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit status (as from waitpid).
  int terminate(std::chrono::milliseconds grace = std::chrono::seconds(30));
  // SIGKILL at once (crash simulation).
  void kill_now();
  const std::filesystem::path& log_file() const { return log_file_; }
  std::string log_contents() const;

 private:
  ChildProcess(pid_t pid, std::filesystem::path log_file)
      : pid_(pid), log_file_(std::move(log_file)) {}
  pid_t pid_;
  bool reaped_ = false;
  int status_ = 0;
  std::filesystem::path log_file_;
};

// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
// For waiting on other processes (ports, topics, objects), not for ordering our own threads.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// Runs `command` through the shell and returns what it wrote to stdout (redirect stderr in
// the command to see it too); `exit_code` is its exit status, -1 when it could not start.
std::string run_command(const std::string& command, int& exit_code);

// A TCP port on 127.0.0.1 that was free a moment ago.
uint16_t free_port();

}  // namespace upfleet::testing
