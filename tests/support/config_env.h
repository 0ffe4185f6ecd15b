// Helpers for configuration tests: a fixed environment and the message of a refused config.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/config_reader.h"
#include "common/error.h"

namespace upfleet::testing {

// An environment holding exactly `vars`.
EnvLookup env_of(std::map<std::string, std::string> vars);

// The error message of a config that must have been refused (a test failure if it loaded).
template <typename Config>
std::string error_of(const Result<Config>& config) {
  EXPECT_FALSE(config.has_value());
  return config ? "" : config.error().message;
}

}  // namespace upfleet::testing
