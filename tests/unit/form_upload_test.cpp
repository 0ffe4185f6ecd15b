// POST /v1/files (multipart/form-data) and X-Checksum-Sha256 on both upload endpoints, behind
// a real HttpServer on 127.0.0.1:0 with a DiskSpool on a temp dir and fake publisher / sink.
// Every refusal is checked for its status AND for leaving nothing spooled or published.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/crypto/hex.h"
#include "common/crypto/sha256.h"
#include "tests/unit/ingest_harness.h"

namespace upfleet::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr std::string_view kAdvertiseUrl = "http://ingest-0.ingest.test:8080";
constexpr std::string_view kBoundary = "----upfleet-test-boundary";

std::string sha256_base64(std::string_view data) {
  const auto digest = crypto::sha256(crypto::as_bytes(data));
  return crypto::to_base64(digest);
}

// Builds a multipart/form-data body part by part.
class Form {
 public:
  Form& field(std::string_view name, std::string_view value) {
    body_ += "--" + std::string(kBoundary) + "\r\nContent-Disposition: form-data; name=\"" +
             std::string(name) + "\"\r\n\r\n" + std::string(value) + "\r\n";
    return *this;
  }
  Form& file(std::string_view filename, std::string_view data, std::string_view extra_headers = {},
             std::string_view content_type = "application/octet-stream") {
    body_ += "--" + std::string(kBoundary) +
             "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
             std::string(filename) + "\"\r\nContent-Type: " + std::string(content_type) + "\r\n" +
             std::string(extra_headers) + "\r\n" + std::string(data) + "\r\n";
    return *this;
  }
  std::string done() const { return body_ + "--" + std::string(kBoundary) + "--\r\n"; }
  std::string unfinished() const { return body_; }

 private:
  std::string body_;
};

class FormUploadTest : public IngestHarness {
 protected:
  void start(const ServiceTweak& tweak = {}) {
    IngestHarness::start([&](IngestOptions& options) {
      options.advertise_url = std::string(kAdvertiseUrl);
      options.max_body_bytes = 64 * 1024;
      if (tweak) tweak(options);
    });
  }

  http::HttpResponse post_form(std::string_view body, http::Headers headers = {}) {
    headers.emplace_back("Content-Type",
                         "multipart/form-data; boundary=\"" + std::string(kBoundary) + "\"");
    return send("POST", "/v1/files", body, std::move(headers));
  }

  static std::string error_code_of(const std::string& body) {
    const json doc = json::parse(body, nullptr, false);
    if (!doc.is_object() || !doc.contains("error")) return "<no error object: " + body + ">";
    return doc.at("error").value("code", "");
  }

  void expect_nothing_spooled_or_published() {
    IngestHarness::expect_nothing_spooled_or_published();
    EXPECT_EQ(spool_->usage().bytes, 0u);
  }

  // Posts `body` and expects a refusal with `status` and `code` that keeps nothing.
  void expect_refused(std::string_view body, unsigned status, std::string_view code) {
    const auto response = post_form(body);
    EXPECT_EQ(response.status, status) << response.body;
    EXPECT_EQ(error_code_of(response.body), code) << response.body;
    expect_nothing_spooled_or_published();
  }
};

TEST_F(FormUploadTest, SeveralFilesBecomeSeveralJobsAnd202) {
  start();
  const std::string cat = "meow meow";
  const std::string dog(5000, 'w');
  const std::string body =
      Form()
          .field("prefix", "batch/7/")
          .file("cat.jpg", cat, "X-Checksum-Sha256: " + crypto::sha256_hex(cat) + "\r\n",
                "image/jpeg")
          .file("sub/dog.bin", dog, "x-checksum-sha256: " + sha256_base64(dog) + "\r\n")
          .file("empty.txt", "", "", "text/plain")
          .done();

  const auto response = post_form(body);

  ASSERT_EQ(response.status, 202) << response.body;
  const json uploads = json::parse(response.body).at("uploads");
  ASSERT_EQ(uploads.size(), 3u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"batch/7/cat.jpg", cat}, {"batch/7/sub/dog.bin", dog}, {"batch/7/empty.txt", ""}};
  const auto jobs = jobs_.jobs();
  ASSERT_EQ(jobs.size(), 3u);
  std::set<std::string> spooled;
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& [key, data] = expected[i];
    const json& upload = uploads[i];
    const std::string id = upload.at("upload_id");
    EXPECT_TRUE(is_valid_upload_id(id));
    EXPECT_EQ(upload.at("key"), key);
    EXPECT_EQ(upload.at("size"), data.size());
    EXPECT_EQ(upload.at("sha256"), crypto::sha256_hex(data));
    EXPECT_EQ(upload.at("status_url"), std::string(kAdvertiseUrl) + "/v1/uploads/" + id);
    EXPECT_EQ(jobs[i].key, key);
    EXPECT_EQ(jobs[i].upload_id, id);
    EXPECT_EQ(jobs[i].source.size, data.size());
    EXPECT_EQ(read_file(spool_dir() / (id + ".data")), data);
    spooled.insert(id + ".data");
    spooled.insert(id + ".json");
    spooled.insert(id + ".published");
  }
  EXPECT_EQ(jobs[0].source.content_type, "image/jpeg");
  EXPECT_EQ(jobs[1].source.content_type, "application/octet-stream");
  EXPECT_EQ(spool_entries(spool_dir()), spooled);
  EXPECT_EQ(metrics_.uploads_accepted.Value(), 3);
}

TEST_F(FormUploadTest, FilenamesAreUsedLiterallyWithoutPrefix) {
  start();
  const auto response = post_form(
      Form().file("%2e%2e", "a").file("dir/%2E%2e/x.txt", "b").file("caf\xC3\xA9", "c").done());
  ASSERT_EQ(response.status, 202) << response.body;
  const auto jobs = jobs_.jobs();
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0].key, "%2e%2e");
  EXPECT_EQ(jobs[1].key, "dir/%2E%2e/x.txt");
  EXPECT_EQ(jobs[2].key, "caf\xC3\xA9");
}

TEST_F(FormUploadTest, AnEmptyFileInputIsSkipped) {
  start();
  // Browsers send filename="" with an empty body for a file input left empty.
  const auto response = post_form(Form().file("", "").file("real.txt", "data").done());
  ASSERT_EQ(response.status, 202) << response.body;
  ASSERT_EQ(jobs_.jobs().size(), 1u);
  EXPECT_EQ(jobs_.jobs()[0].key, "real.txt");
}

TEST_F(FormUploadTest, PrefixAfterAFileIs400AndNothingIsKept) {
  start();
  const auto response =
      post_form(Form().file("a.txt", "aaa").field("prefix", "late/").file("b.txt", "b").done());
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(error_code_of(response.body), "prefix_after_file");
  EXPECT_NE(response.body.find("before the first file"), std::string::npos) << response.body;
  expect_nothing_spooled_or_published();
}

TEST_F(FormUploadTest, BadFilenamesAre400AndNothingIsSpooled) {
  start();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"../x", "invalid_key"},
      {"a/../b", "invalid_key"},
      {"..", "invalid_key"},
      {"/abs/path", "invalid_key"},
      {"a\x01z", "invalid_key"},
      {"a\x7fz", "invalid_key"},
      {"C:\\x\\y", "invalid_key"},
      {"a//b", "invalid_key"},
      {"dir/", "invalid_key"},
      {"\xC0\xAF", "invalid_key"},
      {std::string(1025, 'k'), "invalid_key"},
      {std::string("a\0b", 3), "bad_form"},
  };
  for (const auto& [filename, code] : cases) {
    SCOPED_TRACE(::testing::PrintToString(filename));
    // A valid file first: it is spooled, then removed with the rest of the request.
    expect_refused(Form().file("good.txt", std::string(3000, 'g')).file(filename, "x").done(), 400,
                   code);
  }
}

TEST_F(FormUploadTest, BadPrefixesAre400AndNothingIsSpooled) {
  start();
  for (const std::string& prefix :
       std::vector<std::string>{"../", "/root/", "a//", "a/./", std::string(1100, 'p')}) {
    SCOPED_TRACE(prefix.substr(0, 10));
    expect_refused(Form().field("prefix", prefix).file("f.txt", "x").done(), 400, "invalid_prefix");
  }
  // A prefix without a trailing slash is joined as it is: "pre" + "../x" has no ".." segment.
  // A prefix that only becomes bad with the filename is caught on the joined key.
  expect_refused(Form().field("prefix", "a/.").file("./x", "x").done(), 400, "invalid_key");
  expect_refused(Form().field("prefix", "a/").field("prefix", "b/").file("x", "x").done(), 400,
                 "invalid_prefix");
}

TEST_F(FormUploadTest, ChecksumMismatchIs400AndNothingIsKept) {
  start();
  const std::string wrong = crypto::sha256_hex("something else");
  const auto response = post_form(
      Form()
          .file("ok.txt", "fine", "X-Checksum-Sha256: " + crypto::sha256_hex("fine") + "\r\n")
          .file("bad.txt", "actual bytes", "X-Checksum-Sha256: " + wrong + "\r\n")
          .done());
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(error_code_of(response.body), "checksum_mismatch");
  EXPECT_NE(response.body.find(wrong), std::string::npos) << response.body;
  expect_nothing_spooled_or_published();

  expect_refused(Form().file("a.txt", "x", "X-Checksum-Sha256: not-a-digest\r\n").done(), 400,
                 "invalid_checksum");
}

TEST_F(FormUploadTest, MalformedFormsAre400AndNothingIsKept) {
  start();
  // The closing boundary is missing: the body ended early.
  expect_refused(Form().file("a.txt", "aaaa").unfinished(), 400, "bad_form");
  // Bare-LF line endings.
  expect_refused("--" + std::string(kBoundary) +
                     "\nContent-Disposition: form-data; name=f; filename=a\n\nx\n--" +
                     std::string(kBoundary) + "--\n",
                 400, "bad_form");
  // Only a prefix: no file at all.
  expect_refused(Form().field("prefix", "p/").done(), 400, "no_files");
  expect_refused(Form().done(), 400, "no_files");
  // A field that is not `prefix` (here a likely typo) is refused, not ignored.
  expect_refused(Form().field("prefx", "p/").file("a", "x").done(), 400, "unknown_field");
  expect_refused(Form().file("same", "1").file("same", "2").done(), 400, "duplicate_key");
  // A file input with an empty name that still carries bytes.
  expect_refused(Form().file("", "bytes").done(), 400, "invalid_key");
}

TEST_F(FormUploadTest, ContentTypeMustBeAFormWithABoundary) {
  start();
  const std::string body = Form().file("a", "x").done();
  auto response = send("POST", "/v1/files", body, {{"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(response.status, 415) << response.body;
  EXPECT_EQ(error_code_of(response.body), "unsupported_media_type");
  response = send("POST", "/v1/files", body, {{"Content-Type", "multipart/form-data"}});
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(error_code_of(response.body), "bad_form");
  response = send("POST", "/v1/files", body,
                  {{"Content-Type", "multipart/form-data; boundary=" + std::string(71, 'b')}});
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_NE(response.body.find("1 to 70"), std::string::npos) << response.body;
  expect_nothing_spooled_or_published();
  EXPECT_EQ(send("GET", "/v1/files", "").status, 405);
}

TEST_F(FormUploadTest, DeclaredLengthAboveTheLimitIs413BeforeReadingTheBody) {
  start([](IngestOptions& options) { options.max_body_bytes = 1000; });
  const RawResponse response =
      raw_exchange(server_->port(),
                   "POST /v1/files HTTP/1.1\r\nHost: test\r\nContent-Type: multipart/form-data; "
                   "boundary=b\r\nContent-Length: 1001\r\n\r\n");
  EXPECT_EQ(response.status, 413) << response.head;
  EXPECT_EQ(error_code_of(response.body), "too_large");
  expect_nothing_spooled_or_published();
}

TEST_F(FormUploadTest, ChunkedFormAboveTheLimitIs413AndLeavesNothing) {
  start([](IngestOptions& options) { options.max_body_bytes = 4000; });
  const std::string body =
      Form().file("one.bin", std::string(3000, '1')).file("two.bin", std::string(3000, '2')).done();
  std::ostringstream request;
  request << "POST /v1/files HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
          << "Content-Type: multipart/form-data; boundary=" << kBoundary
          << "\r\nConnection: close\r\n\r\n";
  for (size_t at = 0; at < body.size(); at += 1000) {
    const std::string chunk = body.substr(at, 1000);
    request << std::hex << chunk.size() << "\r\n" << chunk << "\r\n";
  }
  request << "0\r\n\r\n";
  const RawResponse response = raw_exchange(server_->port(), request.str());
  EXPECT_EQ(response.status, 413) << response.head << response.body;
  EXPECT_EQ(error_code_of(response.body), "too_large");
  expect_nothing_spooled_or_published();
}

TEST_F(FormUploadTest, TokensAreRequiredWhenConfigured) {
  start([](IngestOptions& options) { options.auth_tokens = {"token-one"}; });
  const std::string body = Form().file("a.txt", "x").done();
  const auto missing = post_form(body);
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.header("www-authenticate"), "Bearer");
  EXPECT_EQ(error_code_of(missing.body), "unauthorized");
  EXPECT_EQ(post_form(body, {{"Authorization", "Bearer token-two"}}).status, 401);
  expect_nothing_spooled_or_published();
  EXPECT_EQ(post_form(body, {{"Authorization", "Bearer token-one"}}).status, 202);
  EXPECT_EQ(jobs_.jobs().size(), 1u);
}

TEST_F(FormUploadTest, PublishFailureMidFormAnswers503AndListsTheAcceptedUploads) {
  start();
  jobs_.set_on_publish([this](const Job& job) {
    if (job.key == "second.txt")
      jobs_.fail_next(Error::transient(ErrorCode::kTimeout, "no report"));
  });
  const auto response = post_form(
      Form().file("first.txt", "1").file("second.txt", "2").file("third.txt", "3").done());
  EXPECT_EQ(response.status, 503) << response.body;
  EXPECT_EQ(response.header("retry-after"), "5");
  const json reply = json::parse(response.body);
  EXPECT_EQ(reply.at("error").at("code"), "queue_unavailable");
  ASSERT_EQ(reply.at("uploads").size(), 1u);
  const std::string first_id = reply.at("uploads")[0].at("upload_id");
  EXPECT_EQ(reply.at("uploads")[0].at("key"), "first.txt");
  ASSERT_EQ(jobs_.jobs().size(), 1u);
  EXPECT_EQ(jobs_.jobs()[0].key, "first.txt");
  EXPECT_EQ(jobs_.calls(), 2);  // the third was never tried
  // The accepted upload stays; the refused ones are gone.
  EXPECT_EQ(
      spool_entries(spool_dir()),
      (std::set<std::string>{first_id + ".data", first_id + ".json", first_id + ".published"}));
}

TEST_F(FormUploadTest, PutWithMatchingChecksumIsAccepted) {
  start();
  const std::string body = "checked bytes";
  std::string upper_hex = crypto::sha256_hex(body);
  for (char& c : upper_hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& header : {upper_hex, sha256_base64(body)}) {
    const auto response =
        send("PUT", "/v1/files/checked.txt", body, {{"X-Checksum-Sha256", header}});
    ASSERT_EQ(response.status, 202) << response.body;
    EXPECT_EQ(json::parse(response.body).at("sha256"), crypto::sha256_hex(body));
  }
  EXPECT_EQ(jobs_.jobs().size(), 2u);
}

TEST_F(FormUploadTest, PutWithWrongChecksumIs400AndNothingIsKept) {
  start();
  const auto mismatch = send("PUT", "/v1/files/a.txt", "actual",
                             {{"X-Checksum-Sha256", crypto::sha256_hex("expected")}});
  EXPECT_EQ(mismatch.status, 400) << mismatch.body;
  EXPECT_EQ(error_code_of(mismatch.body), "checksum_mismatch");
  expect_nothing_spooled_or_published();

  const std::string digest = crypto::sha256_hex("actual");
  const std::string base64 = sha256_base64("actual");
  // Wrong length, not hex, base64 without padding, non-canonical base64 (the last character's
  // two unused bits set).
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string non_canonical = base64;
  non_canonical[42] = kAlphabet[kAlphabet.find(non_canonical[42]) ^ 1];
  for (const std::string& header : std::vector<std::string>{
           digest.substr(1), "z" + digest.substr(1), base64.substr(0, 43), non_canonical}) {
    SCOPED_TRACE(header);
    const auto response = send("PUT", "/v1/files/a.txt", "actual", {{"X-Checksum-Sha256", header}});
    EXPECT_EQ(response.status, 400) << response.body;
    EXPECT_EQ(error_code_of(response.body), "invalid_checksum");
  }
  expect_nothing_spooled_or_published();
}

}  // namespace
}  // namespace upfleet::testing
