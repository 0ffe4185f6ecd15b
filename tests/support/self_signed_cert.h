// A throwaway TLS identity for tests: a self-signed certificate for 127.0.0.1 / localhost.
#pragma once

#include <filesystem>

namespace upfleet::testing {

// Writes a self-signed P-256 certificate valid for 127.0.0.1 and localhost (one day) and its
// private key as PEM files. The certificate is its own CA: trust it with it as the CA file.
bool write_self_signed(const std::filesystem::path& cert_file,
                       const std::filesystem::path& key_file);

}  // namespace upfleet::testing
