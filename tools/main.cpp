// upfleetctl: the command-line client for upfleet.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/http/curl_transport.h"
#include "common/process.h"
#include "tools/backend_commands.h"
#include "tools/commands.h"
#include "tools/dlq_commands.h"

namespace {

constexpr const char* kUsage =
    R"(usage: upfleetctl [--server URL] [--token TOKEN] [--json] COMMAND ...

commands:
  put FILE... [--key KEY] [--prefix PREFIX]   upload files through the ingest (progress bar on a terminal)
  status UPLOAD_ID...                          show the state of uploads
  wait UPLOAD_ID... [--state S] [--timeout T]  wait until uploads reach a state (default uploaded), print a table

commands that use Kafka and S3 directly (same UPFLEET_* settings as the worker):
  enqueue FILE... [--key K] [--prefix P] [--bucket B]  publish upload jobs with file:// sources (shared volume;
                                                       --key: the files are versions of one key, in order)
  watch UPLOAD_ID... [--state S] [--timeout T]         like wait, following the status topic
  gc-multipart [--older-than 24h] [--prefix P] [--bucket B] [--dry-run]
                                                       abort stale multipart uploads no live job owns
  dlq list [--limit N]                                 jobs in the dead-letter topic and why they failed
  dlq replay (--all | --id UPLOAD_ID... | --offset P:O...)
                                                       publish dead-lettered jobs again, unchanged

environment: UPFLEET_SERVER (default http://127.0.0.1:8080), UPFLEET_TOKEN)";

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace upfleet;
  ctl::GlobalOptions options;
  options.server = env_or("UPFLEET_SERVER", "http://127.0.0.1:8080");
  options.token = env_or("UPFLEET_TOKEN", "");
  std::vector<std::string> args(argv + 1, argv + argc);
  size_t i = 0;
  for (; i < args.size() && args[i].starts_with("--"); ++i) {
    if (args[i] == "--json") {
      options.json = true;
    } else if ((args[i] == "--server" || args[i] == "--token") && i + 1 < args.size()) {
      (args[i] == "--server" ? options.server : options.token) = args[i + 1];
      ++i;
    } else if (args[i] == "--help") {
      std::printf("%s\n", kUsage);
      return 0;
    } else if (args[i] == "--version") {
      std::printf("upfleetctl %s\n", std::string(kVersion).c_str());
      return 0;
    } else {
      std::fprintf(stderr, "upfleetctl: unknown option %s\n\n%s\n", args[i].c_str(), kUsage);
      return 2;
    }
  }
  while (!options.server.empty() && options.server.back() == '/') options.server.pop_back();
  if (i >= args.size()) {
    std::fprintf(stderr, "%s\n", kUsage);
    return 2;
  }
  const std::string command = args[i];
  const std::vector<std::string> rest(args.begin() + static_cast<long>(i) + 1, args.end());
  http::CurlTransport transport;
  if (command == "put") return ctl::run_put(options, rest, transport);
  if (command == "status") return ctl::run_status(options, rest, transport);
  if (command == "wait") return ctl::run_wait(options, rest, transport);
  if (command == "enqueue") return ctl::run_enqueue(rest);
  if (command == "watch") return ctl::run_watch(rest, options.json);
  if (command == "gc-multipart") return ctl::run_gc_multipart(rest);
  if (command == "dlq") return ctl::run_dlq(rest, options.json);
  std::fprintf(stderr, "upfleetctl: unknown command '%s'\n\n%s\n", command.c_str(), kUsage);
  return 2;
}
