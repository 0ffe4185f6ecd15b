#include "common/crypto/md5.h"

#include "common/crypto/hex.h"

namespace upfleet::crypto {

Md5::Md5() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) openssl_failure("EVP_MD_CTX_new");
  reset();
}

void Md5::reset() {
  if (EVP_DigestInit_ex2(ctx_.get(), EVP_md5(), nullptr) != 1) openssl_failure("MD5 init");
}

void Md5::update(std::span<const std::byte> bytes) {
  if (bytes.empty()) return;
  if (EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1) {
    openssl_failure("MD5 update");
  }
}

void Md5::update(std::string_view bytes) {
  update(as_bytes(bytes));
}

Md5Digest Md5::finish() {
  Md5Digest digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), reinterpret_cast<unsigned char*>(digest.data()), &length) !=
          1 ||
      length != digest.size()) {
    openssl_failure("MD5 final");
  }
  return digest;
}

std::string Md5::finish_base64() {
  return to_base64(finish());
}

std::string Md5::finish_hex() {
  return to_hex(finish());
}

std::string md5_base64(std::span<const std::byte> bytes) {
  Md5 hasher;
  hasher.update(bytes);
  return hasher.finish_base64();
}

std::string md5_base64(std::string_view bytes) {
  return md5_base64(as_bytes(bytes));
}

std::string md5_hex(std::string_view bytes) {
  Md5 hasher;
  hasher.update(bytes);
  return hasher.finish_hex();
}

}  // namespace upfleet::crypto
