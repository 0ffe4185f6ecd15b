#include "tests/support/s3_test_client.h"

namespace upfleet::testing {

s3::S3Config s3_config(const ServicesEnv& env) {
  s3::S3Config config;
  config.endpoint = env.s3_endpoint;
  config.region = env.s3_region;
  config.access_key_id = env.s3_access_key_id;
  config.secret_access_key = env.s3_secret_access_key;
  config.path_style = env.s3_path_style;
  return config;
}

Result<std::unique_ptr<s3::S3Client>> create_s3_client(const ServicesEnv& env,
                                                       http::HttpTransport& transport,
                                                       const Clock& clock) {
  return s3::S3Client::create(s3_config(env), transport, clock);
}

std::unique_ptr<s3::S3Client> s3_client(const ServicesEnv& env, http::HttpTransport& transport,
                                        const Clock& clock) {
  auto client = create_s3_client(env, transport, clock);
  return client ? std::move(*client) : nullptr;
}

}  // namespace upfleet::testing
