#include "common/crypto/sha256.h"

#include "common/crypto/hex.h"

namespace upfleet::crypto {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) openssl_failure("EVP_MD_CTX_new");
  reset();
}

void Sha256::reset() {
  if (EVP_DigestInit_ex2(ctx_.get(), EVP_sha256(), nullptr) != 1) {
    openssl_failure("SHA-256 init");
  }
}

void Sha256::update(std::span<const std::byte> bytes) {
  if (bytes.empty()) return;
  if (EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1) {
    openssl_failure("SHA-256 update");
  }
}

void Sha256::update(std::string_view bytes) {
  update(as_bytes(bytes));
}

Sha256Digest Sha256::finish() {
  Sha256Digest digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), reinterpret_cast<unsigned char*>(digest.data()), &length) !=
          1 ||
      length != digest.size()) {
    openssl_failure("SHA-256 final");
  }
  return digest;
}

std::string Sha256::finish_hex() {
  return to_hex(finish());
}

Sha256Digest sha256(std::span<const std::byte> bytes) {
  Sha256 hasher;
  hasher.update(bytes);
  return hasher.finish();
}

std::string sha256_hex(std::string_view bytes) {
  return to_hex(sha256(as_bytes(bytes)));
}

}  // namespace upfleet::crypto
