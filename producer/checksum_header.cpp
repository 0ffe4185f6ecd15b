#include "producer/checksum_header.h"

#include <array>
#include <cstddef>
#include <optional>
#include <vector>

#include "common/crypto/hex.h"

namespace upfleet {
namespace {

constexpr size_t kDigestBytes = 32;
constexpr size_t kHexChars = 2 * kDigestBytes;
constexpr size_t kBase64Chars = 44;

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Decodes padded standard base64; nullopt on any other character or misplaced padding.
std::optional<std::vector<std::byte>> from_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  std::vector<std::byte> out;
  uint32_t bits = 0;
  int bit_count = 0;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    const int value = base64_value(text[i]);
    if (value < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<std::byte>((bits >> bit_count) & 0xFF));
    }
  }
  return out;
}

}  // namespace

Result<std::string> parse_sha256_checksum(std::string_view value) {
  if (value.size() == kHexChars) {
    auto digest = crypto::from_hex(value);
    if (digest) return crypto::to_hex(*digest);
  } else if (value.size() == kBase64Chars) {
    auto digest = from_base64(value);
    // Re-encoding catches non-canonical forms (stray low bits in the last character), so each
    // digest has exactly one accepted base64 spelling.
    if (digest && digest->size() == kDigestBytes && crypto::to_base64(*digest) == value) {
      return crypto::to_hex(*digest);
    }
  }
  return fail(Error::invalid(std::string(kChecksumSha256Header) +
                             " must be the SHA-256 as 64 hex digits or as 44 characters of "
                             "base64 (like x-amz-checksum-sha256)"));
}

}  // namespace upfleet
