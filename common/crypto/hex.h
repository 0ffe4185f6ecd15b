// Byte <-> text encodings used by signatures and checksum headers.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace upfleet::crypto {

// Lower-case hex, two digits per byte (SigV4 and x-amz-content-sha256 want lower case).
std::string to_hex(std::span<const std::byte> bytes);
std::string to_hex(std::string_view bytes);

// Decodes hex (either case). nullopt when the length is odd or a digit is not hex.
std::optional<std::vector<std::byte>> from_hex(std::string_view hex);

// Standard base64 with padding (RFC 4648 section 4), as Content-MD5 requires. Meant for
// digests and other short inputs (below 1.5 GiB).
std::string to_base64(std::span<const std::byte> bytes);

inline std::span<const std::byte> as_bytes(std::string_view text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

}  // namespace upfleet::crypto
