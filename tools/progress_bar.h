// A one-line progress bar for terminals: "[#####-----]  48%  24.0/50.0 MiB  81.2 MiB/s".
// Draws only when the stream is a terminal and at most every 100 ms.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace upfleet::ctl {

class ProgressBar {
 public:
  ProgressBar(std::FILE* out, std::string label, uint64_t total);
  void update(uint64_t done);
  // Final state (100 % or where it stopped) and a newline.
  void finish(uint64_t done);

  bool enabled() const { return enabled_; }

  // The text of one bar, without escape codes (exposed for tests).
  static std::string render(const std::string& label, uint64_t done, uint64_t total,
                            double bytes_per_second, int width);

 private:
  std::FILE* out_;
  std::string label_;
  uint64_t total_;
  bool enabled_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_{};
};

// "1.5 MiB", "512 B".
std::string human_bytes(double bytes);

}  // namespace upfleet::ctl
