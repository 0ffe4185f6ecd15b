#include "common/status_event.h"

#include <nlohmann/json.hpp>

namespace upfleet {
namespace {

using nlohmann::json;

constexpr UploadState kAllStates[] = {UploadState::kQueued,      UploadState::kUploading,
                                      UploadState::kUploaded,    UploadState::kThumbnailed,
                                      UploadState::kDone,        UploadState::kFailed,
                                      UploadState::kDeadLettered};

template <class T>
void read_if(const json& doc, const char* name, T& target) {
  auto it = doc.find(name);
  if (it != doc.end() && !it->is_null()) target = it->get<T>();
}

}  // namespace

std::string_view to_string(UploadState state) {
  switch (state) {
    case UploadState::kQueued: return "queued";
    case UploadState::kUploading: return "uploading";
    case UploadState::kUploaded: return "uploaded";
    case UploadState::kThumbnailed: return "thumbnailed";
    case UploadState::kDone: return "done";
    case UploadState::kFailed: return "failed";
    case UploadState::kDeadLettered: return "dead_lettered";
  }
  return "queued";
}

std::optional<UploadState> parse_upload_state(std::string_view text) {
  for (UploadState state : kAllStates) {
    if (text == to_string(state)) return state;
  }
  return std::nullopt;
}

int progress_rank(UploadState state) {
  switch (state) {
    case UploadState::kQueued: return 0;
    case UploadState::kUploading: return 1;
    case UploadState::kFailed: return 1;  // a failed attempt may still be retried
    case UploadState::kUploaded: return 2;
    case UploadState::kThumbnailed: return 3;
    case UploadState::kDone: return 4;
    // Like `failed`: a replay from the DLQ may still store the object.
    case UploadState::kDeadLettered: return 1;
  }
  return 0;
}

bool is_stored(UploadState state) {
  return state == UploadState::kUploaded || state == UploadState::kThumbnailed ||
         state == UploadState::kDone;
}

std::string to_json(const StatusEvent& event) {
  json out = {{"v", 1},
              {"upload_id", event.upload_id},
              {"state", to_string(event.state)},
              {"key", event.key},
              {"at", event.at}};
  auto put = [&out](const char* name, const auto& value, bool present) {
    if (present) out[name] = value;
  };
  put("job_id", event.job_id, !event.job_id.empty());
  put("bucket", event.bucket, !event.bucket.empty());
  put("ingest_id", event.ingest_id, !event.ingest_id.empty());
  put("size", event.size, true);
  put("sha256", event.sha256, !event.sha256.empty());
  put("etag", event.etag, !event.etag.empty());
  put("url", event.url, !event.url.empty());
  if (event.state == UploadState::kUploading) {
    out["parts_done"] = event.parts_done;
    out["parts_total"] = event.parts_total;
    put("multipart_upload_id", event.multipart_upload_id, !event.multipart_upload_id.empty());
    put("part_size", event.part_size, event.part_size != 0);
    if (!event.parts.empty()) {
      json parts = json::array();
      for (const auto& part : event.parts) {
        parts.push_back({{"n", part.number}, {"size", part.size}, {"etag", part.etag}});
      }
      out["parts"] = std::move(parts);
    }
  }
  put("stage", event.stage, !event.stage.empty());
  put("reason", event.reason, !event.reason.empty());
  if (event.state == UploadState::kFailed || event.state == UploadState::kDeadLettered) {
    out["retryable"] = event.retryable;
  }
  put("attempt", event.attempt, event.attempt != 0);
  put("thumbnails", event.thumbnails, !event.thumbnails.empty());
  return out.dump();
}

Result<StatusEvent> parse_status_event(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(Error::invalid("status event is not a JSON object"));
  }
  try {
    StatusEvent event;
    read_if(doc, "upload_id", event.upload_id);
    if (event.upload_id.empty()) return fail(Error::invalid("status event: upload_id is required"));
    std::string state_text;
    read_if(doc, "state", state_text);
    auto state = parse_upload_state(state_text);
    if (!state) return fail(Error::invalid("status event: unknown state '" + state_text + "'"));
    event.state = *state;
    read_if(doc, "job_id", event.job_id);
    read_if(doc, "bucket", event.bucket);
    read_if(doc, "key", event.key);
    read_if(doc, "ingest_id", event.ingest_id);
    read_if(doc, "at", event.at);
    read_if(doc, "size", event.size);
    read_if(doc, "sha256", event.sha256);
    read_if(doc, "etag", event.etag);
    read_if(doc, "url", event.url);
    read_if(doc, "parts_done", event.parts_done);
    read_if(doc, "parts_total", event.parts_total);
    read_if(doc, "multipart_upload_id", event.multipart_upload_id);
    read_if(doc, "part_size", event.part_size);
    if (auto parts = doc.find("parts"); parts != doc.end() && parts->is_array()) {
      for (const auto& part : *parts) {
        event.parts.push_back({part.at("n").get<int>(), part.value("size", uint64_t{0}),
                               part.value("etag", std::string())});
      }
    }
    read_if(doc, "stage", event.stage);
    read_if(doc, "reason", event.reason);
    read_if(doc, "retryable", event.retryable);
    read_if(doc, "attempt", event.attempt);
    read_if(doc, "thumbnails", event.thumbnails);
    return event;
  } catch (const json::exception& e) {
    return fail(Error::invalid(std::string("status event: ") + e.what()));
  }
}

}  // namespace upfleet
