#include "tools/commands.h"

#include <cstdio>
#include <filesystem>
#include <thread>

#include "common/config_reader.h"
#include "common/status_event.h"
#include "tools/ingest_client.h"
#include "tools/progress_bar.h"

namespace upfleet::ctl {
namespace {

// Splits args into positional ones and --name value flags.
struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
};

std::optional<ParsedArgs> parse_args(const std::vector<std::string>& args,
                                     std::initializer_list<std::string_view> known_flags) {
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("--")) {
      parsed.positional.push_back(arg);
      continue;
    }
    const std::string name = arg.substr(2);
    if (std::find(known_flags.begin(), known_flags.end(), name) == known_flags.end() ||
        i + 1 >= args.size()) {
      std::fprintf(stderr, "upfleetctl: unknown flag or missing value: %s\n", arg.c_str());
      return std::nullopt;
    }
    parsed.flags[name] = args[++i];
  }
  return parsed;
}

void print_table_row(const std::string& key, const std::string& size, const std::string& sha,
                     const std::string& state, const std::string& url) {
  std::printf("%-28s %12s  %-16s  %-13s %s\n", key.c_str(), size.c_str(), sha.c_str(),
              state.c_str(), url.c_str());
}

}  // namespace

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
  const std::string wanted_text =
      parsed->flags.contains("state") ? parsed->flags["state"] : "uploaded";
  auto wanted = parse_upload_state(wanted_text);
  auto timeout =
      parse_duration(parsed->flags.contains("timeout") ? parsed->flags["timeout"] : "120s");
  if (!wanted || !timeout) {
    std::fprintf(stderr, "upfleetctl: bad --state or --timeout\n");
    return 2;
  }
  IngestClient client(transport, options.server, options.token);
  const auto deadline = std::chrono::steady_clock::now() + *timeout;
  std::map<std::string, nlohmann::json> latest;
  auto finished = [&](const nlohmann::json& status) {
    auto state = parse_upload_state(status.value("state", ""));
    return state && (progress_rank(*state) >= progress_rank(*wanted) ||
                     *state == UploadState::kDeadLettered);
  };
  for (;;) {
    bool all = true;
    for (const std::string& id : parsed->positional) {
      if (latest.contains(id) && finished(latest[id])) continue;
      auto status = client.status(id);
      if (status) latest[id] = *status;
      all = all && status && finished(*status);
    }
    if (all || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // polling interval
  }
  int failures = 0;
  if (!options.json) print_table_row("KEY", "SIZE", "SHA256", "STATE", "URL");
  for (const std::string& id : parsed->positional) {
    const nlohmann::json status = latest.contains(id) ? latest[id] : nlohmann::json::object();
    const std::string state = status.value("state", "unknown");
    if (state != wanted_text &&
        !(status.is_object() && finished(status) && state != "dead_lettered")) {
      ++failures;
    }
    if (options.json) {
      std::printf("%s\n", status.dump().c_str());
      continue;
    }
    const std::string sha = status.value("sha256", "");
    print_table_row(status.value("key", id), std::to_string(status.value("size", uint64_t{0})),
                    sha.size() > 16 ? sha.substr(0, 16) : sha, state, status.value("url", ""));
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace upfleet::ctl
