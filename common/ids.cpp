#include "common/ids.h"

#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <random>

#include "common/spool.h"

namespace upfleet {

std::string new_id() {
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::array<unsigned char, 10> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    // OpenSSL's generator failing is near impossible; fall back rather than fail an upload.
    std::random_device device;
    for (auto& byte : random) byte = static_cast<unsigned char>(device());
  }
  char text[33];
  std::snprintf(text, sizeof text, "%012llx",
                static_cast<unsigned long long>(millis) & 0xffffffffffffULL);
  for (size_t i = 0; i < random.size(); ++i) std::snprintf(text + 12 + 2 * i, 3, "%02x", random[i]);
  return std::string(text, 32);
}

bool is_valid_upload_id(std::string_view upload_id) {
  if (upload_id.empty() || upload_id.size() > 64) return false;
  for (char c : upload_id) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace upfleet
