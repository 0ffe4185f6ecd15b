// The job message JSON (a public contract, docs/job.schema.json): round trip, strict on what
// the worker needs, tolerant of unknown fields.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "common/job.h"

namespace upfleet {
namespace {

using nlohmann::json;

const std::string kSha = std::string(64, 'a');

Job full_job() {
  Job job;
  job.job_id = "0191d2f0a1b2c3d4e5f6a7b8c9d0e1f2";
  job.upload_id = "0191d2f0a1b2ffffeeeeddddccccbbbb";
  job.type = JobType::kUpload;
  job.bucket = "media";
  job.key = "photos/2026/café.jpg";
  job.source.uri = "http://ingest-0.ingest:8080/internal/spool/0191d2f0a1b2ffffeeeeddddccccbbbb";
  job.source.size = 123456789012ull;
  job.source.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  job.source.content_type = "image/jpeg";
  job.metadata = {{"origin", "camera"}, {"owner", "team-a"}};
  job.created_at = "2026-01-02T03:04:05.678Z";
  job.attempt = 3;
  job.ingest_id = "ingest-0";
  return job;
}

// A minimal valid upload job as JSON, for tests that change one field.
json valid_doc() {
  return json::parse(R"({
    "v": 1, "job_id": "j1", "upload_id": "u1", "type": "upload", "key": "a/b.txt",
    "source": {"uri": "file:///shared/u1", "size": 5, "sha256": ")" +
                     kSha + R"("}
  })");
}

void expect_field_error(const json& doc, std::string_view expected_message) {
  auto job = parse_job(doc.dump());
  ASSERT_FALSE(job.has_value()) << doc.dump();
  EXPECT_EQ(job.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(job.error().retryable);
  EXPECT_EQ(job.error().message.substr(0, expected_message.size()), expected_message)
      << job.error().message;
}

TEST(JobJson, RoundTripsEveryField) {
  const Job original = full_job();
  auto parsed = parse_job(to_json(original));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->job_id, original.job_id);
  EXPECT_EQ(parsed->upload_id, original.upload_id);
  EXPECT_EQ(parsed->type, JobType::kUpload);
  EXPECT_EQ(parsed->bucket, original.bucket);
  EXPECT_EQ(parsed->key, original.key);
  EXPECT_EQ(parsed->source.uri, original.source.uri);
  EXPECT_EQ(parsed->source.size, original.source.size);
  EXPECT_EQ(parsed->source.sha256, original.source.sha256);
  EXPECT_EQ(parsed->source.content_type, original.source.content_type);
  EXPECT_EQ(parsed->metadata, original.metadata);
  EXPECT_EQ(parsed->created_at, original.created_at);
  EXPECT_EQ(parsed->attempt, original.attempt);
  EXPECT_EQ(parsed->ingest_id, original.ingest_id);
}

TEST(JobJson, WritesVersionAndDocumentedFieldNames) {
  const json doc = json::parse(to_json(full_job()));
  EXPECT_EQ(doc.at("v"), 1);
  EXPECT_EQ(doc.at("type"), "upload");
  EXPECT_EQ(doc.at("source").at("size"), 123456789012ull);
  EXPECT_EQ(doc.at("source").at("content_type"), "image/jpeg");
  EXPECT_EQ(doc.at("metadata").at("owner"), "team-a");
  EXPECT_EQ(doc.at("ingest_id"), "ingest-0");
}

TEST(JobJson, OptionalFieldsAreOmittedWhenEmptyAndRoundTrip) {
  Job job = full_job();
  job.bucket.clear();
  job.ingest_id.clear();
  job.source.sha256.clear();
  job.source.content_type.clear();
  job.metadata.clear();
  const json doc = json::parse(to_json(job));
  EXPECT_FALSE(doc.contains("bucket"));
  EXPECT_FALSE(doc.contains("ingest_id"));
  EXPECT_FALSE(doc.at("source").contains("sha256"));
  auto parsed = parse_job(doc.dump());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->bucket, "");
  EXPECT_EQ(parsed->source.sha256, "");
  EXPECT_TRUE(parsed->metadata.empty());
}

TEST(JobJson, TypesRoundTrip) {
  for (JobType type : {JobType::kUpload, JobType::kThumbnail, JobType::kDelete}) {
    EXPECT_EQ(parse_job_type(to_string(type)), type);
  }
  EXPECT_EQ(parse_job_type("Upload"), std::nullopt);
  EXPECT_EQ(parse_job_type(""), std::nullopt);
}

TEST(JobJson, MinimalDocumentParsesWithDefaults) {
  auto job = parse_job(valid_doc().dump());
  ASSERT_TRUE(job.has_value()) << job.error().message;
  EXPECT_EQ(job->attempt, 0);
  EXPECT_EQ(job->bucket, "");
  EXPECT_EQ(job->created_at, "");
  EXPECT_TRUE(job->metadata.empty());
}

TEST(JobJson, EveryRequiredFieldMissingIsNamed) {
  const std::pair<const char*, const char*> kRequired[] = {{"v", "v: "},
                                                           {"job_id", "job_id: is required"},
                                                           {"upload_id", "upload_id: is required"},
                                                           {"type", "type: is required"},
                                                           {"key", "key: is required"},
                                                           {"source", "source: is required"}};
  for (const auto& [field, message] : kRequired) {
    SCOPED_TRACE(field);
    json doc = valid_doc();
    doc.erase(field);
    expect_field_error(doc, message);
  }
  for (const char* field : {"uri", "size"}) {
    SCOPED_TRACE(field);
    json doc = valid_doc();
    doc["source"].erase(field);
    expect_field_error(doc, std::string("source.") + field + ": is required");
  }
}

TEST(JobJson, NullRequiredFieldCountsAsMissing) {
  json doc = valid_doc();
  doc["job_id"] = nullptr;
  expect_field_error(doc, "job_id: is required");
}

TEST(JobJson, EmptyRequiredStringIsRejected) {
  json doc = valid_doc();
  doc["upload_id"] = "";
  expect_field_error(doc, "upload_id: must not be empty");
}

TEST(JobJson, WrongTypesNameTheField) {
  struct Case {
    const char* name;
    std::function<void(json&)> mutate;
    const char* message;
  };
  const Case kCases[] = {
      {"v string", [](json& d) { d["v"] = "1"; }, "v: is required and must be an integer"},
      {"job_id number", [](json& d) { d["job_id"] = 7; }, "job_id: must be a string"},
      {"type unknown", [](json& d) { d["type"] = "copy"; }, "type: must be upload, thumbnail"},
      {"bucket array", [](json& d) { d["bucket"] = json::array(); }, "bucket: must be a string"},
      {"key object", [](json& d) { d["key"] = json::object(); }, "key: must be a string"},
      {"attempt negative", [](json& d) { d["attempt"] = -1; }, "attempt: must be a non-negative"},
      {"attempt string", [](json& d) { d["attempt"] = "2"; }, "attempt: must be a non-negative"},
      {"metadata array", [](json& d) { d["metadata"] = json::array(); },
       "metadata: must be an object"},
      {"metadata value",
       [](json& d) {
         d["metadata"] = {{"n", 5}};
       },
       "metadata.n: must be a string"},
      {"source string", [](json& d) { d["source"] = "file:///x"; }, "source: must be an object"},
      {"size negative", [](json& d) { d["source"]["size"] = -5; },
       "source.size: must be a non-negative integer"},
      {"size float", [](json& d) { d["source"]["size"] = 1.5; },
       "source.size: must be a non-negative integer"},
      {"size string", [](json& d) { d["source"]["size"] = "5"; },
       "source.size: must be a non-negative integer"},
      {"uri number", [](json& d) { d["source"]["uri"] = 1; }, "source.uri: must be a string"},
      {"content_type bool", [](json& d) { d["source"]["content_type"] = true; },
       "source.content_type: must be a string"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    json doc = valid_doc();
    c.mutate(doc);
    expect_field_error(doc, c.message);
  }
}

TEST(JobJson, BadSha256IsRejected) {
  for (const std::string& bad : {std::string(63, 'a'), std::string(65, 'a'), std::string(64, 'A'),
                                 std::string(63, 'a') + "g", std::string("not-a-hash")}) {
    SCOPED_TRACE(bad);
    json doc = valid_doc();
    doc["source"]["sha256"] = bad;
    expect_field_error(doc, "source.sha256: must be 64 lower-case hex digits");
  }
  json doc = valid_doc();
  doc["source"]["sha256"] = 42;
  expect_field_error(doc, "source.sha256: must be a string");
}

TEST(JobJson, IsSha256Hex) {
  EXPECT_TRUE(is_sha256_hex(std::string(64, '0')));
  EXPECT_TRUE(is_sha256_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_FALSE(is_sha256_hex(""));
  EXPECT_FALSE(is_sha256_hex("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
}

TEST(JobJson, UnknownVersionIsRejected) {
  json doc = valid_doc();
  doc["v"] = 2;
  expect_field_error(doc, "v: unsupported version 2");
  doc["v"] = 0;
  expect_field_error(doc, "v: unsupported version 0");
}

TEST(JobJson, UnknownFieldsAreTolerated) {
  json doc = valid_doc();
  doc["priority"] = "high";
  doc["trace"] = {{"id", 1}};
  doc["source"]["etag_hint"] = "abc";
  auto job = parse_job(doc.dump());
  ASSERT_TRUE(job.has_value()) << job.error().message;
  EXPECT_EQ(job->key, "a/b.txt");
  EXPECT_EQ(job->source.size, 5u);
}

TEST(JobJson, DeleteJobsNeedNoSource) {
  json doc = valid_doc();
  doc["type"] = "delete";
  doc.erase("source");
  auto job = parse_job(doc.dump());
  ASSERT_TRUE(job.has_value()) << job.error().message;
  EXPECT_EQ(job->type, JobType::kDelete);
  EXPECT_EQ(job->source.uri, "");
}

TEST(JobJson, ThumbnailJobsNeedASourceButNoSize) {
  json doc = valid_doc();
  doc["type"] = "thumbnail";
  doc["source"] = {{"uri", "s3://media/a/b.txt"}};
  auto job = parse_job(doc.dump());
  ASSERT_TRUE(job.has_value()) << job.error().message;
  EXPECT_EQ(job->source.uri, "s3://media/a/b.txt");

  doc.erase("source");
  expect_field_error(doc, "source: is required for thumbnail jobs");
}

TEST(JobJson, BadKeysAreRejected) {
  for (const char* key : {"../etc/passwd", "/abs", "a//b", "a\\b", "dir/"}) {
    SCOPED_TRACE(key);
    json doc = valid_doc();
    doc["key"] = key;
    expect_field_error(doc, "key: ");
  }
  json doc = valid_doc();
  doc["key"] = std::string("a\0b", 3);
  expect_field_error(doc, "key: key contains a control byte");
}

TEST(JobJson, NonJsonAndNonObjectsAreRejected) {
  for (const char* text : {"", "{", "not json", "{\"v\":1,}"}) {
    auto job = parse_job(text);
    ASSERT_FALSE(job.has_value()) << text;
    EXPECT_EQ(job.error().message, "job is not valid JSON");
  }
  for (const char* text : {"[]", "1", "\"job\"", "null"}) {
    auto job = parse_job(text);
    ASSERT_FALSE(job.has_value()) << text;
    EXPECT_EQ(job.error().message, "job must be a JSON object");
  }
}

}  // namespace
}  // namespace upfleet
