#include <gtest/gtest.h>

#include "common/http/url.h"

namespace upfleet::http {
namespace {

TEST(Url, ParsesHostPortAndPath) {
  auto url = parse_url("HTTP://LocalHost:9000/prefix/");
  ASSERT_TRUE(url.has_value()) << url.error().message;
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "localhost");
  EXPECT_EQ(url->port, 9000);
  EXPECT_EQ(url->path, "/prefix");
  EXPECT_EQ(url->authority(), "localhost:9000");
  EXPECT_EQ(url->origin(), "http://localhost:9000");
}

TEST(Url, DefaultPortsAreLeftOutOfTheAuthority) {
  EXPECT_EQ(parse_url("https://s3.amazonaws.com:443")->authority(), "s3.amazonaws.com");
  EXPECT_EQ(parse_url("http://s3.amazonaws.com:80")->authority(), "s3.amazonaws.com");
  EXPECT_EQ(parse_url("https://s3.amazonaws.com:80")->authority(), "s3.amazonaws.com:80");
  EXPECT_EQ(parse_url("https://s3.amazonaws.com")->authority(), "s3.amazonaws.com");
}

TEST(Url, Ipv6Literals) {
  auto url = parse_url("http://[::1]:9000");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->host, "[::1]");
  EXPECT_EQ(url->authority(), "[::1]:9000");
  EXPECT_EQ(parse_url("http://[::1]")->authority(), "[::1]");
}

TEST(Url, RejectsWhatCannotBeAnEndpoint) {
  for (const char* bad : {"", "localhost:9000", "ftp://host", "http://", "http://:80",
                          "http://host:0", "http://host:65536", "http://host:9x",
                          "http://user:pw@host", "http://host/?q=1", "http://[::1"}) {
    auto url = parse_url(bad);
    EXPECT_FALSE(url.has_value()) << bad;
    if (!url) {
      EXPECT_EQ(url.error().code, ErrorCode::kInvalidArgument) << bad;
    }
  }
}

}  // namespace
}  // namespace upfleet::http
