// The server side of TLS for the ingest listener: a certificate chain and private key loaded
// once at start, with errors that name the file and what is wrong with it.
#pragma once

#include <boost/asio/ssl.hpp>
#include <memory>
#include <string>

#include "common/asio.h"
#include "common/error.h"

namespace upfleet {

class TlsContext {
 public:
  // Loads a PEM certificate chain and its PEM private key. kInvalidArgument when a file is
  // unreadable, not PEM, or the key does not belong to the certificate.
  static Result<std::shared_ptr<TlsContext>> load(const std::string& cert_file,
                                                  const std::string& key_file);

  // Shared by every connection; OpenSSL contexts are safe to share once configured.
  asio::ssl::context& native() { return context_; }

 private:
  TlsContext();
  asio::ssl::context context_;
};

}  // namespace upfleet
