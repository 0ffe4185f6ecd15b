// validate_object_key and percent_decode: the guard in front of every S3 key and shared-volume
// path that comes from a client.
#include "common/object_key.h"

#include <gtest/gtest.h>

#include <string>

namespace upfleet {
namespace {

using namespace std::string_literals;

void expect_rejected(std::string_view key, std::string_view why) {
  auto status = validate_object_key(key);
  ASSERT_FALSE(status.has_value()) << "accepted: " << ::testing::PrintToString(std::string(key));
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(status.error().retryable);
  EXPECT_NE(status.error().message.find(why), std::string::npos)
      << "key " << ::testing::PrintToString(std::string(key)) << ": " << status.error().message;
}

TEST(ValidateObjectKey, AcceptsOrdinaryKeys) {
  for (std::string_view key :
       {"a", "photo.jpg", "dir/sub/file.txt", "with space.txt", "a+b=c&d", "name.with..dots",
        ".hidden", "..rc", "a/.b/c", "x/..y", "~tilde/under_score-dash", "100%"}) {
    EXPECT_TRUE(validate_object_key(key).has_value()) << key;
  }
}

TEST(ValidateObjectKey, AcceptsUtf8) {
  EXPECT_TRUE(validate_object_key("café/naïve.txt").has_value());
  EXPECT_TRUE(validate_object_key("日本語/ファイル.png").has_value());
  EXPECT_TRUE(validate_object_key("emoji-\xF0\x9F\x98\x80.txt").has_value());  // U+1F600
  EXPECT_TRUE(validate_object_key("\xF4\x8F\xBF\xBF").has_value());            // U+10FFFF
  EXPECT_TRUE(validate_object_key("\xEF\xBF\xBD").has_value());                // U+FFFD
}

TEST(ValidateObjectKey, LengthLimitIs1024Bytes) {
  EXPECT_TRUE(validate_object_key(std::string(1024, 'k')).has_value());
  expect_rejected(std::string(1025, 'k'), "1025 bytes; the limit is 1024");
  // The limit counts bytes, not characters: 342 three-byte characters are 1026 bytes.
  std::string wide;
  for (int i = 0; i < 342; ++i) wide += "\xE2\x82\xAC";  // U+20AC
  expect_rejected(wide, "the limit is 1024");
}

TEST(ValidateObjectKey, RejectsEmpty) {
  expect_rejected("", "key is empty");
}

TEST(ValidateObjectKey, RejectsLeadingSlash) {
  expect_rejected("/etc/passwd", "must not start with '/'");
  expect_rejected("/", "must not start with '/'");
}

TEST(ValidateObjectKey, RejectsDotSegments) {
  expect_rejected("..", "'.' or '..' segments");
  expect_rejected(".", "'.' or '..' segments");
  expect_rejected("../etc/passwd", "'.' or '..' segments");
  expect_rejected("a/../b", "'.' or '..' segments");
  expect_rejected("a/..", "'.' or '..' segments");
  expect_rejected("a/./b", "'.' or '..' segments");
  expect_rejected("./a", "'.' or '..' segments");
}

TEST(ValidateObjectKey, RejectsEmptySegments) {
  expect_rejected("a//b", "empty segments");
  expect_rejected("a/", "empty segments");
  expect_rejected("a/b/", "empty segments");
}

TEST(ValidateObjectKey, RejectsNulAndControlBytes) {
  expect_rejected("a\0b"s, "control byte at offset 1");
  expect_rejected("\0"s, "control byte at offset 0");
  expect_rejected("line\nbreak", "control byte at offset 4");
  expect_rejected("tab\there", "control byte at offset 3");
  expect_rejected("cr\r", "control byte at offset 2");
  expect_rejected("esc\x1b[31m", "control byte at offset 3");
  expect_rejected("del\x7f", "control byte at offset 3");
}

TEST(ValidateObjectKey, RejectsBackslash) {
  expect_rejected("a\\b", "'\\'");
  expect_rejected("..\\..\\windows", "'\\'");
}

TEST(ValidateObjectKey, RejectsInvalidUtf8) {
  expect_rejected("bad\xFF", "not valid UTF-8 at offset 3");
  expect_rejected("\x80start", "not valid UTF-8 at offset 0");      // lone continuation
  expect_rejected("trunc\xE2\x82", "not valid UTF-8 at offset 5");  // cut-off sequence
  expect_rejected("x\xC3(", "not valid UTF-8 at offset 1");         // bad continuation
  expect_rejected("\xF8\x88\x80\x80\x80", "not valid UTF-8");       // 5-byte form
  expect_rejected("\xF4\x90\x80\x80", "not valid UTF-8");           // above U+10FFFF
}

TEST(ValidateObjectKey, RejectsOverlongEncodings) {
  expect_rejected("\xC0\xAF", "not valid UTF-8");                  // '/' in two bytes
  expect_rejected("\xC1\xBF", "not valid UTF-8");                  // U+007F in two bytes
  expect_rejected("\xE0\x80\xAE\xE0\x80\xAE", "not valid UTF-8");  // ".." in three bytes
  expect_rejected("\xF0\x80\x80\xAF", "not valid UTF-8");          // '/' in four bytes
  expect_rejected(
      "a\xC0\x80"
      "b",
      "not valid UTF-8");  // "modified UTF-8" NUL
}

TEST(ValidateObjectKey, RejectsSurrogates) {
  expect_rejected("\xED\xA0\x80", "not valid UTF-8");            // U+D800
  expect_rejected("\xED\xBF\xBF", "not valid UTF-8");            // U+DFFF
  EXPECT_TRUE(validate_object_key("\xED\x9F\xBF").has_value());  // U+D7FF is fine
}

TEST(PercentDecode, DecodesEscapesInEitherCase) {
  EXPECT_EQ(percent_decode("plain/key.txt"), "plain/key.txt");
  EXPECT_EQ(percent_decode("with%20space"), "with space");
  EXPECT_EQ(percent_decode("%E6%97%A5%e6%9c%ac"), "日本");
  EXPECT_EQ(percent_decode("100%25"), "100%");
  EXPECT_EQ(percent_decode("a%2Fb"), "a/b");
  EXPECT_EQ(percent_decode(""), "");
}

TEST(PercentDecode, LeavesPlusAlone) {
  EXPECT_EQ(percent_decode("a+b"), "a+b");
}

TEST(PercentDecode, EncodedTraversalIsCaughtAfterDecoding) {
  auto decoded = percent_decode("%2e%2e/secret");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, "../secret");
  EXPECT_FALSE(validate_object_key(*decoded).has_value());

  auto nul = percent_decode("a%00b");
  ASSERT_TRUE(nul.has_value());
  EXPECT_EQ(*nul, "a\0b"s);
  EXPECT_FALSE(validate_object_key(*nul).has_value());
}

TEST(PercentDecode, RejectsTruncatedEscapes) {
  for (std::string_view text : {"%", "%2", "abc%", "abc%4", "%4"}) {
    auto decoded = percent_decode(text);
    ASSERT_FALSE(decoded.has_value()) << text;
    EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(decoded.error().message.find("truncated"), std::string::npos) << text;
  }
}

TEST(PercentDecode, RejectsNonHexEscapes) {
  for (std::string_view text : {"%zz", "%g0", "%0g", "a%-1b", "%%41"}) {
    auto decoded = percent_decode(text);
    ASSERT_FALSE(decoded.has_value()) << text;
    EXPECT_NE(decoded.error().message.find("malformed"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace upfleet
