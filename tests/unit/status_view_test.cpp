// The ingest's status view: latest state per upload, no regressions from late events,
// listener on change, and waiting for the next change.
#include "producer/status_view.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace upfleet {
namespace {

using namespace std::chrono_literals;

StatusEvent event(std::string id, UploadState state, std::string at = "t") {
  StatusEvent e;
  e.upload_id = std::move(id);
  e.state = state;
  e.at = std::move(at);
  return e;
}

TEST(StatusView, UnknownUploadIsNotFound) {
  StatusView view;
  EXPECT_EQ(view.find("nope"), std::nullopt);
  EXPECT_EQ(view.size(), 0u);
}

TEST(StatusView, KeepsTheLatestStatePerUpload) {
  StatusView view;
  EXPECT_TRUE(view.apply(event("a", UploadState::kQueued)));
  EXPECT_TRUE(view.apply(event("b", UploadState::kQueued)));
  EXPECT_TRUE(view.apply(event("a", UploadState::kUploading)));
  EXPECT_TRUE(view.apply(event("a", UploadState::kUploaded)));
  EXPECT_EQ(view.find("a")->state, UploadState::kUploaded);
  EXPECT_EQ(view.find("b")->state, UploadState::kQueued);
  EXPECT_EQ(view.size(), 2u);
}

TEST(StatusView, LaterStatesAreNotReplacedByEarlierOnes) {
  StatusView view;
  StatusEvent uploaded = event("a", UploadState::kUploaded, "t2");
  uploaded.etag = "etag";
  ASSERT_TRUE(view.apply(uploaded));
  EXPECT_FALSE(view.apply(event("a", UploadState::kQueued, "t1")));
  EXPECT_FALSE(view.apply(event("a", UploadState::kUploading, "t1")));
  EXPECT_FALSE(view.apply(event("a", UploadState::kFailed, "t1")));
  const auto found = view.find("a");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->state, UploadState::kUploaded);
  EXPECT_EQ(found->etag, "etag");

  ASSERT_TRUE(view.apply(event("d", UploadState::kDeadLettered)));
  EXPECT_FALSE(view.apply(event("d", UploadState::kQueued)));
  EXPECT_EQ(view.find("d")->state, UploadState::kDeadLettered);
}

TEST(StatusView, RetryAfterFailureReplacesIt) {
  StatusView view;
  ASSERT_TRUE(view.apply(event("a", UploadState::kFailed, "t1")));
  EXPECT_TRUE(view.apply(event("a", UploadState::kUploading, "t2")));
  EXPECT_EQ(view.find("a")->state, UploadState::kUploading);
}

// `upfleetctl dlq replay` runs a dead-lettered job again; when it succeeds the view must show
// the upload as stored, not dead-lettered forever.
TEST(StatusView, SuccessfulReplayAfterDeadLetterReplacesIt) {
  StatusView view;
  ASSERT_TRUE(view.apply(event("a", UploadState::kDeadLettered, "t1")));
  EXPECT_TRUE(view.apply(event("a", UploadState::kUploaded, "t2")));
  EXPECT_EQ(view.find("a")->state, UploadState::kUploaded);
}

TEST(StatusView, UploadingProgressReplacesEarlierProgress) {
  StatusView view;
  StatusEvent first = event("a", UploadState::kUploading, "t1");
  first.parts_done = 1;
  StatusEvent second = event("a", UploadState::kUploading, "t2");
  second.parts_done = 2;
  ASSERT_TRUE(view.apply(first));
  EXPECT_TRUE(view.apply(second));
  EXPECT_EQ(view.find("a")->parts_done, 2u);
}

TEST(StatusView, ListenerIsCalledOnlyOnChange) {
  StatusView view;
  std::vector<UploadState> seen;
  view.set_listener([&](const StatusEvent& e) { seen.push_back(e.state); });
  view.apply(event("a", UploadState::kQueued));
  view.apply(event("a", UploadState::kQueued));  // duplicate (redelivery)
  view.apply(event("a", UploadState::kUploaded));
  view.apply(event("a", UploadState::kQueued));  // late
  EXPECT_EQ(seen, (std::vector<UploadState>{UploadState::kQueued, UploadState::kUploaded}));
}

TEST(StatusView, WaitForChangeReturnsAtOnceWhenStateDiffersFromSeen) {
  StatusView view;
  view.apply(event("a", UploadState::kUploaded));
  const auto stale = event("a", UploadState::kQueued);
  const auto got = view.wait_for_change("a", stale, 10s);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->state, UploadState::kUploaded);

  const auto unknown_seen = view.wait_for_change("a", std::nullopt, 10s);
  ASSERT_TRUE(unknown_seen.has_value());
  EXPECT_EQ(unknown_seen->state, UploadState::kUploaded);
}

TEST(StatusView, WaitForChangeWakesWhenAnotherThreadAppliesAnEvent) {
  StatusView view;
  view.apply(event("a", UploadState::kQueued, "t1"));
  const auto seen = view.find("a");

  // The waiter announces itself, the applier waits for that announcement, and only then
  // applies; the waiter may or may not be inside wait_for_change yet, and either way must see
  // the change (the predicate is checked under the view's lock).
  std::mutex mutex;
  std::condition_variable cv;
  bool waiter_started = false;
  std::optional<StatusEvent> result;
  const auto started = std::chrono::steady_clock::now();
  std::thread waiter([&] {
    {
      std::lock_guard lock(mutex);
      waiter_started = true;
    }
    cv.notify_all();
    result = view.wait_for_change("a", seen, 30s);
  });
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return waiter_started; });
  }
  view.apply(event("a", UploadState::kUploading, "t2"));
  waiter.join();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->state, UploadState::kUploading);
  // Woken by the change, not by the 30 s timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);
}

TEST(StatusView, WaitForChangeOfAnUnknownUploadWakesWhenItAppears) {
  StatusView view;
  std::mutex mutex;
  std::condition_variable cv;
  bool waiter_started = false;
  std::optional<StatusEvent> result;
  std::thread waiter([&] {
    {
      std::lock_guard lock(mutex);
      waiter_started = true;
    }
    cv.notify_all();
    result = view.wait_for_change("new", std::nullopt, 30s);
  });
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return waiter_started; });
  }
  view.apply(event("other", UploadState::kQueued));
  view.apply(event("new", UploadState::kQueued));
  waiter.join();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->upload_id, "new");
}

TEST(StatusView, WaitForChangeTimesOutWithTheUnchangedState) {
  StatusView view;
  view.apply(event("a", UploadState::kQueued, "t1"));
  const auto seen = view.find("a");
  const auto started = std::chrono::steady_clock::now();
  const auto result = view.wait_for_change("a", seen, 50ms);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 50ms);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->state, UploadState::kQueued);
  EXPECT_EQ(result->at, "t1");

  EXPECT_EQ(view.wait_for_change("missing", std::nullopt, 10ms), std::nullopt);
}

}  // namespace
}  // namespace upfleet
