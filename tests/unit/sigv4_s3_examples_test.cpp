// The worked examples from the Amazon S3 API reference ("Signature Calculations for the
// Authorization Header" and "Authenticating Requests: Using Query Parameters"): S3 mode,
// with x-amz-content-sha256, UNSIGNED-PAYLOAD presigning and a '$' in the key.
#include <gtest/gtest.h>

#include <chrono>

#include "common/crypto/sha256.h"
#include "common/s3/sigv4_signer.h"
#include "common/s3/uri_encode.h"

namespace upfleet::s3 {
namespace {

using namespace std::chrono;

const system_clock::time_point kExampleTime = sys_days{2013y / May / 24};

SigV4Signer example_signer() {
  return SigV4Signer({"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""},
                     SigV4Options::for_s3("us-east-1"));
}

std::string signature_in(const HeaderSignature& signature) {
  for (const auto& [name, value] : signature.headers) {
    if (name == "authorization") return value.substr(value.rfind('=') + 1);
  }
  return {};
}

TEST(SigV4S3Examples, GetObjectWithRange) {
  SigningInput input{"GET",
                     "/test.txt",
                     {},
                     {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}},
                     crypto::kEmptySha256Hex};
  const auto signature = example_signer().sign_headers(input, kExampleTime);
  EXPECT_EQ(signature.details.signature,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(signature.headers.back().second,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4S3Examples, PutObjectWithSpecialCharacterInKey) {
  const std::string payload_hash = crypto::sha256_hex("Welcome to Amazon S3.");
  const std::string path = "/" + uri_encode_path("test$file.text");
  SigningInput input{"PUT",
                     path,
                     {},
                     {{"Host", "examplebucket.s3.amazonaws.com"},
                      {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                      {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                     payload_hash};
  const auto signature = example_signer().sign_headers(input, kExampleTime);
  EXPECT_EQ(path, "/test%24file.text");
  EXPECT_EQ(signature_in(signature),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4S3Examples, GetBucketLifecycleWithValuelessParameter) {
  SigningInput input{"GET",
                     "/",
                     {{"lifecycle", ""}},
                     {{"Host", "examplebucket.s3.amazonaws.com"}},
                     crypto::kEmptySha256Hex};
  EXPECT_EQ(signature_in(example_signer().sign_headers(input, kExampleTime)),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4S3Examples, ListObjectsWithSortedQuery) {
  SigningInput input{"GET",
                     "/",
                     {{"prefix", "J"}, {"max-keys", "2"}},
                     {{"Host", "examplebucket.s3.amazonaws.com"}},
                     crypto::kEmptySha256Hex};
  EXPECT_EQ(signature_in(example_signer().sign_headers(input, kExampleTime)),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4S3Examples, PresignedGet) {
  SigningInput input{
      "GET", "/test.txt", {}, {{"Host", "examplebucket.s3.amazonaws.com"}}, kUnsignedPayload};
  const auto signature = example_signer().presign(input, kExampleTime, hours(24));
  EXPECT_EQ(signature.details.signature,
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_EQ(canonical_query_string(signature.params),
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%"
            "2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-"
            "Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404&X-"
            "Amz-SignedHeaders=host");
}

TEST(SigV4S3Examples, SessionTokenIsSignedAsHeader) {
  SigV4Signer signer({"AKID", "secret", "token/with+slash"}, SigV4Options::for_s3("eu-west-1"));
  SigningInput input{"GET", "/b/k", {}, {{"host", "h"}}, kUnsignedPayload};
  const auto signature = signer.sign_headers(input, kExampleTime);
  EXPECT_NE(signature.details.canonical_request.find("x-amz-security-token:token/with+slash\n"),
            std::string::npos);
  EXPECT_NE(signature.headers.back().second.find(
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token"),
            std::string::npos);
}

TEST(SigV4S3Examples, AmzDateFormat) {
  EXPECT_EQ(
      format_amz_date(sys_days{2015y / August / 30} + hours(12) + minutes(36) + milliseconds(999)),
      "20150830T123600Z");
  EXPECT_EQ(
      format_amz_date(sys_days{2024y / February / 29} + hours(23) + minutes(59) + seconds(59)),
      "20240229T235959Z");
}

}  // namespace
}  // namespace upfleet::s3
