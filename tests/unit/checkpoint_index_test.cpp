// The worker's index of the status topic (multipart uploads to resume, uploads already
// stored), and the sink that records the worker's own confirmed events in it at once.
#include "worker/checkpoint_index.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_status_sink.h"
#include "worker/checkpointing_status_sink.h"

namespace upfleet {
namespace {

StatusEvent event(std::string id, UploadState state) {
  StatusEvent e;
  e.upload_id = std::move(id);
  e.state = state;
  return e;
}

StatusEvent uploading(std::string id, std::string multipart_id, uint32_t done) {
  StatusEvent e = event(std::move(id), UploadState::kUploading);
  e.multipart_upload_id = std::move(multipart_id);
  e.part_size = 8 << 20;
  e.parts_total = 10;
  e.parts_done = done;
  return e;
}

TEST(CheckpointIndex, KeepsTheLatestCheckpointOfAMultipartUpload) {
  CheckpointIndex index;
  index.apply(uploading("u1", "mp-1", 2));
  index.apply(uploading("u1", "mp-1", 5));
  auto found = index.find("u1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->multipart_upload_id, "mp-1");
  EXPECT_EQ(found->parts_done, 5u);
  EXPECT_EQ(found->parts_total, 10u);
  EXPECT_EQ(found->part_size, uint64_t{8} << 20);
  EXPECT_FALSE(index.is_stored("u1"));
  EXPECT_FALSE(index.find("other").has_value());
}

TEST(CheckpointIndex, UploadingWithoutAMultipartIdIsNoCheckpoint) {
  CheckpointIndex index;
  index.apply(uploading("u1", "", 0));
  EXPECT_FALSE(index.find("u1").has_value());
  EXPECT_EQ(index.size(), 0u);
}

TEST(CheckpointIndex, UploadedForgetsTheCheckpointAndRemembersTheUploadAsStored) {
  CheckpointIndex index;
  index.apply(uploading("u1", "mp-1", 9));
  index.apply(event("u1", UploadState::kUploaded));
  EXPECT_FALSE(index.find("u1").has_value());
  EXPECT_TRUE(index.is_stored("u1"));
  EXPECT_EQ(index.size(), 0u);
}

TEST(CheckpointIndex, FailedAndDeadLetteredAttemptsKeepTheirCheckpointForAReplay) {
  CheckpointIndex index;
  index.apply(uploading("u1", "mp-1", 3));
  index.apply(event("u1", UploadState::kFailed));
  index.apply(event("u1", UploadState::kDeadLettered));
  ASSERT_TRUE(index.find("u1").has_value());
  EXPECT_EQ(index.find("u1")->parts_done, 3u);
  EXPECT_FALSE(index.is_stored("u1"));
}

TEST(CheckpointingStatusSink, RecordsWhatTheBrokerConfirmedBeforeTheReaderSeesIt) {
  testing::FakeStatusSink inner;
  CheckpointIndex index;
  CheckpointingStatusSink sink(inner, index);
  ASSERT_TRUE(sink.publish(uploading("u1", "mp-1", 4)));
  ASSERT_EQ(inner.events().size(), 1u);
  ASSERT_TRUE(index.find("u1").has_value());
  EXPECT_EQ(index.find("u1")->parts_done, 4u);

  ASSERT_TRUE(sink.publish(event("u1", UploadState::kUploaded)));
  EXPECT_FALSE(index.find("u1").has_value());
  EXPECT_TRUE(index.is_stored("u1"));
}

TEST(CheckpointingStatusSink, AnUnconfirmedEventIsNotRecorded) {
  testing::FakeStatusSink inner;
  CheckpointIndex index;
  CheckpointingStatusSink sink(inner, index);
  inner.fail_next(Error::transient(ErrorCode::kTimeout, "no acknowledgement"));
  auto sent = sink.publish(uploading("u1", "mp-1", 4));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kTimeout);
  EXPECT_FALSE(index.find("u1").has_value());

  inner.fail_next(Error::transient(ErrorCode::kTimeout, "no acknowledgement"));
  ASSERT_FALSE(sink.publish(event("u2", UploadState::kUploaded)));
  EXPECT_FALSE(index.is_stored("u2"));
}

}  // namespace
}  // namespace upfleet
