// Uploader against the in-memory FakeS3Server: single PUT and multipart, the byte budget,
// parallel parts, retries, aborts, resume, checkpoints, cancellation and integrity checks.
#include "common/upload/uploader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>

#include "common/crypto/md5.h"
#include "common/crypto/sha256.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_http_byte_source.h"
#include "tests/fakes/fake_http_transport.h"
#include "tests/fakes/fake_s3_server.h"

namespace upfleet::upload {
namespace {

using namespace std::chrono_literals;
using testing::FakeS3Server;
using testing::S3Fault;
using testing::S3Operation;
using testing::StringByteSource;

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kPart = 5 * kMiB;
constexpr const char* kBucket = "bkt";
constexpr const char* kKey = "dir/file name+1.bin";

std::string make_data(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    const uint64_t word = rng();
    std::memcpy(out.data() + i, &word, std::min<size_t>(8, size - i));
  }
  return out;
}

// Serves a string; runs `on_read` before every read (to sample state or to block).
class ObservedSource final : public ByteSource {
 public:
  ObservedSource(std::string data, std::function<void(uint64_t offset)> on_read)
      : data_(std::move(data)), on_read_(std::move(on_read)) {}
  uint64_t size() const override { return data_.size(); }
  Result<size_t> read_at(uint64_t offset, std::span<std::byte> buf) override {
    on_read_(offset);
    if (offset >= data_.size()) return size_t{0};
    const size_t count = std::min<uint64_t>(buf.size(), data_.size() - offset);
    std::memcpy(buf.data(), data_.data() + offset, count);
    return count;
  }

 private:
  std::string data_;
  std::function<void(uint64_t)> on_read_;
};

// Claims `claimed` bytes but holds fewer: a spool file truncated after the job was made.
class ShortSource final : public ByteSource {
 public:
  ShortSource(std::string data, uint64_t claimed) : data_(std::move(data)), claimed_(claimed) {}
  uint64_t size() const override { return claimed_; }
  Result<size_t> read_at(uint64_t offset, std::span<std::byte> buf) override {
    if (offset >= data_.size()) return size_t{0};
    const size_t count = std::min<uint64_t>(buf.size(), data_.size() - offset);
    std::memcpy(buf.data(), data_.data() + offset, count);
    return count;
  }

 private:
  std::string data_;
  uint64_t claimed_;
};

class UploaderTest : public ::testing::Test {
 protected:
  UploaderTest() : server_(transport_) {
    server_.create_bucket(kBucket);
    s3::S3Config config;
    config.endpoint = "http://s3.test";
    config.access_key_id = "AKID";
    config.secret_access_key = "SECRET";
    config.path_style = true;
    client_ = std::move(s3::S3Client::create(config, transport_, clock_).value());
    options_.plan = {kPart, kPart};
    options_.concurrency = 4;
    options_.part_retry = {1ms, 4ms, 6};
    options_.retry_budget = 100;
    options_.checkpoint_interval = 0ms;
  }

  UploadRequest request_for(ByteSource& source, std::string sha256_hex = {}) {
    UploadRequest request;
    request.bucket = kBucket;
    request.key = kKey;
    request.content_type = "video/mp4";
    request.metadata = {{"origin", "unit-test"}};
    request.sha256_hex = std::move(sha256_hex);
    request.source = &source;
    return request;
  }

  Result<UploadResult> upload(const UploadRequest& request, uint64_t budget_bytes = 64 * kMiB) {
    ByteBudget budget(budget_bytes);
    return upload_with(request, budget);
  }
  Result<UploadResult> upload_with(const UploadRequest& request, ByteBudget& budget) {
    Uploader uploader(*client_, budget, options_);
    return uploader.upload(request);
  }

  std::string stored() const {
    auto object = server_.object(kBucket, kKey);
    return object ? object->data : "<no object>";
  }
  std::vector<testing::RecordedRequest> part_requests() const {
    std::vector<testing::RecordedRequest> parts;
    for (auto& sent : transport_.requests()) {
      if (sent.method == "PUT" && sent.url.find("partNumber=") != std::string::npos) {
        parts.push_back(sent);
      }
    }
    return parts;
  }

  testing::FakeHttpTransport transport_;
  FakeS3Server server_;
  testing::FakeClock clock_;
  std::unique_ptr<s3::S3Client> client_;
  UploaderOptions options_;
};

template <class T>
void expect_error(const Result<T>& result, ErrorCode code, bool retryable) {
  ASSERT_FALSE(result.has_value()) << "expected " << to_string(code) << ", got success";
  EXPECT_EQ(result.error().code, code) << result.error().message;
  EXPECT_EQ(result.error().retryable, retryable) << result.error().message;
}

TEST_F(UploaderTest, SinglePutCarriesContentMd5AndAnUnsignedPayloadLikeParts) {
  const std::string data = make_data(1000, 1);
  StringByteSource source(data);
  auto result = upload(request_for(source, crypto::sha256_hex(data)));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_FALSE(result->multipart);
  EXPECT_EQ(result->etag, crypto::md5_hex(data));
  EXPECT_EQ(result->bytes_sent, 1000u);

  ASSERT_EQ(transport_.request_count(), 1u);
  const auto sent = transport_.last_request();
  EXPECT_EQ(sent.method, "PUT");
  EXPECT_EQ(sent.target(), "/bkt/dir/file%20name%2B1.bin");
  EXPECT_EQ(sent.header("content-md5"), crypto::md5_base64(std::string_view(data)));
  EXPECT_EQ(sent.header("x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_NE(sent.header("authorization").find("content-md5;"), std::string::npos)
      << "Content-MD5 must be signed: " << sent.header("authorization");
  auto object = server_.object(kBucket, kKey);
  ASSERT_TRUE(object.has_value());
  EXPECT_EQ(object->data, data);
  EXPECT_EQ(object->content_type, "video/mp4");
  EXPECT_EQ(object->metadata.at("origin"), "unit-test");
}

TEST_F(UploaderTest, EmptyObjectIsOneEmptyPut) {
  StringByteSource source("");
  auto result = upload(request_for(source, crypto::sha256_hex("")));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_FALSE(result->multipart);
  ASSERT_EQ(transport_.request_count(), 1u);
  EXPECT_EQ(transport_.last_request().header("content-md5"), crypto::md5_base64(""));
  auto object = server_.object(kBucket, kKey);
  ASSERT_TRUE(object.has_value());
  EXPECT_EQ(object->data, "");
}

TEST_F(UploaderTest, SinglePutWithWrongSha256SendsNothing) {
  StringByteSource source(make_data(1000, 2));
  auto result = upload(request_for(source, crypto::sha256_hex("other bytes")));
  expect_error(result, ErrorCode::kIntegrity, false);
  EXPECT_EQ(transport_.request_count(), 0u);
}

TEST_F(UploaderTest, MultipartThreePartsAndRemainderIsByteIdentical) {
  const std::string data = make_data(3 * kPart + 1234, 3);
  StringByteSource source(data);
  auto result = upload(request_for(source, crypto::sha256_hex(data)));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(result->multipart);
  EXPECT_EQ(result->parts_total, 4u);
  EXPECT_EQ(result->parts_sent, 4u);
  EXPECT_EQ(result->parts_reused, 0u);
  EXPECT_EQ(result->bytes_sent, data.size());

  auto object = server_.object(kBucket, kKey);
  ASSERT_TRUE(object.has_value());
  EXPECT_TRUE(object->data == data) << "stored object differs from the source";
  EXPECT_EQ(result->etag, object->etag);
  EXPECT_TRUE(object->etag.ends_with("-4")) << object->etag;
  EXPECT_EQ(object->content_type, "video/mp4");
  EXPECT_EQ(object->metadata.at("origin"), "unit-test");
  EXPECT_TRUE(server_.uploads().empty());
  EXPECT_EQ(server_.requests(S3Operation::kCreateMultipartUpload), 1);
  EXPECT_EQ(server_.requests(S3Operation::kCompleteMultipartUpload), 1);

  const auto parts = part_requests();
  ASSERT_EQ(parts.size(), 4u);
  for (const auto& part : parts) {
    EXPECT_EQ(part.header("content-md5"), crypto::md5_base64(std::string_view(part.body)))
        << part.url;
    EXPECT_EQ(part.header("x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  }
}

TEST_F(UploaderTest, PeakBudgetUseNeverExceedsCapacity) {
  const std::string data = make_data(4 * kPart + 99, 4);
  ByteBudget budget(2 * kPart + kMiB);  // room for two parts, not three
  std::atomic<uint64_t> peak{0};
  ObservedSource source(data, [&](uint64_t) {
    const uint64_t now = budget.in_use();
    uint64_t seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
  });
  options_.concurrency = 8;
  auto result = upload_with(request_for(source, crypto::sha256_hex(data)), budget);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(stored() == data);
  EXPECT_LE(peak.load(), budget.capacity());
  EXPECT_GE(peak.load(), kPart) << "reads should happen while the part's lease is held";
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST_F(UploaderTest, PartLargerThanTheBudgetGoesAlone) {
  const std::string data = make_data(2 * kPart + 7, 5);
  ByteBudget budget(kMiB);
  std::atomic<uint64_t> peak{0};
  ObservedSource source(data, [&](uint64_t) {
    uint64_t seen = peak.load();
    const uint64_t now = budget.in_use();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
  });
  auto result = upload_with(request_for(source), budget);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(stored() == data);
  EXPECT_EQ(peak.load(), kPart);
}

TEST_F(UploaderTest, PartsAreReadAndSentConcurrently) {
  constexpr int kWanted = 3;
  std::mutex mutex;
  std::condition_variable changed;
  int reading = 0;
  bool met = false;
  const std::string data = make_data(3 * kPart + 10, 6);
  ObservedSource source(data, [&](uint64_t) {
    std::unique_lock lock(mutex);
    ++reading;
    if (reading >= kWanted) met = true;
    changed.notify_all();
    // Falls through after the timeout so a serial uploader fails the test instead of hanging.
    changed.wait_for(lock, 10s, [&] { return met; });
    --reading;
  });
  options_.concurrency = kWanted;
  auto result = upload(request_for(source));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(met) << "never had " << kWanted << " part reads in flight at once";
  EXPECT_TRUE(stored() == data);
}

TEST_F(UploaderTest, TransientErrorsAreRetriedAndTheObjectIsIdentical) {
  server_.inject({.operation = S3Operation::kCreateMultipartUpload, .status = 503});
  server_.inject({.operation = S3Operation::kUploadPart,
                  .part_number = 1,
                  .transport_error = Error::transient(ErrorCode::kUnavailable, "reset by peer")});
  server_.inject({.operation = S3Operation::kUploadPart, .part_number = 2, .code = "SlowDown"});
  server_.inject({.operation = S3Operation::kUploadPart,
                  .part_number = 3,
                  .times = 2,
                  .status = 500,
                  .code = "InternalError"});
  server_.inject({.operation = S3Operation::kUploadPart,
                  .part_number = 4,
                  .status = 400,
                  .code = "RequestTimeout"});
  server_.inject(
      {.operation = S3Operation::kCompleteMultipartUpload, .status = 500, .code = "InternalError"});
  const std::string data = make_data(3 * kPart + 4321, 7);
  StringByteSource source(data);
  auto result = upload(request_for(source, crypto::sha256_hex(data)));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(stored() == data);
  EXPECT_EQ(result->retries, 7);
  EXPECT_EQ(server_.part_requests(1), 2);
  EXPECT_EQ(server_.part_requests(2), 2);
  EXPECT_EQ(server_.part_requests(3), 3);
  EXPECT_EQ(server_.part_requests(4), 2);
  EXPECT_TRUE(server_.uploads().empty());
}

TEST_F(UploaderTest, PermanentPartErrorAbortsTheUpload) {
  server_.inject({.operation = S3Operation::kUploadPart,
                  .part_number = 2,
                  .times = 0,
                  .status = 403,
                  .code = "AccessDenied"});
  StringByteSource source(make_data(3 * kPart, 8));
  auto result = upload(request_for(source));
  expect_error(result, ErrorCode::kPermissionDenied, false);
  EXPECT_EQ(server_.part_requests(2), 1) << "a permanent error must not be retried";
  EXPECT_EQ(server_.requests(S3Operation::kAbortMultipartUpload), 1);
  EXPECT_EQ(server_.requests(S3Operation::kCompleteMultipartUpload), 0);
  EXPECT_TRUE(server_.uploads().empty()) << "the failed upload was left behind";
  EXPECT_FALSE(server_.object(kBucket, kKey).has_value());
}

TEST_F(UploaderTest, ExhaustedRetryBudgetKeepsTheUploadForResume) {
  options_.retry_budget = 3;
  options_.part_retry.max_attempts = 10;
  options_.concurrency = 1;
  server_.inject({.operation = S3Operation::kUploadPart, .part_number = 2, .times = 0});
  StringByteSource source(make_data(3 * kPart, 9));
  auto result = upload(request_for(source));
  expect_error(result, ErrorCode::kUnavailable, true);
  EXPECT_EQ(server_.part_requests(2), 4) << "one attempt plus the budget's three retries";
  EXPECT_EQ(server_.requests(S3Operation::kAbortMultipartUpload), 0);
  const auto uploads = server_.uploads();
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads[0].parts.size(), 1u);
  EXPECT_TRUE(uploads[0].parts.contains(1));
}

TEST_F(UploaderTest, MaxAttemptsBoundsTheRetriesOfOnePart) {
  options_.part_retry.max_attempts = 3;
  server_.inject({.operation = S3Operation::kUploadPart,
                  .part_number = 3,
                  .times = 0,
                  .status = 500,
                  .code = "InternalError"});
  StringByteSource source(make_data(3 * kPart, 10));
  auto result = upload(request_for(source));
  expect_error(result, ErrorCode::kUnavailable, true);
  EXPECT_EQ(server_.part_requests(3), 3);
  EXPECT_EQ(server_.uploads().size(), 1u);
}

TEST_F(UploaderTest, ResumeSendsOnlyTheMissingParts) {
  const std::string data = make_data(4 * kPart + 100, 11);
  const std::string id = server_.create_upload(kBucket, kKey);
  server_.put_part(id, 1, data.substr(0, kPart));
  server_.put_part(id, 3, data.substr(2 * kPart, kPart));
  server_.put_part(id, 4, data.substr(3 * kPart, kPart - 1));  // wrong size: not ours to keep
  server_.set_max_page_size(1);                                // ListParts must page
  StringByteSource source(data);
  UploadRequest request = request_for(source, crypto::sha256_hex(data));
  request.resume = UploadCheckpoint{id, kPart, 5, 3};
  auto result = upload(request);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(stored() == data);
  EXPECT_EQ(result->multipart_upload_id, id);
  EXPECT_EQ(result->parts_reused, 2u);
  EXPECT_EQ(result->parts_sent, 3u);
  EXPECT_EQ(server_.requests(S3Operation::kCreateMultipartUpload), 0);
  EXPECT_EQ(server_.requests(S3Operation::kListParts), 3);
  EXPECT_EQ(server_.part_requests(1), 0);
  EXPECT_EQ(server_.part_requests(2), 1);
  EXPECT_EQ(server_.part_requests(3), 0);
  EXPECT_EQ(server_.part_requests(4), 1);
  EXPECT_EQ(server_.part_requests(5), 1);
}

TEST_F(UploaderTest, CheckpointWithAnotherPartSizeStartsANewUpload) {
  const std::string data = make_data(2 * kPart + 5, 12);
  const std::string old_id = server_.create_upload(kBucket, kKey);
  server_.put_part(old_id, 1, data.substr(0, 6 * kMiB));
  StringByteSource source(data);
  UploadRequest request = request_for(source);
  request.resume = UploadCheckpoint{old_id, 6 * kMiB, 2, 1};
  auto result = upload(request);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(stored() == data);
  EXPECT_NE(result->multipart_upload_id, old_id);
  EXPECT_EQ(result->parts_sent, 3u);
  EXPECT_EQ(server_.requests(S3Operation::kListParts), 0);
  EXPECT_FALSE(server_.upload(old_id).has_value()) << "the superseded upload was orphaned";
}

// Regression: one 503 on ListParts made the uploader start over and orphan the old upload.
TEST_F(UploaderTest, TransientListPartsFailureIsRetriedNotAbandoned) {
  const std::string data = make_data(kPart + 5, 30);
  const std::string id = server_.create_upload(kBucket, kKey);
  server_.put_part(id, 1, data.substr(0, kPart));
  server_.inject({.operation = S3Operation::kListParts, .status = 503});
  StringByteSource source(data);
  UploadRequest request = request_for(source);
  request.resume = UploadCheckpoint{id, kPart, 2, 1};
  auto result = upload(request);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(stored() == data);
  EXPECT_EQ(result->multipart_upload_id, id);
  EXPECT_EQ(result->parts_reused, 1u);
  EXPECT_EQ(server_.part_requests(1), 0);
  EXPECT_EQ(server_.requests(S3Operation::kCreateMultipartUpload), 0);

  // When ListParts keeps failing, the job fails retryably and the upload stays for later.
  server_.inject({.operation = S3Operation::kListParts, .times = 0, .status = 503});
  const std::string later = server_.create_upload(kBucket, kKey);
  request.resume = UploadCheckpoint{later, kPart, 2, 0};
  expect_error(upload(request), ErrorCode::kUnavailable, true);
  EXPECT_EQ(server_.requests(S3Operation::kCreateMultipartUpload), 0);
  EXPECT_TRUE(server_.upload(later).has_value());
}

TEST_F(UploaderTest, CheckpointOfAnUnknownUploadStartsANewOne) {
  const std::string data = make_data(kPart + 5, 13);
  StringByteSource source(data);
  UploadRequest request = request_for(source);
  request.resume = UploadCheckpoint{"no-such-upload", kPart, 2, 1};
  auto result = upload(request);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(stored() == data);
  EXPECT_EQ(result->parts_sent, 2u);
  EXPECT_EQ(server_.requests(S3Operation::kCreateMultipartUpload), 1);
}

TEST_F(UploaderTest, CheckpointsReportIncreasingProgressOneAtATime) {
  // The first progress report holds its thread until the other threads have started every
  // remaining part; had reports not been serialised, one of them would have entered meanwhile.
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<UploadCheckpoint> points;
  int inside = 0;
  bool overlapped = false;
  int parts_requested = 0;
  server_.set_on_request([&](S3Operation operation, int) {
    if (operation != S3Operation::kUploadPart) return;
    std::lock_guard lock(mutex);
    ++parts_requested;
    changed.notify_all();
  });
  const std::string data = make_data(5 * kPart + 1, 14);
  StringByteSource source(data);
  UploadRequest request = request_for(source);
  request.on_checkpoint = [&](const UploadCheckpoint& point) {
    std::unique_lock lock(mutex);
    if (++inside > 1) overlapped = true;
    changed.notify_all();
    points.push_back(point);
    if (point.parts_done == 1) {
      changed.wait_for(lock, 10s, [&] { return overlapped || parts_requested >= 6; });
    }
    --inside;
  };
  auto result = upload(request);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_FALSE(overlapped) << "checkpoint callbacks must be serialised";
  ASSERT_GE(points.size(), 2u);
  EXPECT_EQ(points.front().parts_done, 0u);
  EXPECT_EQ(points.back().parts_done, 6u);
  for (size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(points[i].multipart_upload_id, result->multipart_upload_id);
    EXPECT_EQ(points[i].part_size, kPart);
    EXPECT_EQ(points[i].parts_total, 6u);
    if (i > 0) {
      EXPECT_GE(points[i].parts_done, points[i - 1].parts_done) << "at " << i;
    }
  }
}

TEST_F(UploaderTest, CheckpointIntervalThrottlesProgressReports) {
  options_.checkpoint_interval = std::chrono::hours(1);
  std::vector<uint32_t> done;
  const std::string data = make_data(3 * kPart, 15);
  StringByteSource source(data);
  UploadRequest request = request_for(source);
  request.on_checkpoint = [&](const UploadCheckpoint& point) { done.push_back(point.parts_done); };
  ASSERT_TRUE(upload(request).has_value());
  EXPECT_EQ(done, (std::vector<uint32_t>{0, 3})) << "created, and all parts done";
}

TEST_F(UploaderTest, CancelledMidwayKeepsTheUpload) {
  options_.concurrency = 1;
  std::atomic<bool> cancelled{false};
  server_.set_on_request([&](S3Operation operation, int part) {
    if (operation == S3Operation::kUploadPart && part == 2) cancelled = true;
  });
  StringByteSource source(make_data(4 * kPart, 16));
  UploadRequest request = request_for(source);
  request.cancelled = [&] { return cancelled.load(); };
  auto result = upload(request);
  expect_error(result, ErrorCode::kCancelled, false);
  EXPECT_EQ(server_.part_requests(3), 0);
  EXPECT_EQ(server_.requests(S3Operation::kAbortMultipartUpload), 0);
  const auto uploads = server_.uploads();
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads[0].parts.size(), 2u);
}

TEST_F(UploaderTest, CancelledWhileRetryingReportsCancelled) {
  options_.part_retry = {50ms, 50ms, 10};
  std::atomic<bool> cancelled{false};
  server_.inject({.operation = S3Operation::kUploadPart, .part_number = 2, .times = 0});
  server_.set_on_request([&](S3Operation operation, int part) {
    if (operation == S3Operation::kUploadPart && part == 2) cancelled = true;
  });
  StringByteSource source(make_data(2 * kPart, 17));
  UploadRequest request = request_for(source);
  request.cancelled = [&] { return cancelled.load(); };
  auto result = upload(request);
  expect_error(result, ErrorCode::kCancelled, false);
  EXPECT_EQ(server_.requests(S3Operation::kAbortMultipartUpload), 0);
  EXPECT_EQ(server_.uploads().size(), 1u);
}

TEST_F(UploaderTest, WholeObjectSha256MismatchAbortsWithIntegrity) {
  const std::string data = make_data(2 * kPart + 3, 18);
  StringByteSource source(data);
  auto result = upload(request_for(source, crypto::sha256_hex(data + "x")));
  expect_error(result, ErrorCode::kIntegrity, false);
  EXPECT_EQ(server_.requests(S3Operation::kCompleteMultipartUpload), 0);
  EXPECT_TRUE(server_.uploads().empty());
  EXPECT_FALSE(server_.object(kBucket, kKey).has_value());
}

TEST_F(UploaderTest, UploadGoneAtCompleteAfterResumeRestartsOnce) {
  const std::string data = make_data(2 * kPart + 9, 19);
  const std::string old_id = server_.create_upload(kBucket, kKey);
  for (int part = 1; part <= 3; ++part) {
    server_.put_part(old_id, part, data.substr((part - 1) * kPart, kPart));
  }
  server_.set_on_request([&](S3Operation operation, int) {
    if (operation == S3Operation::kCompleteMultipartUpload) server_.remove_upload(old_id);
  });
  StringByteSource source(data);
  UploadRequest request = request_for(source, crypto::sha256_hex(data));
  request.resume = UploadCheckpoint{old_id, kPart, 3, 3};
  auto result = upload(request);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(stored() == data);
  EXPECT_NE(result->multipart_upload_id, old_id);
  EXPECT_EQ(result->parts_sent, 3u);
  EXPECT_EQ(result->parts_reused, 0u);
  EXPECT_EQ(server_.requests(S3Operation::kCreateMultipartUpload), 1);
  EXPECT_EQ(server_.requests(S3Operation::kCompleteMultipartUpload), 2);
}

// Regression: a retried part made Complete's NoSuchUpload look like a lost Complete answer,
// and an older object of the same size was taken for the new one.
TEST_F(UploaderTest, UploadGoneAfterResumeIsNotMistakenForAnOldObject) {
  const std::string data = make_data(2 * kPart + 9, 20);
  server_.put_object(kBucket, kKey, make_data(data.size(), 99));
  const std::string old_id = server_.create_upload(kBucket, kKey);
  server_.put_part(old_id, 1, data.substr(0, kPart));
  server_.inject({.operation = S3Operation::kUploadPart, .part_number = 2});
  server_.set_on_request([&](S3Operation operation, int) {
    if (operation == S3Operation::kCompleteMultipartUpload) server_.remove_upload(old_id);
  });
  StringByteSource source(data);
  UploadRequest request = request_for(source);
  request.resume = UploadCheckpoint{old_id, kPart, 3, 1};
  auto result = upload(request);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(stored() == data) << "the old object was reported as uploaded";
  EXPECT_NE(result->multipart_upload_id, old_id);
}

// Regression: on AWS a resumed upload that vanished between ListParts and UploadPart fails
// the part with NoSuchUpload; the uploader starts over instead of failing the job for good.
TEST_F(UploaderTest, PartRefusedBecauseResumedUploadVanishedStartsOver) {
  const std::string data = make_data(3 * kPart + 9, 22);
  const std::string old_id = server_.create_upload(kBucket, kKey);
  server_.put_part(old_id, 1, data.substr(0, kPart));
  server_.set_on_request([&](S3Operation operation, int) {
    if (operation == S3Operation::kUploadPart) server_.remove_upload(old_id);
  });
  StringByteSource source(data);
  UploadRequest request = request_for(source, crypto::sha256_hex(data));
  request.resume = UploadCheckpoint{old_id, kPart, 4, 1};
  auto result = upload(request);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(stored() == data);
  EXPECT_NE(result->multipart_upload_id, old_id);
  EXPECT_EQ(result->parts_reused, 0u);
  EXPECT_EQ(result->parts_sent, 4u);
  EXPECT_EQ(server_.requests(S3Operation::kCreateMultipartUpload), 1);
}

TEST_F(UploaderTest, LostCompleteAnswerIsConfirmedWithHead) {
  server_.inject({.operation = S3Operation::kCompleteMultipartUpload,
                  .transport_error = Error::transient(ErrorCode::kUnavailable, "reset"),
                  .after_effect = true});
  const std::string data = make_data(kPart + 9, 21);
  StringByteSource source(data);
  auto result = upload(request_for(source));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(stored() == data);
  EXPECT_EQ(result->etag, server_.object(kBucket, kKey)->etag);
  EXPECT_EQ(server_.requests(S3Operation::kCompleteMultipartUpload), 2);
  EXPECT_EQ(server_.requests(S3Operation::kHeadObject), 1);
}

TEST_F(UploaderTest, SourceShorterThanClaimedIsPermanentIntegrityError) {
  ShortSource small(make_data(500, 22), 1000);
  expect_error(upload(request_for(small)), ErrorCode::kIntegrity, false);
  EXPECT_EQ(transport_.request_count(), 0u);

  ShortSource big(make_data(2 * kPart + 10, 23), 3 * kPart);
  expect_error(upload(request_for(big)), ErrorCode::kIntegrity, false);
  EXPECT_TRUE(server_.uploads().empty()) << "the failed upload was left behind";
  EXPECT_FALSE(server_.object(kBucket, kKey).has_value());
}

TEST_F(UploaderTest, TransientSourceErrorsAreRetried) {
  const std::string data = make_data(2 * kPart, 24);
  std::atomic<int> reads{0};
  StringByteSource inner(data);
  class Flaky final : public ByteSource {
   public:
    Flaky(ByteSource& inner, std::atomic<int>& reads) : inner_(inner), reads_(reads) {}
    uint64_t size() const override { return inner_.size(); }
    Result<size_t> read_at(uint64_t offset, std::span<std::byte> buf) override {
      if (reads_.fetch_add(1) == 0) return fail(Error::transient(ErrorCode::kIo, "EIO"));
      return inner_.read_at(offset, buf);
    }

   private:
    ByteSource& inner_;
    std::atomic<int>& reads_;
  } source(inner, reads);
  auto result = upload(request_for(source));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->retries, 1);
  EXPECT_TRUE(stored() == data);
}

TEST_F(UploaderTest, ObjectOverFiveTibFailsBeforeAnyRequest) {
  ShortSource huge("", (5ull << 40) + 1);
  expect_error(upload(request_for(huge)), ErrorCode::kTooLarge, false);
  EXPECT_EQ(transport_.request_count(), 0u);
  UploadRequest none = request_for(huge);
  none.source = nullptr;
  expect_error(upload(none), ErrorCode::kInvalidArgument, false);
}

// The fake itself: the checks the uploader tests rely on.

TEST_F(UploaderTest, FakeServerChecksDigestsAndCompleteLikeS3) {
  StringByteSource body("hello");
  s3::PutObjectRequest put{kBucket, "k", {&body, 0, 5, crypto::md5_base64("other"), ""},
                           "",      {},  {}};
  EXPECT_EQ(client_->put_object(put).error().code, ErrorCode::kIntegrity);
  put.body.content_md5.clear();
  put.body.sha256_hex = crypto::sha256_hex("other");
  EXPECT_EQ(client_->put_object(put).error().code, ErrorCode::kIntegrity);

  const std::string small(kPart - 1, 'a');
  const std::string id = server_.create_upload(kBucket, "k");
  server_.put_part(id, 1, small);
  server_.put_part(id, 2, "b");
  const s3::CompletedPart too_small[] = {{1, crypto::md5_hex(small)}, {2, crypto::md5_hex("b")}};
  auto completed = client_->complete_multipart_upload(kBucket, "k", id, too_small);
  ASSERT_FALSE(completed.has_value());
  EXPECT_NE(completed.error().message.find("EntityTooSmall"), std::string::npos);
  const s3::CompletedPart wrong_etag[] = {{2, "0123"}};
  completed = client_->complete_multipart_upload(kBucket, "k", id, wrong_etag);
  ASSERT_FALSE(completed.has_value());
  EXPECT_NE(completed.error().message.find("InvalidPart"), std::string::npos);
  const s3::CompletedPart last_only[] = {{2, crypto::md5_hex("b")}};
  ASSERT_TRUE(client_->complete_multipart_upload(kBucket, "k", id, last_only).has_value());
  EXPECT_EQ(server_.object(kBucket, "k")->data, "b");
  EXPECT_EQ(client_->list_parts(kBucket, "k", id).error().code, ErrorCode::kNotFound);
}

TEST_F(UploaderTest, FakeServerListsUploadsByPrefixAndCountsFaults) {
  server_.create_upload(kBucket, "a/1");
  server_.create_upload(kBucket, "a/2");
  server_.create_upload(kBucket, "b/1");
  server_.inject({.operation = S3Operation::kListMultipartUploads, .nth = 2, .times = 2});
  auto listed = client_->list_multipart_uploads(kBucket, "a/");
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key, "a/1");
  EXPECT_EQ(client_->list_multipart_uploads(kBucket).error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(client_->list_multipart_uploads(kBucket).has_value());
  EXPECT_EQ(client_->list_multipart_uploads(kBucket)->size(), 3u);
  EXPECT_EQ(server_.requests(S3Operation::kListMultipartUploads), 4);
}

}  // namespace
}  // namespace upfleet::upload
