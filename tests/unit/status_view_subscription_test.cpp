// StatusView subscriptions: current state first, changes in order, bounded queues that mark
// a slow subscriber instead of blocking the view, and unsubscription on destruction.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "producer/status_view.h"

namespace upfleet {
namespace {

StatusEvent event(std::string id, UploadState state, std::string at = "t") {
  StatusEvent e;
  e.upload_id = std::move(id);
  e.state = state;
  e.at = std::move(at);
  return e;
}

std::vector<UploadState> states(const std::vector<StatusEvent>& events) {
  std::vector<UploadState> out;
  for (const auto& e : events) out.push_back(e.state);
  return out;
}

TEST(StatusViewSubscription, StartsWithTheCurrentStateWhenKnown) {
  StatusView view;
  view.apply(event("a", UploadState::kUploading));
  auto known = view.subscribe("a", 8, nullptr);
  EXPECT_EQ(states(known->take()), std::vector{UploadState::kUploading});
  EXPECT_TRUE(known->take().empty());  // taken

  auto unknown = view.subscribe("b", 8, nullptr);
  EXPECT_TRUE(unknown->take().empty());
}

TEST(StatusViewSubscription, ReceivesChangesOfItsUploadInOrderAndNotifies) {
  StatusView view;
  int notified = 0;
  auto sub = view.subscribe("a", 8, [&notified] { ++notified; });
  view.apply(event("a", UploadState::kQueued));
  view.apply(event("other", UploadState::kQueued));
  view.apply(event("a", UploadState::kUploading, "t2"));
  view.apply(event("a", UploadState::kQueued, "t0"));  // late: does not change the view
  view.apply(event("a", UploadState::kUploaded, "t3"));
  EXPECT_EQ(states(sub->take()),
            (std::vector{UploadState::kQueued, UploadState::kUploading, UploadState::kUploaded}));
  EXPECT_EQ(notified, 3);
  EXPECT_FALSE(sub->overflowed());
}

TEST(StatusViewSubscription, EverySubscriberOfAnUploadGetsTheEvents) {
  StatusView view;
  auto first = view.subscribe("a", 8, nullptr);
  auto second = view.subscribe("a", 8, nullptr);
  EXPECT_EQ(view.subscribers(), 2u);
  view.apply(event("a", UploadState::kQueued));
  EXPECT_EQ(first->take().size(), 1u);
  EXPECT_EQ(second->take().size(), 1u);
}

TEST(StatusViewSubscription, SlowSubscriberOverflowsInsteadOfBlockingTheView) {
  StatusView view;
  auto slow = view.subscribe("a", 2, nullptr);
  for (int i = 0; i < 100; ++i) {
    StatusEvent e = event("a", UploadState::kUploading, "t" + std::to_string(i));
    e.parts_done = static_cast<uint32_t>(i);
    EXPECT_TRUE(view.apply(e));  // returns although nobody takes
  }
  EXPECT_TRUE(slow->overflowed());
  EXPECT_EQ(slow->take().size(), 2u);  // what fitted; the rest was dropped
  view.apply(event("a", UploadState::kUploaded, "t200"));
  EXPECT_TRUE(slow->take().empty());  // an overflowed subscription gets nothing more
}

TEST(StatusViewSubscription, DestroyedSubscriptionIsNotNotifiedAgain) {
  StatusView view;
  std::atomic<int> notified{0};
  auto sub = view.subscribe("a", 8, [&notified] { ++notified; });
  view.apply(event("a", UploadState::kQueued));
  sub.reset();
  EXPECT_EQ(view.subscribers(), 0u);
  view.apply(event("a", UploadState::kUploading));
  EXPECT_EQ(notified.load(), 1);
}

TEST(StatusViewSubscription, ConcurrentApplyAndSubscribeLoseNothing) {
  // Each subscriber sees a gap-free suffix of the changes: whatever it missed before
  // subscribing is covered by the current state it starts with.
  StatusView view;
  constexpr uint32_t kChanges = 2000;
  std::thread applier([&view] {
    for (uint32_t i = 1; i <= kChanges; ++i) {
      StatusEvent e = event("a", UploadState::kUploading, "t" + std::to_string(i));
      e.parts_done = i;
      view.apply(e);
    }
  });
  std::vector<std::unique_ptr<StatusSubscription>> subs;
  for (int i = 0; i < 20; ++i) subs.push_back(view.subscribe("a", kChanges + 1, nullptr));
  applier.join();
  for (auto& sub : subs) {
    const auto events = sub->take();
    ASSERT_FALSE(sub->overflowed());
    if (events.empty()) continue;  // subscribed before any change... then it saw them all
    for (size_t i = 1; i < events.size(); ++i) {
      ASSERT_EQ(events[i].parts_done, events[i - 1].parts_done + 1);
    }
    EXPECT_EQ(events.back().parts_done, kChanges);
  }
}

}  // namespace
}  // namespace upfleet
