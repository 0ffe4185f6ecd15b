// MD5, only for S3's Content-MD5 header and ETags (integrity against corruption in transit,
// not a security property).
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "common/crypto/openssl_holders.h"

namespace upfleet::crypto {

using Md5Digest = std::array<std::byte, 16>;

// Incremental hasher with the same contract as Sha256.
class Md5 {
 public:
  Md5();

  void update(std::span<const std::byte> bytes);
  void update(std::string_view bytes);

  Md5Digest finish();
  std::string finish_base64();  // the Content-MD5 header value
  std::string finish_hex();     // the ETag S3 gives a single-PUT object

  void reset();

 private:
  EvpMdCtxPtr ctx_;
};

// Base64 of the MD5 of `bytes`: the value of a Content-MD5 header.
std::string md5_base64(std::span<const std::byte> bytes);
std::string md5_base64(std::string_view bytes);
std::string md5_hex(std::string_view bytes);

}  // namespace upfleet::crypto
