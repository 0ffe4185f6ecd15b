#include "tools/ingest_client.h"

#include "common/file_byte_source.h"
#include "common/s3/uri_encode.h"

namespace upfleet::ctl {

void IngestClient::authorize(http::HttpRequest& request) const {
  if (!token_.empty()) request.headers.emplace_back("Authorization", "Bearer " + token_);
}

Result<nlohmann::json> IngestClient::parse_reply(const http::HttpResponse& response,
                                                 long expected) const {
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (response.status == expected && !body.is_discarded()) return body;
  std::string message = "HTTP " + std::to_string(response.status);
  if (!body.is_discarded() && body.contains("error")) {
    message += ": " + body["error"].value("message", std::string());
  }
  ErrorCode code = ErrorCode::kProtocol;
  if (response.status == 404) code = ErrorCode::kNotFound;
  if (response.status == 401) code = ErrorCode::kUnauthenticated;
  if (response.status == 400) code = ErrorCode::kInvalidArgument;
  if (response.status == 413) code = ErrorCode::kTooLarge;
  const bool retryable = response.status == 503 || response.status == 507 || response.status == 429;
  if (retryable) code = ErrorCode::kUnavailable;
  return fail(Error{code, message, retryable});
}

Result<nlohmann::json> IngestClient::put_file(
    const std::filesystem::path& file, const std::string& key,
    const std::function<void(uint64_t, uint64_t)>& progress) {
  auto source = FileByteSource::open(file);
  if (!source) return fail(source.error());
  http::HttpRequest request;
  request.method = "PUT";
  request.url = server_ + "/v1/files/" + s3::uri_encode_path(key);
  request.body_source = source->get();
  request.body_offset = 0;
  request.body_length = (*source)->size();
  request.headers.emplace_back("Content-Type", "application/octet-stream");
  authorize(request);
  request.on_upload_progress = progress;
  auto response = transport_.perform(request);
  if (!response) return fail(response.error().with_context("PUT " + request.url));
  return parse_reply(*response, 202);
}

Result<nlohmann::json> IngestClient::status(const std::string& upload_id) {
  http::HttpRequest request;
  request.url = server_ + "/v1/uploads/" + s3::uri_encode_query(upload_id);
  authorize(request);
  auto response = transport_.perform(request);
  if (!response) return fail(response.error().with_context("GET " + request.url));
  return parse_reply(*response, 200);
}

}  // namespace upfleet::ctl
