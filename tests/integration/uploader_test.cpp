// Uploader + S3Client + CurlTransport against the real S3 server from scripts/services
// (S3Proxy on loopback). Data comes from a seeded generator and is checked by hashing the GET
// stream, so no test holds a whole large object in memory.
#include "common/upload/uploader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>

#include "common/clock.h"
#include "common/crypto/sha256.h"
#include "common/http/curl_transport.h"
#include "tests/support/s3_test_client.h"
#include "tests/support/test_env.h"

namespace upfleet::upload {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// `size` pseudo-random bytes computed on the fly from `seed`: any range, any thread.
class SeededSource final : public ByteSource {
 public:
  SeededSource(uint64_t size, uint64_t seed, std::function<void()> on_read = {})
      : size_(size), seed_(seed), on_read_(std::move(on_read)) {}
  uint64_t size() const override { return size_; }
  Result<size_t> read_at(uint64_t offset, std::span<std::byte> buf) override {
    if (on_read_) on_read_();
    if (offset >= size_) return size_t{0};
    const size_t count = std::min<uint64_t>(buf.size(), size_ - offset);
    for (size_t i = 0; i < count;) {
      const uint64_t at = offset + i;
      const uint64_t word = splitmix(seed_ * 0x100000001b3ull + at / 8);
      const size_t skip = at % 8;
      const size_t take = std::min<size_t>(8 - skip, count - i);
      std::memcpy(buf.data() + i, reinterpret_cast<const std::byte*>(&word) + skip, take);
      i += take;
    }
    return count;
  }
  std::string sha256_hex() {
    crypto::Sha256 hash;
    std::vector<std::byte> chunk(kMiB);
    for (uint64_t offset = 0; offset < size_; offset += chunk.size()) {
      const size_t got = read_at(offset, chunk).value();
      hash.update(std::span<const std::byte>(chunk.data(), got));
    }
    return hash.finish_hex();
  }

 private:
  uint64_t size_;
  uint64_t seed_;
  std::function<void()> on_read_;
};

// Counts UploadPart requests per part number on their way to the real transport.
class CountingTransport final : public http::HttpTransport {
 public:
  explicit CountingTransport(http::HttpTransport& inner) : inner_(inner) {}
  Result<http::HttpResponse> perform(const http::HttpRequest& request) override {
    const size_t at = request.url.find("partNumber=");
    if (request.method == "PUT" && at != std::string::npos) {
      std::lock_guard lock(mutex_);
      ++parts_[std::atoi(request.url.c_str() + at + 11)];
    }
    return inner_.perform(request);
  }
  std::map<int, int> parts() const {
    std::lock_guard lock(mutex_);
    return parts_;
  }

 private:
  http::HttpTransport& inner_;
  mutable std::mutex mutex_;
  std::map<int, int> parts_;  // guarded by mutex_
};

class UploaderIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    UPFLEET_REQUIRE_SERVICES(env);
    bucket_ = env.s3_bucket;
    auto client = testing::create_s3_client(env, counting_, clock_);
    ASSERT_TRUE(client.has_value()) << client.error().message;
    client_ = std::move(*client);
    auto created = client_->create_bucket(bucket_);
    ASSERT_TRUE(created.has_value()) << created.error().message;
    prefix_ = "uploader-it-" + testing::unique_suffix() + "/";
    options_.plan = {5 * kMiB, 5 * kMiB};
    options_.concurrency = 4;
    options_.part_retry = {std::chrono::milliseconds(20), std::chrono::milliseconds(500), 6};
    options_.checkpoint_interval = std::chrono::milliseconds(0);
  }

  void TearDown() override {
    if (!client_) return;
    for (const std::string& key : keys_) (void)client_->delete_object(bucket_, key);
    auto left = client_->list_multipart_uploads(bucket_, prefix_);
    for (const auto& upload : left.value_or(std::vector<s3::MultipartUploadInfo>{})) {
      (void)client_->abort_multipart_upload(bucket_, upload.key, upload.upload_id);
    }
  }

  UploadRequest request_for(const std::string& key, SeededSource& source) {
    keys_.push_back(key);
    UploadRequest request;
    request.bucket = bucket_;
    request.key = key;
    request.content_type = "application/octet-stream";
    request.sha256_hex = source.sha256_hex();
    request.source = &source;
    return request;
  }

  Result<UploadResult> upload(const UploadRequest& request, uint64_t budget_bytes = 64 * kMiB) {
    ByteBudget budget(budget_bytes);
    Uploader uploader(*client_, budget, options_);
    return uploader.upload(request);
  }

  // Size and SHA-256 of the stored object, hashed as it streams in.
  std::pair<uint64_t, std::string> read_back(const std::string& key) {
    crypto::Sha256 hash;
    uint64_t size = 0;
    auto got = client_->get_object({bucket_, key, 0, 0, [&](std::string_view chunk) {
                                      hash.update(chunk);
                                      size += chunk.size();
                                      return true;
                                    }});
    if (!got) return {0, "GET failed: " + got.error().message};
    return {size, hash.finish_hex()};
  }

  void expect_stored(const std::string& key, SeededSource& source) {
    const auto [size, sha] = read_back(key);
    EXPECT_EQ(size, source.size()) << key;
    EXPECT_EQ(sha, source.sha256_hex()) << key;
  }

  void expect_no_uploads_left() {
    auto left = client_->list_multipart_uploads(bucket_, prefix_);
    ASSERT_TRUE(left.has_value()) << left.error().message;
    EXPECT_TRUE(left->empty()) << left->size() << " multipart uploads left, first "
                               << left->front().key;
  }

  http::CurlTransport transport_;
  CountingTransport counting_{transport_};
  SystemClock clock_;
  std::string bucket_;
  std::string prefix_;
  std::vector<std::string> keys_;
  std::unique_ptr<s3::S3Client> client_;
  UploaderOptions options_;
};

TEST_F(UploaderIntegrationTest, EmptyAndOneByteObjects) {
  for (const uint64_t size : {uint64_t{0}, uint64_t{1}}) {
    SCOPED_TRACE(size);
    SeededSource source(size, size + 1);
    const std::string key = prefix_ + "tiny-" + std::to_string(size);
    auto result = upload(request_for(key, source));
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_FALSE(result->multipart);
    expect_stored(key, source);
    auto head = client_->head_object(bucket_, key);
    ASSERT_TRUE(head.has_value()) << head.error().message;
    EXPECT_EQ(head->size, size);
    EXPECT_EQ(head->etag, result->etag);
  }
}

TEST_F(UploaderIntegrationTest, ExactlyOnePartIsAOnePartMultipartUpload) {
  SeededSource source(5 * kMiB, 3);
  const std::string key = prefix_ + "one-part.bin";
  auto result = upload(request_for(key, source));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(result->multipart);
  EXPECT_EQ(result->parts_total, 1u);
  EXPECT_EQ(result->parts_sent, 1u);
  expect_stored(key, source);
  expect_no_uploads_left();
}

TEST_F(UploaderIntegrationTest, TwoHundredMibInEightMibPartsIsByteIdentical) {
  options_.plan = {8 * kMiB, 8 * kMiB};
  options_.concurrency = 8;
  ByteBudget budget(64 * kMiB);
  std::atomic<uint64_t> peak{0};
  SeededSource source(200 * kMiB, 200, [&] {
    const uint64_t now = budget.in_use();
    uint64_t seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
  });
  const std::string key = prefix_ + "big/200mib.bin";
  UploadRequest request = request_for(key, source);
  Uploader uploader(*client_, budget, options_);
  auto result = uploader.upload(request);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->parts_total, 25u);
  EXPECT_EQ(result->bytes_sent, 200 * kMiB);
  EXPECT_TRUE(result->etag.ends_with("-25")) << result->etag;
  EXPECT_LE(peak.load(), 64 * kMiB);
  EXPECT_GT(peak.load(), 8 * kMiB) << "parts should have been in flight together";
  expect_stored(key, source);
  expect_no_uploads_left();
}

TEST_F(UploaderIntegrationTest, KeysWithSpacesPlusAndUtf8) {
  const std::string names[] = {"with space/a b.bin", "plus+sign+.bin",
                               "utf8-\xc3\xbc\xc3\xb1-\xe6\x97\xa5\xe6\x9c\xac.bin"};
  uint64_t seed = 10;
  for (const std::string& name : names) {
    for (const uint64_t size : {uint64_t{1000}, 5 * kMiB + 1}) {
      SCOPED_TRACE(name + " " + std::to_string(size));
      SeededSource source(size, ++seed);
      const std::string key = prefix_ + name;
      UploadRequest request = request_for(key, source);
      request.metadata = {{"label", "seed-" + std::to_string(seed)}};
      auto result = upload(request);
      ASSERT_TRUE(result.has_value()) << result.error().message;
      expect_stored(key, source);
      auto head = client_->head_object(bucket_, key);
      ASSERT_TRUE(head.has_value()) << head.error().message;
      EXPECT_EQ(head->content_type, "application/octet-stream");
      EXPECT_EQ(head->metadata["label"], "seed-" + std::to_string(seed));
    }
  }
  expect_no_uploads_left();
}

TEST_F(UploaderIntegrationTest, CancelledUploadResumesSendingOnlyMissingParts) {
  std::atomic<int> reads{0};
  std::atomic<bool> cancelled{false};
  SeededSource source(4 * 5 * kMiB + 17, 42, [&] {
    if (++reads == 3) cancelled = true;  // while reading part 3: parts 1-3 get sent
  });
  const std::string key = prefix_ + "resumed.bin";
  UploadRequest request = request_for(key, source);
  reads = 0;  // request_for hashed the source
  cancelled = false;
  std::optional<UploadCheckpoint> last;
  request.on_checkpoint = [&](const UploadCheckpoint& point) { last = point; };
  request.cancelled = [&] { return cancelled.load(); };
  options_.concurrency = 1;
  auto first = upload(request);
  ASSERT_FALSE(first.has_value());
  ASSERT_EQ(first.error().code, ErrorCode::kCancelled) << first.error().message;
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->parts_done, 3u);
  EXPECT_EQ(last->parts_total, 5u);

  request.cancelled = {};
  request.resume = last;
  options_.concurrency = 4;
  auto second = upload(request);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->multipart_upload_id, last->multipart_upload_id);
  EXPECT_EQ(second->parts_reused, 3u);
  EXPECT_EQ(second->parts_sent, 2u);
  EXPECT_EQ(counting_.parts(), (std::map<int, int>{{1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}}));
  expect_stored(key, source);
  expect_no_uploads_left();
}

// S3Proxy lists the parts of an aborted upload as an empty list: the uploader sends every part
// again, Complete finds the upload gone, and it starts over once with a new upload.
TEST_F(UploaderIntegrationTest, CheckpointOfAnAbortedUploadStartsOver) {
  SeededSource source(2 * 5 * kMiB + 3, 77);
  const std::string key = prefix_ + "aborted-then-resumed.bin";
  auto stale = client_->create_multipart_upload({bucket_, key, "", {}});
  ASSERT_TRUE(stale.has_value()) << stale.error().message;
  ASSERT_TRUE(client_->abort_multipart_upload(bucket_, key, *stale).has_value());
  UploadRequest request = request_for(key, source);
  request.resume = UploadCheckpoint{*stale, 5 * kMiB, 3, 2};
  auto result = upload(request);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_NE(result->multipart_upload_id, *stale);
  expect_stored(key, source);
  expect_no_uploads_left();
}

TEST_F(UploaderIntegrationTest, IntegrityFailureAbortsTheUpload) {
  SeededSource source(2 * 5 * kMiB, 5);
  const std::string key = prefix_ + "bad-sha.bin";
  UploadRequest request = request_for(key, source);
  request.sha256_hex = std::string(64, '0');
  auto result = upload(request);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kIntegrity);
  EXPECT_EQ(client_->head_object(bucket_, key).error().code, ErrorCode::kNotFound);
  expect_no_uploads_left();
}

}  // namespace
}  // namespace upfleet::upload
