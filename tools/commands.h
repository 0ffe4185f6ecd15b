// upfleetctl subcommands. Each returns the process exit code: 0 ok, 1 failed, 2 usage.
#pragma once

#include <string>
#include <vector>

#include "common/http/http_transport.h"

namespace upfleet::ctl {

struct GlobalOptions {
  std::string server;  // --server or UPFLEET_SERVER (default http://127.0.0.1:8080)
  std::string token;   // --token or UPFLEET_TOKEN
  bool json = false;   // --json: machine-readable output, one JSON object per line
};

// put FILE... [--key KEY] [--prefix PREFIX]
int run_put(const GlobalOptions& options, const std::vector<std::string>& args,
            http::HttpTransport& transport);
// status ID...
int run_status(const GlobalOptions& options, const std::vector<std::string>& args,
               http::HttpTransport& transport);
// wait ID... [--state uploaded] [--timeout 120s]: polls until every upload reached the state
// (or failed), then prints a table.
int run_wait(const GlobalOptions& options, const std::vector<std::string>& args,
             http::HttpTransport& transport);

}  // namespace upfleet::ctl
