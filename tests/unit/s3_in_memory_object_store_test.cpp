// The fake other tests rely on must behave like the real store where it matters.
#include <gtest/gtest.h>

#include "common/crypto/md5.h"
#include "common/crypto/sha256.h"
#include "tests/fakes/fake_http_byte_source.h"
#include "tests/fakes/in_memory_object_store.h"

namespace upfleet::testing {
namespace {

using Operation = InMemoryObjectStore::Operation;

TEST(InMemoryObjectStore, RoundTripWithS3LikeInfo) {
  InMemoryObjectStore store;
  StringByteSource body(std::string(200'000, 'q'));
  PutOptions options;
  options.content_type = "text/plain";
  options.metadata = {{"Owner", "me"}};
  auto put = store.put_object({"b", "k"}, body, options);
  ASSERT_TRUE(put.has_value());
  EXPECT_EQ(put->etag, crypto::md5_hex(body.data()));
  auto head = store.head_object({"b", "k"});
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->size, 200'000u);
  EXPECT_EQ(head->metadata.at("owner"), "me");
  std::string got;
  ASSERT_TRUE(store
                  .get_object({"b", "k"}, 10, 0,
                              [&](std::string_view chunk) {
                                got.append(chunk);
                                return true;
                              })
                  .has_value());
  EXPECT_EQ(got, body.data().substr(10));
  EXPECT_EQ(store.object_url({"b", "k"}), "memory://b/k");
}

TEST(InMemoryObjectStore, MissingRangesAndDeletes) {
  InMemoryObjectStore store;
  store.seed({"b", "k"}, "abc");
  auto sink = [](std::string_view) { return true; };
  EXPECT_EQ(store.head_object({"b", "nope"}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store.get_object({"b", "k"}, 3, 1, sink).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store.get_object({"b", "k"}, 0, 0, [](std::string_view) { return false; }).error().code,
            ErrorCode::kCancelled);
  EXPECT_TRUE(store.delete_object({"b", "k"}).has_value());
  EXPECT_TRUE(store.delete_object({"b", "k"}).has_value());
  EXPECT_EQ(store.object_count(), 0u);
}

TEST(InMemoryObjectStore, InjectedFailuresAndChecksumMismatch) {
  InMemoryObjectStore store;
  store.inject_failure(Operation::kPut, Error::transient(ErrorCode::kUnavailable, "SlowDown"));
  StringByteSource body("data");
  auto first = store.put_object({"b", "k"}, body, {});
  EXPECT_TRUE(first.error().retryable);
  EXPECT_TRUE(store.put_object({"b", "k"}, body, {}).has_value());
  EXPECT_EQ(store.calls(Operation::kPut), 2);

  PutOptions wrong;
  wrong.sha256_hex = crypto::sha256_hex("other");
  EXPECT_EQ(store.put_object({"b", "k2"}, body, wrong).error().code, ErrorCode::kIntegrity);
  EXPECT_EQ(store.data({"b", "k"}), "data");
  EXPECT_EQ(store.data({"b", "k2"}), std::nullopt);
}

}  // namespace
}  // namespace upfleet::testing
