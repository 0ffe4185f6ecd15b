// AWS Signature Version 4: signs requests in headers (Authorization) or in the query string
// (presigned URLs). Pure computation: the time comes in as an argument, never from a clock
// read in here, so signatures are reproducible in tests.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/http/http_transport.h"
#include "common/s3/sigv4_canonical.h"

namespace upfleet::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // set for temporary (STS) credentials only
};

struct SigV4Options {
  std::string region = "us-east-1";
  std::string service = "s3";
  // S3 signs the path exactly as sent: encoded once, never normalised. Other AWS services
  // sign the normalised path and encode the already-encoded path a second time.
  bool normalize_path = false;
  bool double_encode_path = false;
  // Header signing adds and signs x-amz-content-sha256 (S3 requires it).
  bool add_content_sha256_header = true;
  // False adds the session token after signing (some STS-era services want it unsigned).
  bool sign_session_token = true;

  static SigV4Options for_s3(std::string region);
  static SigV4Options generic(std::string region, std::string service);
};

// The request to sign. Views only: the caller keeps the data alive during the call.
struct SigningInput {
  std::string_view method;
  // The path as it goes on the wire: for S3 already percent-encoded with uri_encode_path.
  std::string_view path = "/";
  QueryParams query;  // decoded
  // Every header that will be sent and must be covered, including host. Header signing signs
  // all of them (except authorization); keep unsigned hop-by-hop headers out.
  http::Headers headers;
  // Hex SHA-256 of the body, kEmptySha256Hex for no body, or "UNSIGNED-PAYLOAD".
  std::string_view payload_hash;
};

// The intermediate strings, for tests and for debugging SignatureDoesNotMatch (S3 returns
// its own canonical request in the error body).
struct SigningDetails {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // lower-case hex
};

struct HeaderSignature {
  // To append to the request: x-amz-date, x-amz-content-sha256 (when enabled),
  // x-amz-security-token (with a session token), authorization.
  http::Headers headers;
  SigningDetails details;
};

struct QuerySignature {
  // To append to the request's query (decoded): X-Amz-Algorithm ... X-Amz-Signature.
  QueryParams params;
  SigningDetails details;
};

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

// Immutable after construction; all methods are const and thread-safe.
class SigV4Signer {
 public:
  SigV4Signer(Credentials credentials, SigV4Options options);

  // Signs with an Authorization header dated `now`.
  HeaderSignature sign_headers(const SigningInput& input,
                               std::chrono::system_clock::time_point now) const;

  // Presigns via X-Amz-* query parameters valid for `expires` from `now` (S3 accepts 1 s to
  // 7 days; the caller checks the range). The input's headers (usually only host) are signed
  // and must be sent by whoever uses the URL.
  QuerySignature presign(const SigningInput& input, std::chrono::system_clock::time_point now,
                         std::chrono::seconds expires) const;

  const SigV4Options& options() const { return options_; }

 private:
  std::string canonical_path(std::string_view path) const;
  std::string credential_scope(std::string_view date) const;
  SigningDetails sign(std::string_view method, std::string_view path, const QueryParams& query,
                      const http::Headers& headers, std::string_view payload_hash,
                      std::string_view amz_date) const;

  Credentials credentials_;
  SigV4Options options_;
};

// "20150830T123600Z", the x-amz-date format.
std::string format_amz_date(std::chrono::system_clock::time_point time);

}  // namespace upfleet::s3
