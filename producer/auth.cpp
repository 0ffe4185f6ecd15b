#include "producer/auth.h"

#include <openssl/crypto.h>

#include <cctype>

#include "common/crypto/hex.h"
#include "common/crypto/sha256.h"

namespace upfleet {

bool constant_time_equals(std::string_view a, std::string_view b) {
  // Hashing first makes both sides the same length, so the comparison leaks nothing about
  // the token's length either.
  const auto digest_a = crypto::sha256(crypto::as_bytes(a));
  const auto digest_b = crypto::sha256(crypto::as_bytes(b));
  return CRYPTO_memcmp(digest_a.data(), digest_b.data(), digest_a.size()) == 0;
}

std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    const auto c = static_cast<unsigned char>(authorization[i]);
    const auto expected = static_cast<unsigned char>(kScheme[i]);
    if (std::tolower(c) != std::tolower(expected)) return {};
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

bool token_accepted(std::string_view authorization, const std::vector<std::string>& tokens) {
  const std::string_view presented = bearer_token(authorization);
  if (presented.empty()) return false;
  bool accepted = false;
  for (const auto& token : tokens) accepted |= constant_time_equals(presented, token);
  return accepted;
}

}  // namespace upfleet
