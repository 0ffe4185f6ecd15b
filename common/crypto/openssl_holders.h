// RAII holders for the OpenSSL handles the hashers use, so no early return leaks a context.
#pragma once

#include <openssl/evp.h>

#include <memory>

namespace upfleet::crypto {

struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter>;

// OpenSSL fails to hash bytes already in memory only when the process is broken (out of
// memory, or a FIPS-only provider without MD5). Carrying a Result through every hash call
// for that would clutter every caller, so we stop loudly instead of sending unverified data.
[[noreturn]] void openssl_failure(const char* what);

}  // namespace upfleet::crypto
