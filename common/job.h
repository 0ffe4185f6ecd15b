// The job message on `upfleet.jobs` (key = object key). Its JSON form is a public contract
// (docs/job.schema.json): upstream services produce jobs too, so parsing is strict about what
// we need and tolerant of fields we do not know (forward compatibility).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace upfleet {

inline constexpr int kJobSchemaVersion = 1;

enum class JobType { kUpload, kThumbnail, kDelete };

std::string_view to_string(JobType type);
std::optional<JobType> parse_job_type(std::string_view text);

// Where the bytes are (claim check): `http(s)://<ingest>/internal/spool/<upload_id>`,
// `file:///shared/volume/path`, or `s3://bucket/key` for jobs on stored objects.
struct ClaimCheck {
  std::string uri;
  uint64_t size = 0;
  std::string sha256;  // lower-case hex of the whole content; empty if unknown
  std::string content_type;
};

struct Job {
  std::string job_id;
  std::string upload_id;
  JobType type = JobType::kUpload;
  std::string bucket;  // empty: the worker's configured s3.bucket
  std::string key;
  ClaimCheck source;
  std::map<std::string, std::string> metadata;
  std::string created_at;  // RFC 3339
  int attempt = 0;
  std::string ingest_id;  // the ingest that holds the spooled bytes; empty for external jobs
};

std::string to_json(const Job& job);

// Parses and validates a job message. kInvalidArgument (never retryable) with a message that
// names the offending field, e.g. "source.sha256: must be 64 lower-case hex digits".
Result<Job> parse_job(std::string_view json);

// True for 64 lower-case hex digits.
bool is_sha256_hex(std::string_view text);

}  // namespace upfleet
