#include "common/http/byte_range.h"

#include <charconv>

namespace upfleet::http {
namespace {

std::optional<uint64_t> parse_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

RangeResult resolve_range(std::string_view header, uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  RangeResult whole{RangeOutcome::kWhole, {0, size}};
  if (!header.starts_with(kUnit)) return whole;
  std::string_view spec = header.substr(kUnit.size());
  if (spec.find(',') != std::string_view::npos) return whole;
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view first_text = spec.substr(0, dash);
  const std::string_view last_text = spec.substr(dash + 1);

  if (first_text.empty()) {  // suffix range: the last N bytes
    auto suffix = parse_number(last_text);
    if (!suffix) return whole;
    if (*suffix == 0 || size == 0) return {RangeOutcome::kUnsatisfiable, {}};
    const uint64_t length = std::min(*suffix, size);
    return {RangeOutcome::kPartial, {size - length, length}};
  }
  auto first = parse_number(first_text);
  if (!first) return whole;
  uint64_t last = size == 0 ? 0 : size - 1;
  if (!last_text.empty()) {
    auto parsed = parse_number(last_text);
    if (!parsed || *parsed < *first) return whole;
    last = std::min(*parsed, last);
  }
  if (*first >= size) return {RangeOutcome::kUnsatisfiable, {}};
  return {RangeOutcome::kPartial, {*first, last - *first + 1}};
}

std::string content_range(const ByteRange& range, uint64_t size) {
  return "bytes " + std::to_string(range.offset) + "-" +
         std::to_string(range.offset + range.length - 1) + "/" + std::to_string(size);
}

std::string unsatisfied_content_range(uint64_t size) {
  return "bytes */" + std::to_string(size);
}

std::string range_header(uint64_t offset, uint64_t length) {
  return "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1);
}

}  // namespace upfleet::http
