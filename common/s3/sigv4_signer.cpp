#include "common/s3/sigv4_signer.h"

#include <cstdio>
#include <utility>

#include "common/crypto/hex.h"
#include "common/crypto/hmac.h"
#include "common/crypto/sha256.h"
#include "common/s3/uri_encode.h"

namespace upfleet::s3 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

crypto::Sha256Digest derive_signing_key(std::string_view secret, std::string_view date,
                                        std::string_view region, std::string_view service) {
  const std::string secret_key = "AWS4" + std::string(secret);
  const auto date_key = crypto::hmac_sha256(crypto::as_bytes(secret_key), date);
  const auto region_key = crypto::hmac_sha256(date_key, region);
  const auto service_key = crypto::hmac_sha256(region_key, service);
  return crypto::hmac_sha256(service_key, std::string_view("aws4_request"));
}

}  // namespace

SigV4Options SigV4Options::for_s3(std::string region) {
  SigV4Options options;
  options.region = std::move(region);
  return options;
}

SigV4Options SigV4Options::generic(std::string region, std::string service) {
  SigV4Options options;
  options.region = std::move(region);
  options.service = std::move(service);
  options.normalize_path = true;
  options.double_encode_path = true;
  options.add_content_sha256_header = false;
  return options;
}

std::string format_amz_date(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto seconds = floor<std::chrono::seconds>(time);
  const auto day = floor<days>(seconds);
  const year_month_day ymd{day};
  const hh_mm_ss hms{seconds - day};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

SigV4Signer::SigV4Signer(Credentials credentials, SigV4Options options)
    : credentials_(std::move(credentials)), options_(std::move(options)) {}

std::string SigV4Signer::canonical_path(std::string_view path) const {
  std::string out = options_.normalize_path ? normalize_path(path) : std::string(path);
  if (options_.double_encode_path) out = uri_encode_path(out);
  if (out.empty()) out = "/";
  return out;
}

std::string SigV4Signer::credential_scope(std::string_view date) const {
  return std::string(date) + "/" + options_.region + "/" + options_.service + "/aws4_request";
}

SigningDetails SigV4Signer::sign(std::string_view method, std::string_view path,
                                 const QueryParams& query, const http::Headers& headers,
                                 std::string_view payload_hash, std::string_view amz_date) const {
  const CanonicalHeaders canonical_headers = canonicalize_headers(headers);
  SigningDetails details;
  details.signed_headers = canonical_headers.signed_headers;
  details.canonical_request = std::string(method) + "\n" + canonical_path(path) + "\n" +
                              canonical_query_string(query) + "\n" + canonical_headers.block +
                              "\n" + canonical_headers.signed_headers + "\n" +
                              std::string(payload_hash);
  const std::string_view date = amz_date.substr(0, 8);
  details.string_to_sign = std::string(kAlgorithm) + "\n" + std::string(amz_date) + "\n" +
                           credential_scope(date) + "\n" +
                           crypto::sha256_hex(details.canonical_request);
  const auto key =
      derive_signing_key(credentials_.secret_access_key, date, options_.region, options_.service);
  details.signature = crypto::to_hex(crypto::hmac_sha256(key, details.string_to_sign));
  return details;
}

HeaderSignature SigV4Signer::sign_headers(const SigningInput& input,
                                          std::chrono::system_clock::time_point now) const {
  const std::string amz_date = format_amz_date(now);
  HeaderSignature out;
  out.headers.emplace_back("x-amz-date", amz_date);
  if (options_.add_content_sha256_header) {
    out.headers.emplace_back("x-amz-content-sha256", std::string(input.payload_hash));
  }
  const bool has_token = !credentials_.session_token.empty();
  if (has_token && options_.sign_session_token) {
    out.headers.emplace_back("x-amz-security-token", credentials_.session_token);
  }

  http::Headers signed_headers = input.headers;
  signed_headers.insert(signed_headers.end(), out.headers.begin(), out.headers.end());
  out.details =
      sign(input.method, input.path, input.query, signed_headers, input.payload_hash, amz_date);

  if (has_token && !options_.sign_session_token) {
    out.headers.emplace_back("x-amz-security-token", credentials_.session_token);
  }
  out.headers.emplace_back(
      "authorization", std::string(kAlgorithm) + " Credential=" + credentials_.access_key_id + "/" +
                           credential_scope(std::string_view(amz_date).substr(0, 8)) +
                           ", SignedHeaders=" + out.details.signed_headers +
                           ", Signature=" + out.details.signature);
  return out;
}

QuerySignature SigV4Signer::presign(const SigningInput& input,
                                    std::chrono::system_clock::time_point now,
                                    std::chrono::seconds expires) const {
  const std::string amz_date = format_amz_date(now);
  QuerySignature out;
  out.params.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  out.params.emplace_back(
      "X-Amz-Credential",
      credentials_.access_key_id + "/" + credential_scope(std::string_view(amz_date).substr(0, 8)));
  out.params.emplace_back("X-Amz-Date", amz_date);
  out.params.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
  out.params.emplace_back("X-Amz-SignedHeaders",
                          canonicalize_headers(input.headers).signed_headers);
  const bool has_token = !credentials_.session_token.empty();
  if (has_token && options_.sign_session_token) {
    out.params.emplace_back("X-Amz-Security-Token", credentials_.session_token);
  }

  QueryParams signed_query = input.query;
  signed_query.insert(signed_query.end(), out.params.begin(), out.params.end());
  out.details =
      sign(input.method, input.path, signed_query, input.headers, input.payload_hash, amz_date);

  if (has_token && !options_.sign_session_token) {
    out.params.emplace_back("X-Amz-Security-Token", credentials_.session_token);
  }
  out.params.emplace_back("X-Amz-Signature", out.details.signature);
  return out;
}

}  // namespace upfleet::s3
