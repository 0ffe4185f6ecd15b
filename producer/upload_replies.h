// Answers shared by the upload endpoints (PUT /v1/files/{key} and POST /v1/files), so both
// report the same failure with the same status, code and headers.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/error.h"
#include "common/spool.h"
#include "producer/http_server.h"

namespace upfleet {

// A spool or body-read failure: 413 (closes), 507 + Retry-After (closes), 408, 400 or 500.
HttpResponse spool_error(const Error& error);

// 401 with WWW-Authenticate: Bearer.
HttpResponse unauthorized();

// 413 for a Content-Length above http.max_body_bytes, before any byte is read (closes).
HttpResponse declared_body_too_large(uint64_t length, uint64_t limit);

// 400 checksum_mismatch: the spooled bytes do not have the SHA-256 the client announced.
HttpResponse checksum_mismatch(std::string_view key, std::string_view expected,
                               std::string_view actual);

// The JSON describing one accepted upload: {upload_id, key, size, sha256, status_url}.
nlohmann::json upload_reply(const SpoolManifest& manifest, std::string_view advertise_url);

}  // namespace upfleet
