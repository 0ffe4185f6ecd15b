#include "common/crypto/hmac.h"

#include <openssl/evp.h>

#include "common/crypto/hex.h"

namespace upfleet::crypto {

Sha256Digest hmac_sha256(std::span<const std::byte> key, std::span<const std::byte> data) {
  Sha256Digest mac{};
  size_t length = 0;
  // EVP_Q_mac fetches the HMAC implementation per call; SigV4 needs five MACs per request,
  // far below where caching the fetch would show up next to the network round trip.
  const unsigned char* result =
      EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                reinterpret_cast<unsigned char*>(mac.data()), mac.size(), &length);
  if (result == nullptr || length != mac.size()) openssl_failure("HMAC-SHA256");
  return mac;
}

Sha256Digest hmac_sha256(std::span<const std::byte> key, std::string_view data) {
  return hmac_sha256(key, as_bytes(data));
}

}  // namespace upfleet::crypto
