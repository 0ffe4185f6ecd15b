// SHA-256: the checksum the ingest computes while spooling and the payload hash SigV4 signs.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "common/crypto/openssl_holders.h"

namespace upfleet::crypto {

using Sha256Digest = std::array<std::byte, 32>;

// Incremental hasher: feed chunks with update(), then call finish() once. Movable, not
// copyable; one instance is not thread-safe (use one per stream).
class Sha256 {
 public:
  Sha256();

  void update(std::span<const std::byte> bytes);
  void update(std::string_view bytes);

  // The digest of everything fed so far. The hasher is spent afterwards; call reset() to reuse.
  Sha256Digest finish();
  std::string finish_hex();  // lower-case hex, 64 chars

  void reset();

 private:
  EvpMdCtxPtr ctx_;
};

// One-shot helpers.
Sha256Digest sha256(std::span<const std::byte> bytes);
std::string sha256_hex(std::string_view bytes);

// SHA-256 of zero bytes, the payload hash of every bodiless request.
inline constexpr std::string_view kEmptySha256Hex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

}  // namespace upfleet::crypto
