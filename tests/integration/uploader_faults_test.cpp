// Uploads through the FaultProxy (503 SlowDown, 500 InternalError, connections cut mid-body,
// delays) to the real S3 server: every upload still completes byte-identical, retries are
// reported, no multipart upload is left behind, and a resumed upload re-sends only the parts
// the server does not have (counted by the proxy).
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "common/clock.h"
#include "common/crypto/sha256.h"
#include "common/http/curl_transport.h"
#include "common/upload/uploader.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/test_env.h"

namespace upfleet::upload {
namespace {

using namespace std::chrono_literals;
using testing::FaultPolicy;
using testing::FaultProxy;

constexpr uint64_t kMiB = 1ull << 20;

// `size` pseudo-random bytes computed on the fly from `seed` (no copy of the object is held).
class GeneratedSource final : public ByteSource {
 public:
  GeneratedSource(uint64_t size, uint64_t seed) : size_(size), seed_(seed) {}
  uint64_t size() const override { return size_; }
  Result<size_t> read_at(uint64_t offset, std::span<std::byte> buf) override {
    if (offset >= size_) return size_t{0};
    const size_t count = std::min<uint64_t>(buf.size(), size_ - offset);
    for (size_t i = 0; i < count; ++i) {
      const uint64_t at = offset + i;
      buf[i] = static_cast<std::byte>((at * 2654435761u + seed_ * 97 + (at >> 13)) >> 7);
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
};

s3::S3Config config_for(const testing::ServicesEnv& env, const std::string& endpoint) {
  s3::S3Config config;
  config.endpoint = endpoint;
  config.region = env.s3_region;
  config.access_key_id = env.s3_access_key_id;
  config.secret_access_key = env.s3_secret_access_key;
  config.path_style = env.s3_path_style;
  config.low_speed_window = 10s;  // a cut connection fails fast instead of stalling 30 s
  return config;
}

class UploaderFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    UPFLEET_REQUIRE_SERVICES(env);
    bucket_ = env.s3_bucket;
    std::string host;
    uint16_t port = 0;
    const std::string endpoint = env.s3_endpoint;
    const size_t scheme = endpoint.find("://");
    ASSERT_TRUE(testing::split_host_port(
        endpoint.substr(scheme == std::string::npos ? 0 : scheme + 3), host, port))
        << endpoint;
    proxy_ = FaultProxy::start(host, port, FaultPolicy{});
    ASSERT_NE(proxy_, nullptr);
    // Uploads go through the proxy; checks go straight to the server.
    auto faulty = s3::S3Client::create(config_for(env, proxy_->url()), transport_, clock_);
    auto direct = s3::S3Client::create(config_for(env, endpoint), transport_, clock_);
    ASSERT_TRUE(faulty.has_value() && direct.has_value());
    faulty_ = std::move(*faulty);
    direct_ = std::move(*direct);
    ASSERT_TRUE(direct_->create_bucket(bucket_).has_value());
    prefix_ = "uploader-faults-" + testing::unique_suffix() + "/";
    options_.plan = {5 * kMiB, 5 * kMiB};
    options_.concurrency = 4;
    options_.part_retry = {10ms, 200ms, 10};
    options_.retry_budget = 500;
    options_.checkpoint_interval = 0ms;
  }

  void TearDown() override {
    if (!direct_) return;
    for (const std::string& key : keys_) (void)direct_->delete_object(bucket_, key);
    auto left = direct_->list_multipart_uploads(bucket_, prefix_);
    for (const auto& upload : left.value_or(std::vector<s3::MultipartUploadInfo>{})) {
      (void)direct_->abort_multipart_upload(bucket_, upload.key, upload.upload_id);
    }
  }

  UploadRequest request_for(const std::string& key, GeneratedSource& source) {
    keys_.push_back(key);
    UploadRequest request;
    request.bucket = bucket_;
    request.key = key;
    request.sha256_hex = source.sha256_hex();
    request.source = &source;
    return request;
  }

  void expect_stored(const std::string& key, GeneratedSource& source) {
    crypto::Sha256 hash;
    uint64_t size = 0;
    auto got = direct_->get_object({bucket_, key, 0, 0, [&](std::string_view chunk) {
                                      hash.update(chunk);
                                      size += chunk.size();
                                      return true;
                                    }});
    ASSERT_TRUE(got.has_value()) << key << ": " << got.error().message;
    EXPECT_EQ(size, source.size()) << key;
    EXPECT_EQ(hash.finish_hex(), source.sha256_hex()) << key;
  }

  void expect_no_uploads_left() {
    auto left = direct_->list_multipart_uploads(bucket_, prefix_);
    ASSERT_TRUE(left.has_value()) << left.error().message;
    EXPECT_TRUE(left->empty()) << left->size() << " orphaned multipart uploads, e.g. "
                               << left->front().key;
  }

  http::CurlTransport transport_;
  SystemClock clock_;
  std::unique_ptr<FaultProxy> proxy_;
  std::unique_ptr<s3::S3Client> faulty_;
  std::unique_ptr<s3::S3Client> direct_;
  std::string bucket_;
  std::string prefix_;
  std::vector<std::string> keys_;
  UploaderOptions options_;
};

TEST_F(UploaderFaultsTest, UploadsSurviveErrorsDropsAndDelays) {
  FaultPolicy policy;
  policy.error_503_rate = 0.1;
  policy.error_500_rate = 0.1;
  policy.drop_rate = 0.1;
  policy.delay = 50ms;
  policy.seed = 7;
  proxy_->set_policy(policy);

  struct Job {
    std::string name;
    GeneratedSource source;
  };
  std::vector<std::unique_ptr<Job>> jobs;
  jobs.push_back(std::make_unique<Job>(Job{"big 40mib.bin", GeneratedSource(40 * kMiB, 1)}));
  jobs.push_back(std::make_unique<Job>(Job{"mid+12mib.bin", GeneratedSource(12 * kMiB + 5, 2)}));
  for (uint64_t i = 0; i < 4; ++i) {
    jobs.push_back(std::make_unique<Job>(
        Job{"small-" + std::to_string(i), GeneratedSource(i * 100'000, 10 + i)}));
  }
  std::vector<UploadRequest> requests;
  for (auto& job : jobs) requests.push_back(request_for(prefix_ + job->name, job->source));

  ByteBudget budget(48 * kMiB);
  Uploader uploader(*faulty_, budget, options_);
  std::vector<Result<UploadResult>> results(requests.size(), fail(Error{}));
  {
    std::vector<std::jthread> threads;
    for (size_t i = 0; i < requests.size(); ++i) {
      threads.emplace_back([&, i] { results[i] = uploader.upload(requests[i]); });
    }
  }
  int retries = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    SCOPED_TRACE(jobs[i]->name);
    ASSERT_TRUE(results[i].has_value()) << results[i].error().message;
    retries += results[i]->retries;
    expect_stored(requests[i].key, jobs[i]->source);
  }
  const auto stats = proxy_->stats();
  EXPECT_GT(retries, 0);
  EXPECT_GT(stats.answered_503 + stats.answered_500, 0u);
  EXPECT_GT(stats.dropped, 0u) << "no connection was cut: the drop path went untested";
  EXPECT_GE(static_cast<uint64_t>(retries), stats.answered_503 + stats.answered_500 + stats.dropped)
      << "every injected fault should have cost one retry";
  EXPECT_EQ(budget.in_use(), 0u);
  expect_no_uploads_left();
}

TEST_F(UploaderFaultsTest, ResumeThroughTheProxySendsOnlyMissingParts) {
  GeneratedSource source(6 * 5 * kMiB + 11, 3);  // 7 parts
  const std::string key = prefix_ + "resume me.bin";
  UploadRequest request = request_for(key, source);
  std::atomic<bool> cancelled{false};
  std::optional<UploadCheckpoint> last;
  request.on_checkpoint = [&](const UploadCheckpoint& point) {
    last = point;
    if (point.parts_done == 4) cancelled = true;
  };
  request.cancelled = [&] { return cancelled.load(); };
  options_.concurrency = 1;
  ByteBudget budget(32 * kMiB);
  auto first = Uploader(*faulty_, budget, options_).upload(request);
  ASSERT_FALSE(first.has_value());
  ASSERT_EQ(first.error().code, ErrorCode::kCancelled) << first.error().message;
  ASSERT_TRUE(last.has_value());
  ASSERT_EQ(last->parts_done, 4u);
  const auto before = proxy_->stats().parts_forwarded;
  EXPECT_EQ(before, (std::map<int, int>{{1, 1}, {2, 1}, {3, 1}, {4, 1}}));

  request.cancelled = {};
  request.resume = last;
  options_.concurrency = 3;
  auto second = Uploader(*faulty_, budget, options_).upload(request);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->parts_reused, 4u);
  EXPECT_EQ(second->parts_sent, 3u);
  EXPECT_EQ(proxy_->stats().parts_forwarded,
            (std::map<int, int>{{1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}, {7, 1}}));
  expect_stored(key, source);
  expect_no_uploads_left();
}

}  // namespace
}  // namespace upfleet::upload
