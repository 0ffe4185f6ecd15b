// SigV4 for the multipart requests: canonical query strings (sorting, empty values, encoded
// upload ids) and that S3Client signs exactly the path, query and headers it sends.
#include <gtest/gtest.h>

#include "common/crypto/sha256.h"
#include "common/s3/s3_client.h"
#include "common/s3/sigv4_canonical.h"
#include "common/s3/sigv4_signer.h"
#include "common/s3/uri_encode.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_http_byte_source.h"
#include "tests/fakes/fake_http_transport.h"

namespace upfleet::s3 {
namespace {

using testing::FakeClock;
using testing::RecordedRequest;

constexpr std::string_view kDate = "20260102T030405Z";  // FakeClock's default start

SigV4Signer test_signer() {
  return SigV4Signer({"AKID", "SECRET", ""}, SigV4Options::for_s3("us-east-1"));
}

SigningDetails sign(std::string_view method, std::string_view path, QueryParams query,
                    std::string_view payload_hash) {
  SigningInput input;
  input.method = method;
  input.path = path;
  input.query = std::move(query);
  input.headers = {{"host", "s3.test"}};
  input.payload_hash = payload_hash;
  return test_signer().sign_headers(input, FakeClock::kDefaultStart).details;
}

std::string expected_canonical(std::string_view method, std::string_view query,
                               std::string_view payload_hash) {
  return std::string(method) + "\n/bucket/key\n" + std::string(query) +
         "\nhost:s3.test\nx-amz-content-sha256:" + std::string(payload_hash) +
         "\nx-amz-date:" + std::string(kDate) + "\n\nhost;x-amz-content-sha256;x-amz-date\n" +
         std::string(payload_hash);
}

TEST(SigV4MultipartTest, UploadPartSortsTheQueryAndEncodesTheUploadId) {
  // Given out of order, as a caller might build it.
  const auto details =
      sign("PUT", "/bucket/key", {{"uploadId", "abc/def"}, {"partNumber", "1"}}, kUnsignedPayload);
  EXPECT_EQ(details.canonical_request,
            expected_canonical("PUT", "partNumber=1&uploadId=abc%2Fdef", kUnsignedPayload));
  EXPECT_EQ(details.string_to_sign, "AWS4-HMAC-SHA256\n" + std::string(kDate) +
                                        "\n20260102/us-east-1/s3/aws4_request\n" +
                                        crypto::sha256_hex(details.canonical_request));
  EXPECT_EQ(details.signed_headers, "host;x-amz-content-sha256;x-amz-date");
  EXPECT_EQ(details.signature.size(), 64u);
}

TEST(SigV4MultipartTest, CreateSignsTheEmptyUploadsParameterWithAnEqualsSign) {
  const auto details = sign("POST", "/bucket/key", {{"uploads", ""}}, crypto::kEmptySha256Hex);
  EXPECT_EQ(details.canonical_request,
            expected_canonical("POST", "uploads=", crypto::kEmptySha256Hex));
}

TEST(SigV4MultipartTest, CompleteSignsTheUploadIdAndTheBodyHash) {
  const std::string body_hash = crypto::sha256_hex("<CompleteMultipartUpload/>");
  const auto details = sign("POST", "/bucket/key", {{"uploadId", "abc/def"}}, body_hash);
  EXPECT_EQ(details.canonical_request, expected_canonical("POST", "uploadId=abc%2Fdef", body_hash));
}

TEST(SigV4MultipartTest, DifferentUploadIdsSignDifferently) {
  const auto a =
      sign("PUT", "/bucket/key", {{"partNumber", "1"}, {"uploadId", "abc/def"}}, kUnsignedPayload);
  const auto b = sign("PUT", "/bucket/key", {{"partNumber", "1"}, {"uploadId", "abc%2Fdef"}},
                      kUnsignedPayload);
  const auto c =
      sign("PUT", "/bucket/key", {{"partNumber", "2"}, {"uploadId", "abc/def"}}, kUnsignedPayload);
  EXPECT_NE(a.signature, b.signature) << "an id is encoded once, not taken as already encoded";
  EXPECT_NE(a.signature, c.signature);
}

TEST(SigV4MultipartTest, CanonicalQuerySortsByEncodedNameThenValue) {
  EXPECT_EQ(canonical_query_string(
                {{"uploadId", "x y"}, {"part-number-marker", "3"}, {"max-parts", "1000"}}),
            "max-parts=1000&part-number-marker=3&uploadId=x%20y");
  // Upper case sorts before lower case (byte order); equal names sort by value.
  EXPECT_EQ(canonical_query_string({{"b", "2"}, {"a", "1"}, {"A", "0"}, {"a", "0"}}),
            "A=0&a=0&a=1&b=2");
  EXPECT_EQ(canonical_query_string({{"uploadId", "a+b=c~_-./\xC3\xBC"}}),
            "uploadId=a%2Bb%3Dc~_-.%2F%C3%BC");
}

// What went over the wire, split into the parts SigV4 signs.
struct WireRequest {
  std::string path;
  std::string raw_query;
  QueryParams query;  // decoded
};

WireRequest split(const RecordedRequest& request) {
  WireRequest out;
  const std::string target = request.target();
  const size_t question = target.find('?');
  out.path = target.substr(0, question);
  if (question == std::string::npos) return out;
  out.raw_query = target.substr(question + 1);
  for (size_t start = 0; start <= out.raw_query.size();) {
    size_t end = out.raw_query.find('&', start);
    if (end == std::string::npos) end = out.raw_query.size();
    const std::string pair = out.raw_query.substr(start, end - start);
    const size_t eq = pair.find('=');
    out.query.emplace_back(
        uri_decode(pair.substr(0, eq)).value_or("<bad>"),
        uri_decode(eq == std::string::npos ? "" : pair.substr(eq + 1)).value_or("<bad>"));
    start = end + 1;
  }
  return out;
}

// Recomputes the signature from the request as sent: any difference between what the client
// signed and what it sent (query order, encoding, a header added late) changes it.
void expect_signed_as_sent(const RecordedRequest& request) {
  SCOPED_TRACE(request.method + " " + request.url);
  const WireRequest wire = split(request);
  EXPECT_EQ(wire.raw_query, canonical_query_string(wire.query)) << "query not sent canonically";
  SigningInput input;
  input.method = request.method;
  input.path = wire.path;
  input.query = wire.query;
  for (const auto& header : request.headers) {
    const std::string name = to_lower_ascii(header.first);
    if (name != "authorization" && name != "x-amz-date" && name != "x-amz-content-sha256") {
      input.headers.push_back(header);
    }
  }
  const std::string payload_hash = request.header("x-amz-content-sha256");
  input.payload_hash = payload_hash;
  if (payload_hash != kUnsignedPayload) {
    EXPECT_EQ(payload_hash, crypto::sha256_hex(request.body));
  }
  const auto signature = test_signer().sign_headers(input, FakeClock::kDefaultStart);
  EXPECT_EQ(request.header("x-amz-date"), kDate);
  ASSERT_EQ(signature.headers.back().first, "authorization");
  EXPECT_EQ(request.header("authorization"), signature.headers.back().second);
}

class S3ClientSigningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    S3Config config;
    config.endpoint = "http://s3.test";
    config.access_key_id = "AKID";
    config.secret_access_key = "SECRET";
    config.path_style = true;
    client_ = std::move(S3Client::create(config, transport_, clock_).value());
  }

  static constexpr const char* kKey = "dir/my file+\xC3\xBC.bin";
  static constexpr const char* kUploadId = "abc/def+g=h~";
  testing::FakeHttpTransport transport_;
  FakeClock clock_;
  std::unique_ptr<S3Client> client_;
};

TEST_F(S3ClientSigningTest, UploadPartSignsTheQueryItSends) {
  testing::StringByteSource body("part bytes");
  transport_.enqueue(200, "", {{"ETag", "\"e\""}});
  UploadPartRequest request{"bkt", kKey, kUploadId, 7, {&body, 0, 10, "md5==", ""}, {}};
  ASSERT_TRUE(client_->upload_part(request).has_value());
  const auto sent = transport_.last_request();
  EXPECT_EQ(sent.target(),
            "/bkt/dir/my%20file%2B%C3%BC.bin?partNumber=7&uploadId=abc%2Fdef%2Bg%3Dh~");
  EXPECT_NE(sent.header("authorization").find("content-md5;host;"), std::string::npos)
      << "Content-MD5 must be signed: " << sent.header("authorization");
  expect_signed_as_sent(sent);
}

TEST_F(S3ClientSigningTest, CreateCompleteAbortSignWhatTheySend) {
  transport_.enqueue(200, "<InitiateMultipartUploadResult><UploadId>" + std::string(kUploadId) +
                              "</UploadId></InitiateMultipartUploadResult>");
  ASSERT_TRUE(
      client_->create_multipart_upload({"bkt", kKey, "video/mp4", {{"a", "1"}}}).has_value());
  EXPECT_EQ(transport_.last_request().target(), "/bkt/dir/my%20file%2B%C3%BC.bin?uploads=");
  expect_signed_as_sent(transport_.last_request());

  transport_.enqueue(200,
                     "<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag>"
                     "</CompleteMultipartUploadResult>");
  const CompletedPart parts[] = {{1, "e1"}, {2, "e2"}};
  ASSERT_TRUE(client_->complete_multipart_upload("bkt", kKey, kUploadId, parts).has_value());
  EXPECT_EQ(transport_.last_request().target(),
            "/bkt/dir/my%20file%2B%C3%BC.bin?uploadId=abc%2Fdef%2Bg%3Dh~");
  expect_signed_as_sent(transport_.last_request());

  transport_.enqueue(204);
  ASSERT_TRUE(client_->abort_multipart_upload("bkt", kKey, kUploadId).has_value());
  expect_signed_as_sent(transport_.last_request());
}

TEST_F(S3ClientSigningTest, ListPartsPagesSignTheirMarkers) {
  transport_.enqueue(200,
                     "<ListPartsResult><IsTruncated>true</IsTruncated>"
                     "<NextPartNumberMarker>1</NextPartNumberMarker><Part><PartNumber>1"
                     "</PartNumber><ETag>\"e\"</ETag><Size>5</Size></Part></ListPartsResult>");
  transport_.enqueue(200, "<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>");
  ASSERT_TRUE(client_->list_parts("bkt", kKey, kUploadId).has_value());
  const auto sent = transport_.requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(split(sent[1]).raw_query,
            "max-parts=1000&part-number-marker=1&uploadId=abc%2Fdef%2Bg%3Dh~");
  for (const auto& request : sent) expect_signed_as_sent(request);
}

TEST_F(S3ClientSigningTest, ListMultipartUploadsSignsTheEncodedPrefix) {
  transport_.enqueue(200,
                     "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
                     "</ListMultipartUploadsResult>");
  ASSERT_TRUE(client_->list_multipart_uploads("bkt", "a b/+").has_value());
  EXPECT_EQ(transport_.last_request().target(), "/bkt?prefix=a%20b%2F%2B&uploads=");
  expect_signed_as_sent(transport_.last_request());
}

}  // namespace
}  // namespace upfleet::s3
