// IngestService behind a real HttpServer on 127.0.0.1:0, with a DiskSpool on a temp dir and
// fake job publisher / status sink; requests go through CurlTransport (or a raw socket where
// the exact bytes on the wire matter).
#include "producer/ingest_service.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "common/crypto/sha256.h"
#include "common/ids.h"
#include "tests/unit/ingest_harness.h"

namespace upfleet::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr std::string_view kAdvertiseUrl = "http://ingest-0.ingest.test:8080";
constexpr std::string_view kIngestId = "ingest-0";

std::string pattern(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>('A' + (i * 7 + i / 13) % 26);
  return out;
}

// The DiskSpool, except that storing an upload (commit_with_manifest) fails while
// `fail_stores` is set, as on a full disk; the bytes are then discarded.
class StoreFailingSpool final : public Spool {
 public:
  explicit StoreFailingSpool(Spool& inner) : inner_(inner) {}
  Result<std::unique_ptr<SpoolWriter>> create(std::string_view upload_id,
                                              uint64_t max_bytes) override {
    auto writer = inner_.create(upload_id, max_bytes);
    if (!writer) return writer;
    return std::unique_ptr<SpoolWriter>(new Writer(std::move(*writer), fail_stores));
  }
  Status write_manifest(const SpoolManifest& manifest) override {
    return inner_.write_manifest(manifest);
  }
  Status mark_published(std::string_view upload_id) override {
    return inner_.mark_published(upload_id);
  }
  Result<SpoolManifest> read_manifest(std::string_view upload_id) const override {
    return inner_.read_manifest(upload_id);
  }
  Result<std::unique_ptr<ByteSource>> open(std::string_view upload_id) const override {
    return inner_.open(upload_id);
  }
  Status remove(std::string_view upload_id) override { return inner_.remove(upload_id); }
  Result<std::vector<SpoolManifest>> recover() override { return inner_.recover(); }
  Result<std::vector<SpoolManifest>> list() const override { return inner_.list(); }
  SpoolUsage usage() const override { return inner_.usage(); }

  std::atomic<bool> fail_stores{false};

 private:
  class Writer final : public SpoolWriter {
   public:
    Writer(std::unique_ptr<SpoolWriter> inner, const std::atomic<bool>& fail)
        : inner_(std::move(inner)), fail_(fail) {}
    Status append(std::span<const std::byte> data) override { return inner_->append(data); }
    void hash(std::span<const std::byte> data) override { inner_->hash(data); }
    uint64_t bytes_written() const override { return inner_->bytes_written(); }
    SpooledFile digest() override { return inner_->digest(); }
    Result<SpooledFile> commit() override { return inner_->commit(); }
    Status commit_with_manifest(const SpoolManifest& manifest) override {
      if (fail_.load()) {
        inner_.reset();  // uncommitted: its partial file goes
        return fail(Error::permanent(ErrorCode::kResourceExhausted, "no space left on device"));
      }
      return inner_->commit_with_manifest(manifest);
    }

   private:
    std::unique_ptr<SpoolWriter> inner_;
    const std::atomic<bool>& fail_;
  };

  Spool& inner_;
};

class IngestServiceTest : public IngestHarness {
 protected:
  void expect_chunked_body_above_25_bytes_is_413();

  // Starts the service; each test calls it first, adjusting options as it needs.
  void start(const ServiceTweak& tweak = {}) {
    IngestHarness::start([&](IngestOptions& options) {
      options.ingest_id = std::string(kIngestId);
      options.advertise_url = std::string(kAdvertiseUrl);
      options.max_body_bytes = 64 * 1024;
      if (tweak) tweak(options);
    });
  }

  // Accepts `body` under `key` and returns the upload id.
  std::string accept(std::string_view encoded_key, std::string_view body,
                     http::Headers headers = {}) {
    const auto response = put(encoded_key, body, std::move(headers));
    EXPECT_EQ(response.status, 202) << response.body;
    const json reply = json::parse(response.body, nullptr, false);
    if (!reply.is_object() || !reply.contains("upload_id")) return "";
    return reply.at("upload_id").get<std::string>();
  }

  static std::string error_code_of(const std::string& body) {
    const json doc = json::parse(body, nullptr, false);
    if (!doc.is_object() || !doc.contains("error")) return "<no error object: " + body + ">";
    return doc.at("error").value("code", "") + (doc.at("error").contains("message") ? "" : "!");
  }

  void write_spooled(const std::string& id, std::string_view data, SpoolState state) {
    auto writer = spool_->create(id, 1 << 20);
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE((*writer)->write(std::as_bytes(std::span(data.data(), data.size()))).has_value());
    auto committed = (*writer)->commit();
    ASSERT_TRUE(committed.has_value());
    SpoolManifest manifest;
    manifest.upload_id = id;
    manifest.job_id = "job-" + id;
    manifest.bucket = "media";
    manifest.key = "recovered/" + id + ".bin";
    manifest.content_type = "application/octet-stream";
    manifest.sha256 = committed->sha256;
    manifest.size = committed->size;
    manifest.created_at = "2026-01-01T00:00:00.000Z";
    manifest.state = state;
    ASSERT_TRUE(spool_->write_manifest(manifest).has_value());
  }
};

TEST_F(IngestServiceTest, PutSpoolsPublishesAndAnswers202) {
  start();
  std::vector<StatusEvent> statuses_when_job_published;
  jobs_.set_on_publish([&](const Job&) { statuses_when_job_published = statuses_.events(); });
  const std::string body = "hello, upfleet";

  const auto response = put("photos/cat%20one.jpg", body, {{"Content-Type", "image/jpeg"}});

  ASSERT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(response.header("content-type"), "application/json");
  const json reply = json::parse(response.body);
  const std::string id = reply.at("upload_id");
  EXPECT_TRUE(is_valid_upload_id(id));
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(reply.at("key"), "photos/cat one.jpg");
  EXPECT_EQ(reply.at("size"), body.size());
  EXPECT_EQ(reply.at("sha256"), crypto::sha256_hex(body));
  EXPECT_EQ(reply.at("status_url"), std::string(kAdvertiseUrl) + "/v1/uploads/" + id);

  const auto jobs = jobs_.jobs();
  ASSERT_EQ(jobs.size(), 1u);
  const Job& job = jobs[0];
  EXPECT_EQ(job.key, "photos/cat one.jpg");  // the message key of the job
  EXPECT_EQ(job.upload_id, id);
  EXPECT_TRUE(is_valid_upload_id(job.job_id));
  EXPECT_NE(job.job_id, id);
  EXPECT_EQ(job.type, JobType::kUpload);
  EXPECT_EQ(job.bucket, "media");
  EXPECT_EQ(job.source.uri, std::string(kAdvertiseUrl) + "/internal/spool/" + id);
  EXPECT_EQ(job.source.size, body.size());
  EXPECT_EQ(job.source.sha256, crypto::sha256_hex(body));
  EXPECT_EQ(job.source.content_type, "image/jpeg");
  EXPECT_EQ(job.ingest_id, kIngestId);
  EXPECT_EQ(job.created_at, format_rfc3339(clock_.now()));
  // The job is valid by the public schema, as a worker will parse it.
  auto reparsed = parse_job(to_json(job));
  ASSERT_TRUE(reparsed.has_value()) << reparsed.error().message;

  // `queued` was confirmed before the job existed.
  ASSERT_EQ(statuses_when_job_published.size(), 1u);
  EXPECT_EQ(statuses_when_job_published[0].state, UploadState::kQueued);
  const auto events = statuses_.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].upload_id, id);
  EXPECT_EQ(events[0].job_id, job.job_id);
  EXPECT_EQ(events[0].key, "photos/cat one.jpg");
  EXPECT_EQ(events[0].ingest_id, kIngestId);
  EXPECT_EQ(events[0].size, body.size());
  EXPECT_EQ(events[0].sha256, crypto::sha256_hex(body));

  EXPECT_EQ(spool_entries(spool_dir()),
            (std::set<std::string>{id + ".data", id + ".json", id + ".published"}));
  EXPECT_EQ(read_file(spool_dir() / (id + ".data")), body);
  auto manifest = spool_->read_manifest(id);
  ASSERT_TRUE(manifest.has_value());
  EXPECT_EQ(manifest->state, SpoolState::kPublished);
  EXPECT_EQ(manifest->key, "photos/cat one.jpg");
  EXPECT_EQ(manifest->job_id, job.job_id);

  ASSERT_TRUE(view_.find(id).has_value());
  EXPECT_EQ(view_.find(id)->state, UploadState::kQueued);
}

TEST_F(IngestServiceTest, PutWithoutContentTypeIsOctetStream) {
  start();
  accept("plain.bin", "x");
  ASSERT_EQ(jobs_.jobs().size(), 1u);
  EXPECT_EQ(jobs_.jobs()[0].source.content_type, "application/octet-stream");
}

TEST_F(IngestServiceTest, EmptyBodyIsAccepted) {
  start();
  const std::string id = accept("empty.txt", "");
  ASSERT_EQ(jobs_.jobs().size(), 1u);
  EXPECT_EQ(jobs_.jobs()[0].source.size, 0u);
  EXPECT_EQ(jobs_.jobs()[0].source.sha256, crypto::kEmptySha256Hex);
  EXPECT_TRUE(fs::exists(spool_dir() / (id + ".data")));
}

TEST_F(IngestServiceTest, PublisherFailureAnswers503AndKeepsNothing) {
  start();
  jobs_.fail_always(Error::transient(ErrorCode::kTimeout, "no delivery report"));
  const auto response = put("a.txt", "bytes");
  EXPECT_EQ(response.status, 503) << response.body;
  EXPECT_EQ(response.header("retry-after"), "5");
  EXPECT_EQ(error_code_of(response.body), "queue_unavailable");
  EXPECT_EQ(jobs_.calls(), 1);
  EXPECT_TRUE(jobs_.jobs().empty());
  EXPECT_TRUE(spool_entries(spool_dir()).empty());
  EXPECT_EQ(spool_->usage().bytes, 0u);
  EXPECT_EQ(spool_->usage().files, 0u);
}

TEST_F(IngestServiceTest, StatusSinkFailureAnswers503AndPublishesNoJob) {
  start();
  statuses_.fail_always(Error::transient(ErrorCode::kUnavailable, "broker down"));
  const auto response = put("a.txt", "bytes");
  EXPECT_EQ(response.status, 503) << response.body;
  EXPECT_EQ(response.header("retry-after"), "5");
  EXPECT_EQ(jobs_.calls(), 0);
  EXPECT_TRUE(spool_entries(spool_dir()).empty());
}

// The bytes are made durable while Kafka confirms `queued`: when storing them fails after
// all, the upload is refused, `failed` follows `queued` on the status topic, no job exists
// and nothing stays in the spool.
TEST_F(IngestServiceTest, StoreFailureAfterQueuedIsRefusedAsFailedWithoutAJob) {
  StoreFailingSpool* failing = nullptr;
  wrap_spool_ = [&failing](DiskSpool& spool) {
    auto wrapped = std::make_unique<StoreFailingSpool>(spool);
    failing = wrapped.get();
    return wrapped;
  };
  start();
  failing->fail_stores = true;
  const auto response = put("a.txt", "bytes");
  EXPECT_EQ(response.status, 507) << response.body;
  EXPECT_EQ(jobs_.calls(), 0);
  EXPECT_TRUE(spool_entries(spool_dir()).empty());
  EXPECT_EQ(spool_->usage().files, 0u);
  // The refusal is sent without waiting; the fake records it when publish() is called.
  const auto events = statuses_.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].state, UploadState::kQueued);
  EXPECT_EQ(events[1].state, UploadState::kFailed);
  EXPECT_EQ(events[1].upload_id, events[0].upload_id);
  EXPECT_EQ(events[1].stage, "ingest");
  EXPECT_NE(events[1].reason.find("no space left on device"), std::string::npos)
      << events[1].reason;

  failing->fail_stores = false;
  EXPECT_FALSE(accept("b.txt", "bytes").empty());
  EXPECT_EQ(jobs_.jobs().size(), 1u);
}

// The job exists only once the bytes and manifest are durable and `queued` is confirmed.
TEST_F(IngestServiceTest, JobIsPublishedOnlyAfterTheUploadIsDurableAndQueued) {
  start();
  Result<SpoolManifest> manifest_when_job_published = fail(Error::invalid("no job yet"));
  std::vector<StatusEvent> statuses_when_job_published;
  jobs_.set_on_publish([&](const Job& job) {
    manifest_when_job_published = spool_->read_manifest(job.upload_id);
    statuses_when_job_published = statuses_.events();
  });
  const std::string id = accept("durable.bin", "durable bytes");
  ASSERT_TRUE(manifest_when_job_published.has_value())
      << manifest_when_job_published.error().message;
  EXPECT_EQ(manifest_when_job_published->upload_id, id);
  EXPECT_EQ(manifest_when_job_published->sha256, crypto::sha256_hex("durable bytes"));
  ASSERT_EQ(statuses_when_job_published.size(), 1u);
  EXPECT_EQ(statuses_when_job_published[0].state, UploadState::kQueued);
}

TEST_F(IngestServiceTest, AfterAFailedPublishTheNextUploadSucceeds) {
  start();
  jobs_.fail_next(Error::transient(ErrorCode::kTimeout, "no delivery report"));
  EXPECT_EQ(put("a.txt", "one").status, 503);
  const std::string id = accept("a.txt", "two");
  EXPECT_EQ(spool_entries(spool_dir()),
            (std::set<std::string>{id + ".data", id + ".json", id + ".published"}));
  EXPECT_EQ(jobs_.jobs().size(), 1u);
}

TEST_F(IngestServiceTest, BadKeysAre400AndNothingIsKept) {
  start();
  for (std::string_view key : {"..%2Fx", "%2Fabs", "a%00b", "%2e%2e/x", "a/%2E/b", "dir%2F",
                               "a%5Cb", "a%0Ab", "a%2", "a%zz", "%C0%AF", "a//b"}) {
    SCOPED_TRACE(key);
    const auto response = put(key, "bytes");
    EXPECT_EQ(response.status, 400) << response.body;
    EXPECT_EQ(error_code_of(response.body), "invalid_key");
  }
  const auto too_long = put(std::string(1025, 'k'), "bytes");
  EXPECT_EQ(too_long.status, 400);
  EXPECT_EQ(error_code_of(too_long.body), "invalid_key");
  expect_nothing_spooled_or_published();
}

TEST_F(IngestServiceTest, ClientTokensAreRequiredWhenConfigured) {
  start([](IngestOptions& options) { options.auth_tokens = {"token-one", "token-two"}; });

  const auto missing = put("a.txt", "bytes");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.header("www-authenticate"), "Bearer");
  EXPECT_EQ(error_code_of(missing.body), "unauthorized");

  const auto wrong = put("a.txt", "bytes", {{"Authorization", "Bearer token-three"}});
  EXPECT_EQ(wrong.status, 401);
  expect_nothing_spooled_or_published();

  const std::string id = accept("a.txt", "bytes", {{"Authorization", "Bearer token-two"}});
  EXPECT_EQ(jobs_.jobs().size(), 1u);

  EXPECT_EQ(send("GET", "/v1/uploads/" + id).status, 401);
  EXPECT_EQ(send("GET", "/v1/uploads/" + id, {}, {{"Authorization", "Bearer token-one"}}).status,
            200);
}

TEST_F(IngestServiceTest, DeclaredLengthAboveLimitIs413BeforeReadingTheBody) {
  start([](IngestOptions& options) { options.max_body_bytes = 1000; });
  // The body is never sent: the answer comes from the headers alone.
  const RawResponse response =
      raw_exchange(server_->port(),
                   "PUT /v1/files/big.bin HTTP/1.1\r\nHost: test\r\nContent-Length: 1001\r\n\r\n");
  EXPECT_EQ(response.status, 413) << response.head;
  EXPECT_EQ(error_code_of(response.body), "too_large");
  EXPECT_NE(response.body.find("http.max_body_bytes"), std::string::npos) << response.body;
  expect_nothing_spooled_or_published();
}

TEST_F(IngestServiceTest, BodyAtTheLimitIsAccepted) {
  start([](IngestOptions& options) { options.max_body_bytes = 1000; });
  const std::string body = pattern(1000);
  const std::string id = accept("exact.bin", body);
  EXPECT_EQ(read_file(spool_dir() / (id + ".data")), body);
}

std::string chunked_request(const std::string& key, const std::vector<std::string>& chunks) {
  std::ostringstream request;
  request << "PUT /v1/files/" << key << " HTTP/1.1\r\nHost: test\r\n"
          << "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  for (const auto& chunk : chunks) request << std::hex << chunk.size() << "\r\n" << chunk << "\r\n";
  request << "0\r\n\r\n";
  return request.str();
}

TEST_F(IngestServiceTest, ChunkedBodyWithinLimitIsAccepted) {
  start([](IngestOptions& options) { options.max_body_bytes = 100; });
  const RawResponse response =
      raw_exchange(server_->port(), chunked_request("chunked.bin", {"0123456789", "abcdefghij"}));
  ASSERT_EQ(response.status, 202) << response.head << response.body;
  const json reply = json::parse(response.body);
  EXPECT_EQ(reply.at("size"), 20);
  const std::string id = reply.at("upload_id");
  EXPECT_EQ(read_file(spool_dir() / (id + ".data")), "0123456789abcdefghij");
}

// Sends 30 bytes in three chunks to an ingest whose limit is 25: 413 while streaming, and
// nothing kept.
void IngestServiceTest::expect_chunked_body_above_25_bytes_is_413() {
  const RawResponse response = raw_exchange(
      server_->port(), chunked_request("chunked.bin", {"0123456789", "abcdefghij", "ABCDEFGHIJ"}));
  EXPECT_EQ(response.status, 413) << response.head << response.body;
  EXPECT_EQ(error_code_of(response.body), "too_large");
  expect_nothing_spooled_or_published();
  EXPECT_EQ(spool_->usage().bytes, 0u);
}

TEST_F(IngestServiceTest, ChunkedBodyAboveLimitIs413AndLeavesNoPartialFile) {
  start([](IngestOptions& options) { options.max_body_bytes = 25; });
  expect_chunked_body_above_25_bytes_is_413();
}

// Past inline_body_bytes a body is written and hashed on the blocking pool (0 here: all of
// it); the spooled bytes, size and SHA-256 are the same as when written in line.
TEST_F(IngestServiceTest, BodyWrittenOnThePoolIsStoredAndHashedTheSame) {
  start([](IngestOptions& options) {
    options.inline_body_bytes = 0;
    options.max_body_bytes = 8 << 20;
  });
  const std::string body = pattern((3 << 20) + 7);
  const auto response = put("pooled.bin", body, {{"X-Checksum-Sha256", crypto::sha256_hex(body)}});
  ASSERT_EQ(response.status, 202) << response.body;
  const json reply = json::parse(response.body);
  EXPECT_EQ(reply.at("size"), body.size());
  EXPECT_EQ(reply.at("sha256"), crypto::sha256_hex(body));
  const std::string id = reply.at("upload_id");
  EXPECT_EQ(read_file(spool_dir() / (id + ".data")), body);
  ASSERT_EQ(jobs_.jobs().size(), 1u);
  EXPECT_EQ(jobs_.jobs()[0].source.sha256, crypto::sha256_hex(body));
}

TEST_F(IngestServiceTest, ChunkedBodyAboveLimitOnThePoolIs413AndLeavesNoPartialFile) {
  start([](IngestOptions& options) {
    options.inline_body_bytes = 0;
    options.max_body_bytes = 25;
  });
  expect_chunked_body_above_25_bytes_is_413();
}

// A body of known length is read straight off the socket: bytes of the next request that
// arrived with it stay for that request.
TEST_F(IngestServiceTest, PipelinedRequestsAfterABodyOnOneConnectionAreBothServed) {
  start();
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(
      "PUT /v1/files/first.bin HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n0123456789"
      "PUT /v1/files/second.bin HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
      "Connection: close\r\n\r\nabcde"));
  const std::string replies = client.read_all();
  size_t accepted = 0;
  for (size_t at = replies.find("HTTP/1.1 202"); at != std::string::npos;
       at = replies.find("HTTP/1.1 202", at + 1)) {
    ++accepted;
  }
  EXPECT_EQ(accepted, 2u) << replies;
  const auto jobs = jobs_.jobs();
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].key, "first.bin");
  EXPECT_EQ(jobs[0].source.sha256, crypto::sha256_hex("0123456789"));
  EXPECT_EQ(jobs[1].key, "second.bin");
  EXPECT_EQ(jobs[1].source.sha256, crypto::sha256_hex("abcde"));
}

TEST_F(IngestServiceTest, ClientGoneMidBodyLeavesNothing) {
  start();
  {
    RawClient client(server_->port());
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send(
        "PUT /v1/files/cut.bin HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n" +
        pattern(70000)));
    ::shutdown(client.fd(), SHUT_WR);  // the rest of the body never comes
    client.read_all();
  }
  EXPECT_TRUE(eventually([&] { return spool_files().empty(); }, std::chrono::seconds(5)));
  expect_nothing_spooled_or_published();
  EXPECT_EQ(spool_->usage().bytes, 0u);
}

TEST_F(IngestServiceTest, SpoolAboveHighWaterMarkAnswers507AtOnce) {
  spool_max_bytes_ = 10;
  start();
  const std::string first = accept("first.bin", pattern(20));  // spool was empty: accepted
  const auto refused = put("second.bin", "more bytes");
  EXPECT_EQ(refused.status, 507) << refused.body;
  EXPECT_EQ(error_code_of(refused.body), "insufficient_storage");
  EXPECT_EQ(refused.header("retry-after"), "30");
  EXPECT_EQ(spool_entries(spool_dir()),
            (std::set<std::string>{first + ".data", first + ".json", first + ".published"}));
  EXPECT_EQ(jobs_.jobs().size(), 1u);
}

TEST_F(IngestServiceTest, SpoolEndpointServesWholeFileAndRanges) {
  start();
  const std::string body = pattern(5000);
  const std::string id = accept("served.bin", body);
  const std::string path = "/internal/spool/" + id;

  const auto whole = send("GET", path);
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body, body);
  EXPECT_EQ(whole.header("accept-ranges"), "bytes");
  EXPECT_EQ(whole.header("content-length"), "5000");
  EXPECT_EQ(whole.header("content-type"), "application/octet-stream");

  const auto middle = send("GET", path, {}, {{"Range", "bytes=1000-1999"}});
  ASSERT_EQ(middle.status, 206);
  EXPECT_EQ(middle.header("content-range"), "bytes 1000-1999/5000");
  EXPECT_EQ(middle.body, body.substr(1000, 1000));

  const auto tail = send("GET", path, {}, {{"Range", "bytes=4990-"}});
  ASSERT_EQ(tail.status, 206);
  EXPECT_EQ(tail.header("content-range"), "bytes 4990-4999/5000");
  EXPECT_EQ(tail.body, body.substr(4990));

  const auto suffix = send("GET", path, {}, {{"Range", "bytes=-7"}});
  ASSERT_EQ(suffix.status, 206);
  EXPECT_EQ(suffix.body, body.substr(4993));

  const auto beyond = send("GET", path, {}, {{"Range", "bytes=5000-"}});
  EXPECT_EQ(beyond.status, 416);
  EXPECT_EQ(beyond.header("content-range"), "bytes */5000");

  const auto several = send("GET", path, {}, {{"Range", "bytes=0-1,5-6"}});
  EXPECT_EQ(several.status, 200);
  EXPECT_EQ(several.body, body);
}

TEST_F(IngestServiceTest, SpoolEndpointRequiresTheSpoolTokenWhenSet) {
  start([](IngestOptions& options) { options.spool_token = "worker-secret"; });
  const std::string body = pattern(300);
  const std::string id = accept("secret.bin", body);
  const std::string path = "/internal/spool/" + id;

  const auto missing = send("GET", path);
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(error_code_of(missing.body), "unauthorized");
  EXPECT_EQ(send("GET", path, {}, {{"Authorization", "Bearer wrong"}}).status, 401);

  const auto allowed = send("GET", path, {}, {{"Authorization", "Bearer worker-secret"}});
  EXPECT_EQ(allowed.status, 200);
  EXPECT_EQ(allowed.body, body);
}

TEST_F(IngestServiceTest, SpoolEndpointUnknownAndMalformedIds) {
  start();
  const auto unknown = send("GET", "/internal/spool/" + new_id());
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(error_code_of(unknown.body), "not_found");
  EXPECT_EQ(send("GET", "/internal/spool/NOT-AN-ID").status, 400);
  EXPECT_EQ(send("GET", "/internal/spool/a%2F..%2Fb").status, 400);
}

TEST_F(IngestServiceTest, UploadStatusComesFromTheView) {
  start();
  const std::string id = new_id();
  EXPECT_EQ(send("GET", "/v1/uploads/" + id).status, 404);

  StatusEvent uploaded;
  uploaded.upload_id = id;
  uploaded.state = UploadState::kUploaded;
  uploaded.key = "k.txt";
  uploaded.etag = "0123abcd";
  uploaded.size = 42;
  ASSERT_TRUE(view_.apply(uploaded));

  const auto response = send("GET", "/v1/uploads/" + id);
  ASSERT_EQ(response.status, 200) << response.body;
  const json doc = json::parse(response.body);
  EXPECT_EQ(doc.at("upload_id"), id);
  EXPECT_EQ(doc.at("state"), "uploaded");
  EXPECT_EQ(doc.at("etag"), "0123abcd");
  EXPECT_EQ(doc.at("size"), 42);

  EXPECT_EQ(send("GET", "/v1/uploads/BAD").status, 400);
}

TEST_F(IngestServiceTest, UploadStatusAfterPutIsQueued) {
  start();
  const std::string id = accept("q.txt", "bytes");
  const auto response = send("GET", "/v1/uploads/" + id);
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body).at("state"), "queued");
}

TEST_F(IngestServiceTest, HealthReadinessAndUnknownRoutes) {
  start();
  EXPECT_EQ(send("GET", "/healthz").status, 200);
  EXPECT_EQ(send("GET", "/readyz").status, 503);
  service_->set_ready(true);
  EXPECT_EQ(send("GET", "/readyz").status, 200);
  const auto unknown = send("GET", "/nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(error_code_of(unknown.body), "not_found");
  EXPECT_EQ(send("GET", "/v1/files/a.txt").status, 405);
}

TEST_F(IngestServiceTest, RecoverRepublishesSpooledButUnpublishedUploads) {
  start();
  const std::string spooled = new_id();
  const std::string published = new_id();
  write_spooled(spooled, "not yet confirmed", SpoolState::kSpooled);
  write_spooled(published, "confirmed earlier", SpoolState::kPublished);

  ASSERT_TRUE(service_->recover().has_value());

  const auto jobs = jobs_.jobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].upload_id, spooled);
  EXPECT_EQ(jobs[0].job_id, "job-" + spooled);  // same identity as the first attempt
  EXPECT_EQ(jobs[0].key, "recovered/" + spooled + ".bin");
  EXPECT_EQ(jobs[0].source.uri, std::string(kAdvertiseUrl) + "/internal/spool/" + spooled);
  EXPECT_EQ(jobs[0].source.size, std::string("not yet confirmed").size());
  EXPECT_EQ(jobs[0].ingest_id, kIngestId);
  const auto events = statuses_.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].upload_id, spooled);
  EXPECT_EQ(events[0].state, UploadState::kQueued);

  EXPECT_EQ(spool_->read_manifest(spooled)->state, SpoolState::kPublished);
  EXPECT_EQ(spool_entries(spool_dir()),
            (std::set<std::string>{spooled + ".data", spooled + ".json", spooled + ".published",
                                   published + ".data", published + ".json"}));

  // A second recovery has nothing left to publish.
  ASSERT_TRUE(service_->recover().has_value());
  EXPECT_EQ(jobs_.jobs().size(), 1u);
}

TEST_F(IngestServiceTest, RecoverDropsFilesAlreadyUploaded) {
  start();
  const std::string done = new_id();
  write_spooled(done, "stored already", SpoolState::kSpooled);
  StatusEvent uploaded;
  uploaded.upload_id = done;
  uploaded.state = UploadState::kUploaded;
  uploaded.ingest_id = std::string(kIngestId);
  view_.apply(uploaded);

  ASSERT_TRUE(service_->recover().has_value());
  EXPECT_TRUE(jobs_.jobs().empty());
  EXPECT_TRUE(spool_entries(spool_dir()).empty());
}

TEST_F(IngestServiceTest, RecoverFailsAndKeepsTheFileWhenPublishingFails) {
  start();
  const std::string spooled = new_id();
  write_spooled(spooled, "bytes", SpoolState::kSpooled);
  jobs_.fail_always(Error::transient(ErrorCode::kUnavailable, "broker down"));
  auto recovered = service_->recover();
  ASSERT_FALSE(recovered.has_value());
  EXPECT_NE(recovered.error().message.find(spooled), std::string::npos);
  EXPECT_EQ(spool_->read_manifest(spooled)->state, SpoolState::kSpooled);
  EXPECT_TRUE(fs::exists(spool_dir() / (spooled + ".data")));
}

TEST_F(IngestServiceTest, UploadedStatusOfOwnUploadDeletesSpoolFiles) {
  start();
  const std::string mine = accept("mine.txt", "bytes");
  ASSERT_EQ(spool_entries(spool_dir()).size(), 3u);  // .data, .json, .published

  StatusEvent uploading;
  uploading.upload_id = mine;
  uploading.state = UploadState::kUploading;
  uploading.ingest_id = std::string(kIngestId);
  service_->on_status(uploading);
  EXPECT_EQ(spool_entries(spool_dir()).size(), 3u);  // not stored yet

  StatusEvent uploaded = uploading;
  uploaded.state = UploadState::kUploaded;
  service_->on_status(uploaded);
  EXPECT_TRUE(spool_entries(spool_dir()).empty());
  EXPECT_EQ(spool_->usage().files, 0u);
  EXPECT_EQ(send("GET", "/internal/spool/" + mine).status, 404);

  service_->on_status(uploaded);  // redelivered: nothing left, nothing breaks
  EXPECT_TRUE(spool_entries(spool_dir()).empty());
}

// Dead-lettered means the bytes never reached S3 and the job waits in the DLQ for a replay,
// whose claim check points at this spool: the file must stay (DESIGN: "until the status says
// `uploaded` the spool keeps it").
TEST_F(IngestServiceTest, DeadLetteredUploadKeepsItsSpoolFiles) {
  start();
  const std::string id = accept("stuck.txt", "bytes");
  StatusEvent dead;
  dead.upload_id = id;
  dead.state = UploadState::kDeadLettered;
  dead.stage = "upload";
  dead.ingest_id = std::string(kIngestId);
  service_->on_status(dead);
  EXPECT_EQ(spool_entries(spool_dir()),
            (std::set<std::string>{id + ".data", id + ".json", id + ".published"}));
}

TEST_F(IngestServiceTest, RecoverKeepsFilesOfDeadLetteredUploads) {
  start();
  const std::string id = new_id();
  write_spooled(id, "never stored", SpoolState::kPublished);
  StatusEvent dead;
  dead.upload_id = id;
  dead.state = UploadState::kDeadLettered;
  dead.stage = "upload";
  dead.ingest_id = std::string(kIngestId);
  view_.apply(dead);
  ASSERT_TRUE(service_->recover().has_value());
  EXPECT_EQ(spool_entries(spool_dir()), (std::set<std::string>{id + ".data", id + ".json"}));
}

TEST_F(IngestServiceTest, UploadedStatusNamingAnotherIngestKeepsTheFiles) {
  start();
  const std::string id = accept("theirs.txt", "bytes");
  StatusEvent uploaded;
  uploaded.upload_id = id;
  uploaded.state = UploadState::kUploaded;
  uploaded.ingest_id = "ingest-1";
  service_->on_status(uploaded);
  EXPECT_EQ(spool_entries(spool_dir()),
            (std::set<std::string>{id + ".data", id + ".json", id + ".published"}));
}

}  // namespace
}  // namespace upfleet::testing
