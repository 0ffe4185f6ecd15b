#include "common/s3/s3_endpoint.h"

#include <gtest/gtest.h>

namespace upfleet::s3 {
namespace {

TEST(S3Endpoint, PathStyleWithPrefixQueryAndBucketLevelTargets) {
  auto endpoint = S3Endpoint::parse("http://minio.local:9000/s3/", true);
  ASSERT_TRUE(endpoint.has_value());
  const S3Target object =
      endpoint->target("b", "x/y z", {{"uploadId", "a/b"}, {"partNumber", "1"}});
  EXPECT_EQ(object.host, "minio.local:9000");
  EXPECT_EQ(object.path, "/s3/b/x/y%20z");
  EXPECT_EQ(object.url, "http://minio.local:9000/s3/b/x/y%20z?partNumber=1&uploadId=a%2Fb");
  EXPECT_EQ(endpoint->target("b", "").url, "http://minio.local:9000/s3/b");
  EXPECT_EQ(endpoint->target("", "").path, "/s3");
}

TEST(S3Endpoint, VirtualHostedTargets) {
  auto endpoint = S3Endpoint::parse("https://s3.us-west-2.amazonaws.com", false);
  ASSERT_TRUE(endpoint.has_value());
  const S3Target object = endpoint->target("bucket-1", "k");
  EXPECT_EQ(object.host, "bucket-1.s3.us-west-2.amazonaws.com");
  EXPECT_EQ(object.path, "/k");
  const S3Target bucket = endpoint->target("bucket-1", "", {{"uploads", ""}});
  EXPECT_EQ(bucket.url, "https://bucket-1.s3.us-west-2.amazonaws.com/?uploads=");
  // Not a DNS label: path style.
  EXPECT_EQ(endpoint->target("Bucket_1", "k").url, "https://s3.us-west-2.amazonaws.com/Bucket_1/k");
}

TEST(S3Endpoint, VirtualHostCompatibility) {
  EXPECT_TRUE(is_virtual_host_compatible("my-bucket", true));
  EXPECT_TRUE(is_virtual_host_compatible("my.bucket", false));
  EXPECT_FALSE(is_virtual_host_compatible("my.bucket", true));
  EXPECT_FALSE(is_virtual_host_compatible("ab", false));
  EXPECT_FALSE(is_virtual_host_compatible("-bucket", false));
  EXPECT_FALSE(is_virtual_host_compatible("bucket-", false));
  EXPECT_FALSE(is_virtual_host_compatible("a..b", false));
  EXPECT_FALSE(is_virtual_host_compatible("UPPER", false));
  EXPECT_FALSE(is_virtual_host_compatible(std::string(64, 'a'), false));
}

TEST(S3Endpoint, BadEndpointNamesTheKey) {
  auto endpoint = S3Endpoint::parse("s3.amazonaws.com", false);
  ASSERT_FALSE(endpoint.has_value());
  EXPECT_TRUE(endpoint.error().message.starts_with("s3.endpoint: "));
}

}  // namespace
}  // namespace upfleet::s3
