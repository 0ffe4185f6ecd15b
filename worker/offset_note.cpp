#include "worker/offset_note.h"

#include <charconv>

namespace upfleet {
namespace {

bool parse_int(std::string_view text, int64_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

std::string encode_offset_note(const OffsetTracker& tracker) {
  const auto committed = tracker.committable();
  const auto highest = tracker.highest_seen();
  if (!committed || !highest || *highest < *committed) return "";
  const auto& pending = tracker.pending_offsets();
  // Nothing finished above the committed offset: the offset alone says it all.
  if (static_cast<int64_t>(pending.size()) == *highest - *committed + 1) return "";
  std::string note =
      "u1;c=" + std::to_string(*committed) + ";h=" + std::to_string(*highest) + ";p=";
  bool first = true;
  for (int64_t offset : pending) {
    if (offset <= *committed) continue;
    if (!first) note.push_back(',');
    note += std::to_string(offset);
    first = false;
    if (note.size() > kMaxOffsetNoteBytes) return "";
  }
  return note;
}

std::optional<OffsetNote> parse_offset_note(std::string_view metadata) {
  constexpr std::string_view kPrefix = "u1;c=";
  if (!metadata.starts_with(kPrefix)) return std::nullopt;
  metadata.remove_prefix(kPrefix.size());
  OffsetNote note;
  const size_t h = metadata.find(";h=");
  const size_t p = metadata.find(";p=");
  if (h == std::string_view::npos || p == std::string_view::npos || p < h) return std::nullopt;
  if (!parse_int(metadata.substr(0, h), note.committed) ||
      !parse_int(metadata.substr(h + 3, p - h - 3), note.highest)) {
    return std::nullopt;
  }
  std::string_view rest = metadata.substr(p + 3);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    int64_t offset = 0;
    if (!parse_int(rest.substr(0, comma), offset)) return std::nullopt;
    note.unfinished.insert(offset);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return note;
}

}  // namespace upfleet
