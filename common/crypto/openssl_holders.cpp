#include "common/crypto/openssl_holders.h"

#include <openssl/err.h>

#include <cstdio>
#include <cstdlib>

namespace upfleet::crypto {

void openssl_failure(const char* what) {
  char detail[256] = {};
  ERR_error_string_n(ERR_get_error(), detail, sizeof(detail));
  std::fprintf(stderr, "fatal: OpenSSL %s failed: %s\n", what, detail);
  std::abort();
}

}  // namespace upfleet::crypto
