// Status events on `upfleet.status`: JSON round trip (including resume data of `uploading`
// and the failure fields) and the progress order the status view relies on.
#include "common/status_event.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace upfleet {
namespace {

using nlohmann::json;

constexpr UploadState kAllStates[] = {UploadState::kQueued,      UploadState::kUploading,
                                      UploadState::kUploaded,    UploadState::kThumbnailed,
                                      UploadState::kDone,        UploadState::kFailed,
                                      UploadState::kDeadLettered};

StatusEvent base_event(UploadState state) {
  StatusEvent event;
  event.upload_id = "0191d2f0a1b2ffffeeeeddddccccbbbb";
  event.state = state;
  event.job_id = "0191d2f0a1b2c3d4e5f6a7b8c9d0e1f2";
  event.bucket = "media";
  event.key = "photos/cat.jpg";
  event.ingest_id = "ingest-1";
  event.at = "2026-01-02T03:04:05.678Z";
  event.size = 15ull << 30;
  event.sha256 = std::string(64, 'c');
  return event;
}

StatusEvent round_trip(const StatusEvent& event) {
  auto parsed = parse_status_event(to_json(event));
  EXPECT_TRUE(parsed.has_value()) << parsed.error().message;
  return parsed.value_or(StatusEvent{});
}

TEST(StatusEventJson, StateNamesRoundTrip) {
  for (UploadState state : kAllStates) {
    EXPECT_EQ(parse_upload_state(to_string(state)), state) << to_string(state);
  }
  EXPECT_EQ(to_string(UploadState::kDeadLettered), "dead_lettered");
  EXPECT_EQ(parse_upload_state("Queued"), std::nullopt);
  EXPECT_EQ(parse_upload_state(""), std::nullopt);
}

TEST(StatusEventJson, UploadedRoundTrip) {
  StatusEvent event = base_event(UploadState::kUploaded);
  event.etag = "d41d8cd98f00b204e9800998ecf8427e";
  event.url = "https://s3.example.com/media/photos/cat.jpg";
  event.attempt = 2;
  event.thumbnails = {"photos/cat.jpg.thumb-256.webp", "photos/cat.jpg.thumb-1024.webp"};
  const StatusEvent parsed = round_trip(event);
  EXPECT_EQ(parsed.upload_id, event.upload_id);
  EXPECT_EQ(parsed.state, UploadState::kUploaded);
  EXPECT_EQ(parsed.job_id, event.job_id);
  EXPECT_EQ(parsed.bucket, event.bucket);
  EXPECT_EQ(parsed.key, event.key);
  EXPECT_EQ(parsed.ingest_id, event.ingest_id);
  EXPECT_EQ(parsed.at, event.at);
  EXPECT_EQ(parsed.size, event.size);
  EXPECT_EQ(parsed.sha256, event.sha256);
  EXPECT_EQ(parsed.etag, event.etag);
  EXPECT_EQ(parsed.url, event.url);
  EXPECT_EQ(parsed.attempt, 2);
  EXPECT_EQ(parsed.thumbnails, event.thumbnails);
}

TEST(StatusEventJson, UploadingCarriesResumeData) {
  StatusEvent event = base_event(UploadState::kUploading);
  event.parts_done = 2;
  event.parts_total = 7;
  event.multipart_upload_id = "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA";
  event.parts = {{1, 8ull << 20, "etag-1"}, {2, 8ull << 20, "etag-2"}};
  const StatusEvent parsed = round_trip(event);
  EXPECT_EQ(parsed.state, UploadState::kUploading);
  EXPECT_EQ(parsed.parts_done, 2u);
  EXPECT_EQ(parsed.parts_total, 7u);
  EXPECT_EQ(parsed.multipart_upload_id, event.multipart_upload_id);
  ASSERT_EQ(parsed.parts.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(parsed.parts[i].number, event.parts[i].number);
    EXPECT_EQ(parsed.parts[i].size, event.parts[i].size);
    EXPECT_EQ(parsed.parts[i].etag, event.parts[i].etag);
  }
  const json doc = json::parse(to_json(event));
  EXPECT_EQ(doc.at("parts").at(1).at("n"), 2);
}

TEST(StatusEventJson, FailedAndDeadLetteredCarryStageReasonRetryable) {
  for (UploadState state : {UploadState::kFailed, UploadState::kDeadLettered}) {
    SCOPED_TRACE(to_string(state));
    StatusEvent event = base_event(state);
    event.stage = "upload";
    event.reason = "storing object: SlowDown";
    event.retryable = true;
    event.attempt = 5;
    const StatusEvent parsed = round_trip(event);
    EXPECT_EQ(parsed.state, state);
    EXPECT_EQ(parsed.stage, "upload");
    EXPECT_EQ(parsed.reason, "storing object: SlowDown");
    EXPECT_TRUE(parsed.retryable);
    EXPECT_EQ(parsed.attempt, 5);
    EXPECT_EQ(json::parse(to_json(event)).at("retryable"), true);
  }
  StatusEvent permanent = base_event(UploadState::kFailed);
  permanent.retryable = false;
  EXPECT_EQ(json::parse(to_json(permanent)).at("retryable"), false);
  EXPECT_FALSE(round_trip(permanent).retryable);
}

TEST(StatusEventJson, ProgressFieldsOnlyOnUploading) {
  StatusEvent event = base_event(UploadState::kQueued);
  event.parts_done = 3;  // ignored outside `uploading`
  const json doc = json::parse(to_json(event));
  EXPECT_FALSE(doc.contains("parts_done"));
  EXPECT_FALSE(doc.contains("retryable"));
  EXPECT_FALSE(doc.contains("etag"));
  EXPECT_EQ(doc.at("state"), "queued");
  EXPECT_EQ(doc.at("v"), 1);
}

TEST(StatusEventJson, RejectsMissingIdUnknownStateAndNonObjects) {
  auto no_id = parse_status_event(R"({"state":"queued"})");
  ASSERT_FALSE(no_id.has_value());
  EXPECT_NE(no_id.error().message.find("upload_id is required"), std::string::npos);

  auto bad_state = parse_status_event(R"({"upload_id":"u1","state":"teleported"})");
  ASSERT_FALSE(bad_state.has_value());
  EXPECT_NE(bad_state.error().message.find("unknown state 'teleported'"), std::string::npos);

  for (const char* text : {"", "[]", "42", "{"}) {
    auto parsed = parse_status_event(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(StatusEventJson, WrongFieldTypesAreErrorsNotCrashes) {
  for (const char* text : {R"({"upload_id":"u1","state":"queued","size":"big"})",
                           R"({"upload_id":7,"state":"queued"})",
                           R"({"upload_id":"u1","state":"uploading","parts":[{"size":1}]})"}) {
    auto parsed = parse_status_event(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(ProgressRank, FollowsTheLifecycle) {
  EXPECT_LT(progress_rank(UploadState::kQueued), progress_rank(UploadState::kUploading));
  EXPECT_LT(progress_rank(UploadState::kUploading), progress_rank(UploadState::kUploaded));
  EXPECT_LT(progress_rank(UploadState::kUploaded), progress_rank(UploadState::kThumbnailed));
  EXPECT_LT(progress_rank(UploadState::kThumbnailed), progress_rank(UploadState::kDone));
}

TEST(ProgressRank, FailedCanBeOvertakenByARetryButNotByQueued) {
  // A failed attempt may be retried: a later `uploading` or `uploaded` must replace it, a
  // late `queued` must not.
  EXPECT_EQ(progress_rank(UploadState::kFailed), progress_rank(UploadState::kUploading));
  EXPECT_LT(progress_rank(UploadState::kQueued), progress_rank(UploadState::kFailed));
  EXPECT_LT(progress_rank(UploadState::kFailed), progress_rank(UploadState::kUploaded));
}

TEST(ProgressRank, LateQueuedCannotHideTheEnd) {
  EXPECT_LT(progress_rank(UploadState::kQueued), progress_rank(UploadState::kDeadLettered));
  EXPECT_LT(progress_rank(UploadState::kQueued), progress_rank(UploadState::kDone));
}

}  // namespace
}  // namespace upfleet
