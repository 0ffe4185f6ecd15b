#include "tools/commands.h"

#include <cstdio>
#include <filesystem>
#include <thread>

#include "common/config_reader.h"
#include "common/status_event.h"
#include "tools/args.h"
#include "tools/ingest_client.h"
#include "tools/progress_bar.h"
#include "tools/status_table.h"

namespace upfleet::ctl {
int run_put(const GlobalOptions& options, const std::vector<std::string>& args,
            http::HttpTransport& transport) {
  auto parsed = parse_args(args, {"key", "prefix"});
  if (!parsed || parsed->positional.empty()) {
    std::fprintf(stderr, "usage: upfleetctl put FILE... [--key KEY] [--prefix PREFIX]\n");
    return 2;
  }
  if (parsed->flags.contains("key") && parsed->positional.size() != 1) {
    std::fprintf(stderr, "upfleetctl: --key names one object; give exactly one FILE\n");
    return 2;
  }
  IngestClient client(transport, options.server, options.token);
  int failures = 0;
  for (const std::string& file : parsed->positional) {
    std::string key = parsed->flags.contains("key")
                          ? parsed->flags["key"]
                          : std::filesystem::path(file).filename().string();
    if (auto prefix = parsed->flags.find("prefix"); prefix != parsed->flags.end()) {
      key = prefix->second + key;
    }
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(file, ec);
    ProgressBar bar(stderr, key, ec ? 0 : size);
    auto reply = client.put_file(file, key, [&bar](uint64_t sent, uint64_t) { bar.update(sent); });
    bar.finish(reply ? size : 0);
    if (!reply) {
      std::fprintf(stderr, "upfleetctl: %s: %s\n", file.c_str(), reply.error().message.c_str());
      ++failures;
      continue;
    }
    if (options.json) {
      std::printf("%s\n", reply->dump().c_str());
    } else {
      std::printf("%s  %s  %s bytes  sha256 %s\n", reply->value("upload_id", "").c_str(),
                  reply->value("key", "").c_str(),
                  std::to_string(reply->value("size", uint64_t{0})).c_str(),
                  reply->value("sha256", "").c_str());
    }
    std::fflush(stdout);
  }
  return failures == 0 ? 0 : 1;
}

int run_status(const GlobalOptions& options, const std::vector<std::string>& args,
               http::HttpTransport& transport) {
  if (args.empty()) {
    std::fprintf(stderr, "usage: upfleetctl status UPLOAD_ID...\n");
    return 2;
  }
  IngestClient client(transport, options.server, options.token);
  int failures = 0;
  for (const std::string& id : args) {
    auto status = client.status(id);
    if (!status) {
      std::fprintf(stderr, "upfleetctl: %s: %s\n", id.c_str(), status.error().message.c_str());
      ++failures;
      continue;
    }
    if (options.json) {
      std::printf("%s\n", status->dump().c_str());
    } else {
      std::printf("%s\n", status->dump(2).c_str());
    }
  }
  return failures == 0 ? 0 : 1;
}

int run_wait(const GlobalOptions& options, const std::vector<std::string>& args,
             http::HttpTransport& transport) {
  auto parsed = parse_args(args, {"state", "timeout"});
  if (!parsed || parsed->positional.empty()) {
    std::fprintf(stderr,
                 "usage: upfleetctl wait UPLOAD_ID... [--state uploaded] [--timeout 120s]\n");
    return 2;
  }
  auto spec = parse_wait_spec(*parsed);
  if (!spec) return 2;
  IngestClient client(transport, options.server, options.token);
  const auto deadline = std::chrono::steady_clock::now() + spec->timeout;
  std::map<std::string, nlohmann::json> latest;
  for (;;) {
    bool all = true;
    for (const std::string& id : parsed->positional) {
      if (latest.contains(id) && settled(latest[id], spec->wanted)) continue;
      auto status = client.status(id);
      if (status) latest[id] = *status;
      all = all && status && settled(*status, spec->wanted);
    }
    if (all || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // polling interval
  }
  return print_status_table(parsed->positional, latest, *spec, options.json) == 0 ? 0 : 1;
}

}  // namespace upfleet::ctl
