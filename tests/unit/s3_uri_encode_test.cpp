#include <gtest/gtest.h>

#include "common/s3/uri_encode.h"

namespace upfleet::s3 {
namespace {

TEST(UriEncode, KeepsUnreservedOnly) {
  EXPECT_EQ(uri_encode("AZaz09-._~", false), "AZaz09-._~");
  EXPECT_EQ(uri_encode("!*'();:@&=+$,?#[]%", false),
            "%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%3F%23%5B%5D%25");
}

TEST(UriEncode, SpaceAndPlusAreDistinct) {
  EXPECT_EQ(uri_encode_path("a b+c"), "a%20b%2Bc");
  EXPECT_EQ(uri_encode_query("a b+c"), "a%20b%2Bc");
}

TEST(UriEncode, SlashKeptInPathsEncodedInQueries) {
  EXPECT_EQ(uri_encode_path("photos/2024/a.jpg"), "photos/2024/a.jpg");
  EXPECT_EQ(uri_encode_query("photos/2024/a.jpg"), "photos%2F2024%2Fa.jpg");
}

TEST(UriEncode, Utf8BytesWithUpperCaseHex) {
  EXPECT_EQ(uri_encode_path("f\xc3\xbcr/\xe1\x88\xb4"), "f%C3%BCr/%E1%88%B4");
  EXPECT_EQ(uri_encode_path(std::string("\x00\x7f", 2)), "%00%7F");
}

TEST(UriDecode, DecodesEitherCaseAndKeepsPlus) {
  EXPECT_EQ(uri_decode("a%20b%2bc+d%E1%88%b4"), "a b+c+d\xe1\x88\xb4");
  EXPECT_EQ(uri_decode(uri_encode_query("any thing/+?%")), "any thing/+?%");
}

TEST(UriDecode, RejectsBrokenEscapes) {
  EXPECT_FALSE(uri_decode("%").has_value());
  EXPECT_FALSE(uri_decode("%4").has_value());
  EXPECT_FALSE(uri_decode("abc%").has_value());
  EXPECT_FALSE(uri_decode("%zz").has_value());
}

}  // namespace
}  // namespace upfleet::s3
