// UploadJobHandler with an in-memory object store and an in-memory source opener: stores and
// verifies the object, describes it as `uploaded`, skips redelivered jobs, and keeps the
// retryable flag of whatever failed.
#include "worker/upload_job_handler.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <mutex>

#include "common/crypto/md5.h"
#include "common/crypto/sha256.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_http_byte_source.h"
#include "tests/fakes/in_memory_object_store.h"

namespace upfleet {
namespace {

using upfleet::testing::FakeClock;
using upfleet::testing::InMemoryObjectStore;
using upfleet::testing::StringByteSource;
using Op = InMemoryObjectStore::Operation;

// Serves claim checks from memory: uri -> bytes. Unknown URIs are kNotFound; failures can be
// queued.
class FakeSourceOpener final : public SourceOpener {
 public:
  void add(std::string uri, std::string data) { sources_[std::move(uri)] = std::move(data); }
  void fail_next(Error error) { failures_.push_back(std::move(error)); }
  int opens() const { return opens_; }

  Result<std::unique_ptr<ByteSource>> open(const ClaimCheck& source) override {
    ++opens_;
    if (!failures_.empty()) {
      Error error = failures_.front();
      failures_.pop_front();
      return fail(error);
    }
    auto it = sources_.find(source.uri);
    if (it == sources_.end()) {
      return fail(Error::permanent(ErrorCode::kNotFound, "no source " + source.uri));
    }
    return std::unique_ptr<ByteSource>(std::make_unique<StringByteSource>(it->second));
  }

 private:
  std::map<std::string, std::string> sources_;
  std::deque<Error> failures_;
  int opens_ = 0;
};

constexpr std::string_view kUri =
    "http://ingest-0:8080/internal/spool/0191d2f0a1b2ffffeeeeddddccccbbbb";
const std::string kData = "the bytes of a small photo";

Job upload_job() {
  Job job;
  job.job_id = "0191d2f0a1b2c3d4e5f6a7b8c9d0e1f2";
  job.upload_id = "0191d2f0a1b2ffffeeeeddddccccbbbb";
  job.type = JobType::kUpload;
  job.bucket = "media";
  job.key = "photos/cat.jpg";
  job.source.uri = std::string(kUri);
  job.source.size = kData.size();
  job.source.sha256 = crypto::sha256_hex(kData);
  job.source.content_type = "image/jpeg";
  job.metadata = {{"owner", "team-a"}};
  job.created_at = "2026-01-02T03:04:05.000Z";
  job.attempt = 1;
  job.ingest_id = "ingest-0";
  return job;
}

class UploadJobHandlerTest : public ::testing::Test {
 protected:
  UploadJobHandlerTest() { sources_.add(std::string(kUri), kData); }

  const ObjectRef ref_{"media", "photos/cat.jpg"};
  FakeClock clock_;
  InMemoryObjectStore store_;
  FakeSourceOpener sources_;
  UploadJobHandler handler_{store_, sources_, "default-bucket", clock_};
};

TEST_F(UploadJobHandlerTest, StoresTheObjectAndDescribesItAsUploaded) {
  const Job job = upload_job();
  auto outcome = handler_.run(job);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_FALSE(outcome->skipped);
  EXPECT_EQ(outcome->bytes_sent, kData.size());

  const StatusEvent& event = outcome->event;
  EXPECT_EQ(event.state, UploadState::kUploaded);
  EXPECT_EQ(event.upload_id, job.upload_id);
  EXPECT_EQ(event.job_id, job.job_id);
  EXPECT_EQ(event.bucket, "media");
  EXPECT_EQ(event.key, "photos/cat.jpg");
  EXPECT_EQ(event.ingest_id, "ingest-0");
  EXPECT_EQ(event.size, kData.size());
  EXPECT_EQ(event.sha256, job.source.sha256);
  EXPECT_EQ(event.etag, crypto::md5_hex(kData));
  EXPECT_EQ(event.url, "memory://media/photos/cat.jpg");
  EXPECT_EQ(event.at, format_rfc3339(clock_.now()));
  EXPECT_EQ(event.attempt, 1);

  EXPECT_EQ(store_.data(ref_), kData);
  auto info = store_.head_object(ref_);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->content_type, "image/jpeg");
  EXPECT_EQ(info->metadata.at("sha256"), job.source.sha256);
  EXPECT_EQ(info->metadata.at("upfleet-upload-id"), job.upload_id);
  EXPECT_EQ(info->metadata.at("owner"), "team-a");
  EXPECT_EQ(store_.calls(Op::kPut), 1);
}

TEST_F(UploadJobHandlerTest, JobMetadataCannotOverrideTheChecksum) {
  Job job = upload_job();
  job.metadata = {{"sha256", std::string(64, '0')}, {"upfleet-upload-id", "forged"}};
  ASSERT_TRUE(handler_.run(job).has_value());
  auto info = store_.head_object(ref_);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata.at("sha256"), job.source.sha256);
  EXPECT_EQ(info->metadata.at("upfleet-upload-id"), job.upload_id);
}

TEST_F(UploadJobHandlerTest, JobWithoutBucketUsesTheDefault) {
  Job job = upload_job();
  job.bucket.clear();
  auto outcome = handler_.run(job);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(outcome->event.bucket, "default-bucket");
  EXPECT_EQ(store_.data({"default-bucket", "photos/cat.jpg"}), kData);
  EXPECT_EQ(store_.data(ref_), std::nullopt);
}

TEST_F(UploadJobHandlerTest, ObjectAlreadyStoredWithSameChecksumIsSkipped) {
  const Job job = upload_job();
  PutOptions options;
  options.metadata = {{"sha256", job.source.sha256}};
  store_.seed(ref_, kData, options);

  auto outcome = handler_.run(job);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_TRUE(outcome->skipped);
  EXPECT_EQ(outcome->bytes_sent, 0u);
  EXPECT_EQ(outcome->event.state, UploadState::kUploaded);
  EXPECT_EQ(outcome->event.etag, crypto::md5_hex(kData));
  EXPECT_EQ(outcome->event.size, kData.size());
  EXPECT_EQ(store_.calls(Op::kPut), 0);
  EXPECT_EQ(sources_.opens(), 0);
}

TEST_F(UploadJobHandlerTest, FirstDeliveryUploadsWithoutAskingWhetherTheObjectExists) {
  auto outcome = handler_.run(upload_job(), {}, Delivery::kFirst);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_FALSE(outcome->existence_checked);
  EXPECT_EQ(store_.data(ref_), kData);
  EXPECT_EQ(store_.calls(Op::kPut), 1);
  EXPECT_EQ(store_.calls(Op::kHead), 1) << "only the HEAD verifying the stored object";
}

TEST_F(UploadJobHandlerTest, PossibleRepeatAsksWhetherTheObjectExistsFirst) {
  auto outcome = handler_.run(upload_job(), {}, Delivery::kMaybeRepeated);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_TRUE(outcome->existence_checked);
  EXPECT_EQ(store_.calls(Op::kHead), 2) << "the existence check and the verification";
}

TEST_F(UploadJobHandlerTest, ExistingCheckAlwaysAsksAlsoForFirstDeliveries) {
  UploadJobHandler always(store_, sources_, "default-bucket", clock_, {}, ExistingCheck::kAlways);
  const Job job = upload_job();
  PutOptions options;
  options.metadata = {{"sha256", job.source.sha256}};
  store_.seed(ref_, kData, options);
  auto outcome = always.run(job, {}, Delivery::kFirst);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_TRUE(outcome->skipped);
  EXPECT_EQ(store_.calls(Op::kPut), 0);
  EXPECT_EQ(sources_.opens(), 0);
}

TEST_F(UploadJobHandlerTest, FirstDeliveryStoresAgainEvenWhenTheSameBytesAreThere) {
  // The price of leaving the check out: a job published twice stores the same bytes twice.
  const Job job = upload_job();
  PutOptions options;
  options.metadata = {{"sha256", job.source.sha256}};
  store_.seed(ref_, kData, options);
  auto outcome = handler_.run(job, {}, Delivery::kFirst);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_FALSE(outcome->skipped);
  EXPECT_EQ(store_.calls(Op::kPut), 1);
  EXPECT_EQ(store_.data(ref_), kData);
}

TEST_F(UploadJobHandlerTest, FirstDeliveryWhoseSourceIsGoneFindsTheObjectStoredByAnEarlierCopy) {
  // An ingest published the job twice; the first copy was stored and its spool file removed.
  Job job = upload_job();
  job.source.uri = "http://ingest-0/internal/spool/removed";
  PutOptions options;
  options.metadata = {{"sha256", job.source.sha256}};
  store_.seed(ref_, kData, options);
  auto outcome = handler_.run(job, {}, Delivery::kFirst);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_TRUE(outcome->skipped);
  EXPECT_EQ(outcome->event.state, UploadState::kUploaded);
  EXPECT_EQ(store_.calls(Op::kPut), 0);
}

TEST_F(UploadJobHandlerTest, FirstDeliveryWhoseSourceIsGoneAndNotStoredFailsNamingTheSource) {
  Job job = upload_job();
  job.source.uri = "http://ingest-0/internal/spool/removed";
  auto outcome = handler_.run(job, {}, Delivery::kFirst);
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, ErrorCode::kNotFound);
  EXPECT_NE(outcome.error().message.find("opening source"), std::string::npos)
      << outcome.error().message;
  EXPECT_EQ(store_.calls(Op::kPut), 0);
}

TEST_F(UploadJobHandlerTest, ObjectWithDifferentChecksumIsReplaced) {
  PutOptions options;
  options.metadata = {{"sha256", std::string(64, 'e')}};
  store_.seed(ref_, std::string(kData.size(), 'x'), options);

  auto outcome = handler_.run(upload_job());
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_FALSE(outcome->skipped);
  EXPECT_EQ(store_.calls(Op::kPut), 1);
  EXPECT_EQ(store_.data(ref_), kData);
}

TEST_F(UploadJobHandlerTest, ObjectWithoutChecksumMetadataIsReplaced) {
  store_.seed(ref_, kData);
  auto outcome = handler_.run(upload_job());
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_FALSE(outcome->skipped);
  EXPECT_EQ(store_.calls(Op::kPut), 1);
}

TEST_F(UploadJobHandlerTest, JobWithoutChecksumIsAlwaysUploaded) {
  Job job = upload_job();
  job.source.sha256.clear();
  PutOptions options;
  options.metadata = {{"sha256", crypto::sha256_hex(kData)}};
  store_.seed(ref_, kData, options);
  auto outcome = handler_.run(job);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_FALSE(outcome->skipped);
  EXPECT_EQ(store_.calls(Op::kPut), 1);
}

TEST_F(UploadJobHandlerTest, HeadFailureKeepsItsRetryableFlag) {
  store_.inject_failure(Op::kHead, Error::transient(ErrorCode::kUnavailable, "503 SlowDown"));
  auto outcome = handler_.run(upload_job());
  ASSERT_FALSE(outcome.has_value());
  EXPECT_TRUE(outcome.error().retryable);
  EXPECT_EQ(outcome.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(outcome.error().message, "checking for an existing object: 503 SlowDown");
  EXPECT_EQ(store_.calls(Op::kPut), 0);
}

TEST_F(UploadJobHandlerTest, SourceFailureKeepsItsRetryableFlag) {
  sources_.fail_next(Error::transient(ErrorCode::kUnavailable, "ingest unreachable"));
  auto transient = handler_.run(upload_job());
  ASSERT_FALSE(transient.has_value());
  EXPECT_TRUE(transient.error().retryable);
  EXPECT_EQ(transient.error().message, "opening source: ingest unreachable");

  Job gone = upload_job();
  gone.source.uri = "http://ingest-0:8080/internal/spool/missing";
  auto permanent = handler_.run(gone);
  ASSERT_FALSE(permanent.has_value());
  EXPECT_FALSE(permanent.error().retryable);
  EXPECT_EQ(permanent.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_.calls(Op::kPut), 0);
}

TEST_F(UploadJobHandlerTest, SourceSizeDifferentFromJobIsAPermanentIntegrityError) {
  Job job = upload_job();
  job.source.size = kData.size() + 1;
  auto outcome = handler_.run(job);
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, ErrorCode::kIntegrity);
  EXPECT_FALSE(outcome.error().retryable);
  EXPECT_EQ(store_.calls(Op::kPut), 0);
}

TEST_F(UploadJobHandlerTest, PutFailureKeepsItsRetryableFlag) {
  store_.inject_failure(Op::kPut, Error::transient(ErrorCode::kUnavailable, "connection reset"));
  auto transient = handler_.run(upload_job());
  ASSERT_FALSE(transient.has_value());
  EXPECT_TRUE(transient.error().retryable);
  EXPECT_EQ(transient.error().message, "storing object: connection reset");

  store_.inject_failure(Op::kPut, Error::permanent(ErrorCode::kPermissionDenied, "AccessDenied"));
  auto permanent = handler_.run(upload_job());
  ASSERT_FALSE(permanent.has_value());
  EXPECT_FALSE(permanent.error().retryable);
  EXPECT_EQ(permanent.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(store_.object_count(), 0u);
}

TEST_F(UploadJobHandlerTest, BytesNotMatchingTheJobChecksumAreRefused) {
  Job job = upload_job();
  job.source.sha256 = crypto::sha256_hex("something else");
  auto outcome = handler_.run(job);
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, ErrorCode::kIntegrity);
  EXPECT_EQ(store_.object_count(), 0u);
}

TEST_F(UploadJobHandlerTest, VerificationFailureIsRetryable) {
  // The object is stored, but the HEAD that verifies it fails: the next attempt may succeed.
  store_.inject_failure(Op::kHead, Error::permanent(ErrorCode::kNotFound, "no such key"));
  store_.inject_failure(Op::kHead, Error::transient(ErrorCode::kTimeout, "HEAD timed out"));
  auto outcome = handler_.run(upload_job());
  ASSERT_FALSE(outcome.has_value());
  EXPECT_TRUE(outcome.error().retryable);
  EXPECT_EQ(outcome.error().message, "verifying object: HEAD timed out");
  EXPECT_EQ(store_.calls(Op::kPut), 1);
}

}  // namespace
}  // namespace upfleet
