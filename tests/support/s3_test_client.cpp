#include "tests/support/s3_test_client.h"

namespace upfleet::testing {

std::unique_ptr<s3::S3Client> s3_client(const ServicesEnv& env, http::HttpTransport& transport,
                                        const Clock& clock) {
  s3::S3Config config;
  config.endpoint = env.s3_endpoint;
  config.region = env.s3_region;
  config.access_key_id = env.s3_access_key_id;
  config.secret_access_key = env.s3_secret_access_key;
  config.path_style = env.s3_path_style;
  auto client = s3::S3Client::create(config, transport, clock);
  return client ? std::move(*client) : nullptr;
}

}  // namespace upfleet::testing
