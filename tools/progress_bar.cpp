#include "tools/progress_bar.h"

#include <unistd.h>

#include <algorithm>

namespace upfleet::ctl {

std::string human_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
  return text;
}

ProgressBar::ProgressBar(std::FILE* out, std::string label, uint64_t total)
    : out_(out),
      label_(std::move(label)),
      total_(total),
      enabled_(::isatty(::fileno(out)) != 0),
      started_(std::chrono::steady_clock::now()) {}

std::string ProgressBar::render(const std::string& label, uint64_t done, uint64_t total,
                                double bytes_per_second, int width) {
  const double fraction = total == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / total);
  const int filled = static_cast<int>(fraction * width);
  std::string bar = "[" + std::string(filled, '#') + std::string(width - filled, '-') + "]";
  char tail[128];
  std::snprintf(tail, sizeof tail, " %3d%%  %s / %s  %s/s", static_cast<int>(fraction * 100),
                human_bytes(static_cast<double>(done)).c_str(),
                human_bytes(static_cast<double>(total)).c_str(),
                human_bytes(bytes_per_second).c_str());
  std::string shown = label.size() > 28 ? "…" + label.substr(label.size() - 27) : label;
  return shown + " " + bar + tail;
}

void ProgressBar::update(uint64_t done) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double seconds = std::chrono::duration<double>(now - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::fprintf(out_, "\r\033[K%s", render(label_, done, total_, rate, 30).c_str());
  std::fflush(out_);
}

void ProgressBar::finish(uint64_t done) {
  if (!enabled_) return;
  last_draw_ = {};
  update(done);
  std::fputc('\n', out_);
}

}  // namespace upfleet::ctl
