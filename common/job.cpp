#include "common/job.h"

#include <nlohmann/json.hpp>

#include "common/object_key.h"

namespace upfleet {
namespace {

using nlohmann::json;

Error field_error(std::string_view field, std::string_view problem) {
  return Error::invalid(std::string(field) + ": " + std::string(problem));
}

// Reads an optional string field; fails if present with another type.
Result<std::string> string_field(const json& object, const char* name, std::string_view path,
                                 bool required) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) {
    if (required) return fail(field_error(path, "is required"));
    return std::string();
  }
  if (!it->is_string()) return fail(field_error(path, "must be a string"));
  std::string value = it->get<std::string>();
  if (required && value.empty()) return fail(field_error(path, "must not be empty"));
  return value;
}

}  // namespace

std::string_view to_string(JobType type) {
  switch (type) {
    case JobType::kUpload: return "upload";
    case JobType::kThumbnail: return "thumbnail";
    case JobType::kDelete: return "delete";
  }
  return "upload";
}

std::optional<JobType> parse_job_type(std::string_view text) {
  for (JobType type : {JobType::kUpload, JobType::kThumbnail, JobType::kDelete}) {
    if (text == to_string(type)) return type;
  }
  return std::nullopt;
}

bool is_sha256_hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string to_json(const Job& job) {
  json source = {{"uri", job.source.uri}, {"size", job.source.size}};
  if (!job.source.sha256.empty()) source["sha256"] = job.source.sha256;
  if (!job.source.content_type.empty()) source["content_type"] = job.source.content_type;
  json out = {{"v", kJobSchemaVersion},
              {"job_id", job.job_id},
              {"upload_id", job.upload_id},
              {"type", to_string(job.type)},
              {"key", job.key},
              {"source", std::move(source)},
              {"metadata", job.metadata},
              {"created_at", job.created_at},
              {"attempt", job.attempt}};
  if (!job.bucket.empty()) out["bucket"] = job.bucket;
  if (!job.ingest_id.empty()) out["ingest_id"] = job.ingest_id;
  return out.dump();
}

Result<Job> parse_job(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(Error::invalid("job is not valid JSON"));
  if (!doc.is_object()) return fail(Error::invalid("job must be a JSON object"));

  auto version = doc.find("v");
  if (version == doc.end() || !version->is_number_integer()) {
    return fail(field_error("v", "is required and must be an integer"));
  }
  if (version->get<int64_t>() != kJobSchemaVersion) {
    return fail(field_error("v", "unsupported version " + version->dump() + "; this worker reads " +
                                     std::to_string(kJobSchemaVersion)));
  }

  Job job;
  auto assign = [](std::string& target, Result<std::string> value) -> Status {
    if (!value) return fail(value.error());
    target = std::move(*value);
    return {};
  };
  if (auto s = assign(job.job_id, string_field(doc, "job_id", "job_id", true)); !s)
    return fail(s.error());
  if (auto s = assign(job.upload_id, string_field(doc, "upload_id", "upload_id", true)); !s) {
    return fail(s.error());
  }
  std::string type_text;
  if (auto s = assign(type_text, string_field(doc, "type", "type", true)); !s)
    return fail(s.error());
  auto type = parse_job_type(type_text);
  if (!type) return fail(field_error("type", "must be upload, thumbnail or delete"));
  job.type = *type;
  if (auto s = assign(job.bucket, string_field(doc, "bucket", "bucket", false)); !s)
    return fail(s.error());
  if (auto s = assign(job.key, string_field(doc, "key", "key", true)); !s) return fail(s.error());
  if (auto valid = validate_object_key(job.key); !valid) {
    return fail(field_error("key", valid.error().message));
  }
  if (auto s = assign(job.created_at, string_field(doc, "created_at", "created_at", false)); !s) {
    return fail(s.error());
  }
  if (auto s = assign(job.ingest_id, string_field(doc, "ingest_id", "ingest_id", false)); !s) {
    return fail(s.error());
  }

  if (auto attempt = doc.find("attempt"); attempt != doc.end() && !attempt->is_null()) {
    if (!attempt->is_number_integer() || attempt->get<int64_t>() < 0) {
      return fail(field_error("attempt", "must be a non-negative integer"));
    }
    job.attempt = static_cast<int>(attempt->get<int64_t>());
  }

  if (auto metadata = doc.find("metadata"); metadata != doc.end() && !metadata->is_null()) {
    if (!metadata->is_object()) return fail(field_error("metadata", "must be an object"));
    for (const auto& [name, value] : metadata->items()) {
      if (!value.is_string()) return fail(field_error("metadata." + name, "must be a string"));
      job.metadata[name] = value.get<std::string>();
    }
  }

  const bool needs_source = job.type != JobType::kDelete;
  auto source = doc.find("source");
  if (source == doc.end() || source->is_null()) {
    if (needs_source) return fail(field_error("source", "is required for " + type_text + " jobs"));
    return job;
  }
  if (!source->is_object()) return fail(field_error("source", "must be an object"));
  if (auto s = assign(job.source.uri, string_field(*source, "uri", "source.uri", needs_source));
      !s) {
    return fail(s.error());
  }
  if (auto size = source->find("size"); size != source->end() && !size->is_null()) {
    if (!size->is_number_unsigned() && !(size->is_number_integer() && size->get<int64_t>() >= 0)) {
      return fail(field_error("source.size", "must be a non-negative integer"));
    }
    job.source.size = size->get<uint64_t>();
  } else if (job.type == JobType::kUpload) {
    return fail(field_error("source.size", "is required for upload jobs"));
  }
  if (auto s = assign(job.source.sha256, string_field(*source, "sha256", "source.sha256", false));
      !s) {
    return fail(s.error());
  }
  if (!job.source.sha256.empty() && !is_sha256_hex(job.source.sha256)) {
    return fail(field_error("source.sha256", "must be 64 lower-case hex digits"));
  }
  if (auto s = assign(job.source.content_type,
                      string_field(*source, "content_type", "source.content_type", false));
      !s) {
    return fail(s.error());
  }
  return job;
}

}  // namespace upfleet
