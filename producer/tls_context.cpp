#include "producer/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fstream>

namespace upfleet {
namespace {

// The most recent OpenSSL reason, which says far more than asio's "system:...".
std::string openssl_reason() {
  unsigned long code = 0;
  unsigned long last = 0;
  while ((code = ERR_get_error()) != 0) last = code;
  if (last == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(last, text, sizeof text);
  return text;
}

Status check_readable(const std::string& path, std::string_view key) {
  std::ifstream in(path);
  if (!in) {
    return fail(Error::invalid(std::string(key) + ": cannot read '" + path +
                               "'; point it at a readable PEM file"));
  }
  return {};
}

}  // namespace

TlsContext::TlsContext() : context_(asio::ssl::context::tls_server) {}

Result<std::shared_ptr<TlsContext>> TlsContext::load(const std::string& cert_file,
                                                     const std::string& key_file) {
  if (auto readable = check_readable(cert_file, "http.tls.cert_file"); !readable) {
    return fail(readable.error());
  }
  if (auto readable = check_readable(key_file, "http.tls.key_file"); !readable) {
    return fail(readable.error());
  }
  std::shared_ptr<TlsContext> tls(new TlsContext());
  SSL_CTX* ctx = tls->context_.native_handle();
  // TLS 1.2+ only; no compression, no renegotiation by clients.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return fail(Error::invalid("http.tls.cert_file: '" + cert_file +
                               "' is not a usable PEM certificate chain (" + openssl_reason() +
                               ")"));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    const std::string reason = openssl_reason();
    if (reason.find("mismatch") != std::string::npos) {
      return fail(Error::invalid("http.tls.key_file: '" + key_file +
                                 "' does not match the certificate in http.tls.cert_file"));
    }
    return fail(Error::invalid("http.tls.key_file: '" + key_file +
                               "' is not a usable PEM private key (" + reason + ")"));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail(Error::invalid("http.tls.key_file: '" + key_file +
                               "' does not match the certificate in http.tls.cert_file (" +
                               openssl_reason() + ")"));
  }
  return tls;
}

}  // namespace upfleet
