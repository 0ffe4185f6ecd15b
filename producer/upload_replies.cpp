#include "producer/upload_replies.h"

#include <string>

namespace upfleet {

HttpResponse spool_error(const Error& error) {
  switch (error.code) {
    case ErrorCode::kTooLarge: {
      HttpResponse response = json_error(413, "too_large", error.message);
      response.close = true;
      return response;
    }
    case ErrorCode::kResourceExhausted: {
      HttpResponse response = json_error(507, "insufficient_storage", error.message);
      response.headers.emplace_back("Retry-After", "30");
      response.close = true;
      return response;
    }
    case ErrorCode::kTimeout: return json_error(408, "request_timeout", error.message);
    case ErrorCode::kInvalidArgument: return json_error(400, "bad_request", error.message);
    default: return json_error(500, "spool_failed", error.message);
  }
}

HttpResponse unauthorized() {
  HttpResponse response = json_error(401, "unauthorized", "missing or wrong bearer token");
  response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

HttpResponse declared_body_too_large(uint64_t length, uint64_t limit) {
  HttpResponse response =
      json_error(413, "too_large",
                 "body of " + std::to_string(length) + " bytes exceeds the limit of " +
                     std::to_string(limit) + " (http.max_body_bytes)");
  response.close = true;
  return response;
}

HttpResponse checksum_mismatch(std::string_view key, std::string_view expected,
                               std::string_view actual) {
  return json_error(400, "checksum_mismatch",
                    "the body of " + std::string(key) + " has SHA-256 " + std::string(actual) +
                        ", not the " + std::string(expected) +
                        " given in X-Checksum-Sha256; nothing was kept");
}

nlohmann::json upload_reply(const SpoolManifest& manifest, std::string_view advertise_url) {
  return {{"upload_id", manifest.upload_id},
          {"key", manifest.key},
          {"size", manifest.size},
          {"sha256", manifest.sha256},
          {"status_url", std::string(advertise_url) + "/v1/uploads/" + manifest.upload_id}};
}

}  // namespace upfleet
