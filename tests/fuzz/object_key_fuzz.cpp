// Fuzzes the key validator and percent_decode: whatever validate_object_key accepts must be
// safe as an S3 key and as a relative path on a shared volume.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/object_key.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using upfleet::kMaxObjectKeyBytes;

void check_accepted_key(std::string_view key) {
  UPFLEET_FUZZ_CHECK(!key.empty() && key.size() <= kMaxObjectKeyBytes);
  UPFLEET_FUZZ_CHECK(key.front() != '/');
  UPFLEET_FUZZ_CHECK(key.find('\\') == std::string_view::npos);
  for (const char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    UPFLEET_FUZZ_CHECK(byte >= 0x20 && byte != 0x7F);
  }
  size_t start = 0;
  for (;;) {
    const size_t end = key.find('/', start);
    const std::string_view segment =
        key.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    UPFLEET_FUZZ_CHECK(!segment.empty() && segment != "." && segment != "..");
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
}

std::string percent_encode_all(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out += '%';
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (auto valid = upfleet::validate_object_key(input); valid) {
    check_accepted_key(input);
    // Percent-encoding every byte and decoding it again gives the same, still valid key.
    auto decoded = upfleet::percent_decode(percent_encode_all(input));
    UPFLEET_FUZZ_CHECK(decoded.has_value() && *decoded == input);
  } else {
    UPFLEET_FUZZ_CHECK(valid.error().code == upfleet::ErrorCode::kInvalidArgument);
    UPFLEET_FUZZ_CHECK(!valid.error().message.empty());
  }

  // The input as a URL path: decoding never grows it, and the decoded key obeys the same rules
  // (this is how "%2e%2e" must be caught as "..").
  if (auto decoded = upfleet::percent_decode(input); decoded) {
    UPFLEET_FUZZ_CHECK(decoded->size() <= input.size());
    if (upfleet::validate_object_key(*decoded)) check_accepted_key(*decoded);
  }
  return 0;
}
