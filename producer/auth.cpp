#include "producer/auth.h"

#include <openssl/crypto.h>

#include <cctype>
#include <fstream>
#include <sstream>

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

Result<std::vector<std::string>> parse_tokens(std::string_view text) {
  std::vector<std::string> tokens;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    for (char c : line) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte <= 0x20 || byte == 0x7f) {
        return fail(Error::invalid("line " + std::to_string(line_number) +
                                   " holds a token with whitespace or control characters; "
                                   "put one token per line"));
      }
    }
    tokens.emplace_back(line);
  }
  return tokens;
}

Result<std::vector<std::string>> read_tokens_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Error::invalid("cannot read '" + path.string() + "'"));
  std::stringstream text;
  text << in.rdbuf();
  auto tokens = parse_tokens(text.str());
  if (!tokens) return fail(Error::invalid(path.string() + ": " + tokens.error().message));
  return tokens;
}

}  // namespace upfleet
