// GET /internal/spool/{upload_id}: workers fetch spooled bytes, whole or by Range (parts in
// parallel, resumable). Protected by spool.token; without a token, loopback clients only.
#include "common/http/byte_range.h"
#include "producer/auth.h"
#include "producer/ingest_service.h"

namespace upfleet {
namespace bhttp = beast::http;

HttpResponse IngestService::get_spooled(const HttpRequest& request) {
  if (options_.spool_token.empty()) {
    if (!request.remote_is_loopback) {
      return json_error(403, "forbidden",
                        "spool.token is not set, so the spool endpoint serves loopback only");
    }
  } else if (!token_accepted(request.header(bhttp::field::authorization), {options_.spool_token})) {
    return json_error(401, "unauthorized", "missing or wrong spool token");
  }
  const std::string id = request.path.substr(std::string_view("/internal/spool/").size());
  if (!is_valid_upload_id(id)) return json_error(400, "bad_upload_id", "malformed upload id");
  auto source = spool_.open(id);
  if (!source) {
    if (source.error().code == ErrorCode::kNotFound) {
      return json_error(404, "not_found", "upload " + id + " is not in this spool");
    }
    return json_error(500, "spool_failed", source.error().message);
  }
  std::shared_ptr<ByteSource> shared = std::move(*source);
  const uint64_t size = shared->size();
  const auto range = http::resolve_range(request.header(bhttp::field::range), size);
  if (range.outcome == http::RangeOutcome::kUnsatisfiable) {
    HttpResponse response = json_error(416, "range_not_satisfiable", "range outside the file");
    response.headers.emplace_back("Content-Range", http::unsatisfied_content_range(size));
    return response;
  }
  HttpResponse response;
  response.content_type = "application/octet-stream";
  response.headers.emplace_back("Accept-Ranges", "bytes");
  if (range.outcome == http::RangeOutcome::kPartial) {
    response.status = 206;
    response.headers.emplace_back("Content-Range", http::content_range(range.range, size));
  }
  response.stream = std::move(shared);
  response.stream_offset = range.range.offset;
  response.stream_length = range.range.length;
  return response;
}

}  // namespace upfleet
