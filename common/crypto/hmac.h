// HMAC-SHA256, the primitive SigV4 chains to derive its signing key and sign.
#pragma once

#include <span>
#include <string_view>

#include "common/crypto/sha256.h"

namespace upfleet::crypto {

Sha256Digest hmac_sha256(std::span<const std::byte> key, std::span<const std::byte> data);
Sha256Digest hmac_sha256(std::span<const std::byte> key, std::string_view data);

}  // namespace upfleet::crypto
