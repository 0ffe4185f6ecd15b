// An S3 client for the S3 server from scripts/services, for tests that check what was stored.
#pragma once

#include <memory>

#include "common/clock.h"
#include "common/error.h"
#include "common/http/http_transport.h"
#include "common/s3/s3_client.h"
#include "tests/support/test_env.h"

namespace upfleet::testing {

// `env`'s S3 endpoint, region, credentials and addressing.
s3::S3Config s3_config(const ServicesEnv& env);

// A client for `env`'s S3 endpoint and credentials, or why the config was refused.
Result<std::unique_ptr<s3::S3Client>> create_s3_client(const ServicesEnv& env,
                                                       http::HttpTransport& transport,
                                                       const Clock& clock);

// As create_s3_client; nullptr if the config is refused.
std::unique_ptr<s3::S3Client> s3_client(const ServicesEnv& env, http::HttpTransport& transport,
                                        const Clock& clock);

}  // namespace upfleet::testing
