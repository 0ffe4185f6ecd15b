#include "tools/dlq_commands.h"

#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "common/kafka/kafka_producer.h"
#include "common/kafka/kafka_topic_reader.h"
#include "tools/args.h"
#include "tools/backend_config.h"

namespace upfleet::ctl {
namespace {

struct DeadLetterRecord {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  kafka::MessageHeaders headers;

  std::string header(std::string_view name) const {
    for (const auto& [header_name, header_value] : headers) {
      if (header_name == name) return header_value;
    }
    return {};
  }
  std::string upload_id() const {
    auto job = nlohmann::json::parse(value, nullptr, false);
    return job.is_object() ? job.value("upload_id", "") : "";
  }
  std::string position() const { return std::to_string(partition) + ":" + std::to_string(offset); }
};

Result<std::vector<DeadLetterRecord>> read_dead_letters(const BackendConfig& config) {
  std::mutex mutex;
  std::vector<DeadLetterRecord> records;
  auto reader = kafka::KafkaTopicReader::start(
      config.kafka.settings, config.kafka.topics.dead_letters,
      [&](const kafka::TopicRecord& record) {
        if (record.tombstone) return;
        std::lock_guard lock(mutex);
        records.push_back({record.partition, record.offset, std::string(record.key),
                           std::string(record.value), record.headers});
      },
      std::chrono::seconds(30));
  if (!reader) return fail(reader.error());
  if (!(*reader)->wait_caught_up(std::chrono::seconds(120))) {
    return fail(Error::transient(ErrorCode::kTimeout, "reading the dead-letter topic timed out"));
  }
  reader->reset();
  return records;
}

int list(const std::vector<DeadLetterRecord>& records, size_t limit, bool json) {
  if (!json) {
    std::printf("%-10s %-34s %-28s %-9s %-8s %s\n", "DLQ", "UPLOAD_ID", "KEY", "STAGE", "ATTEMPTS",
                "ERROR");
  }
  const size_t start = records.size() > limit ? records.size() - limit : 0;
  for (size_t i = start; i < records.size(); ++i) {
    const DeadLetterRecord& record = records[i];
    if (json) {
      nlohmann::json line = {{"dlq_partition", record.partition},
                             {"dlq_offset", record.offset},
                             {"key", record.key},
                             {"upload_id", record.upload_id()},
                             {"stage", record.header("upfleet-dlq-stage")},
                             {"error", record.header("upfleet-dlq-error")},
                             {"attempts", record.header("upfleet-dlq-attempts")},
                             {"source", record.header("upfleet-dlq-topic") + ":" +
                                            record.header("upfleet-dlq-partition") + ":" +
                                            record.header("upfleet-dlq-offset")}};
      std::printf("%s\n", line.dump().c_str());
      continue;
    }
    std::printf(
        "%-10s %-34s %-28s %-9s %-8s %s\n", record.position().c_str(), record.upload_id().c_str(),
        record.key.c_str(), record.header("upfleet-dlq-stage").c_str(),
        record.header("upfleet-dlq-attempts").c_str(), record.header("upfleet-dlq-error").c_str());
  }
  return 0;
}

int replay(const BackendConfig& config, const std::vector<DeadLetterRecord>& records,
           const ParsedArgs& args) {
  const bool all = args.has_switch("all");
  std::set<std::string> ids;
  std::set<std::string> positions;
  if (args.flags.contains("id")) ids.insert(args.flags.at("id"));
  if (args.flags.contains("offset")) positions.insert(args.flags.at("offset"));
  // Further values follow their flag: --id A B C, --offset 0:5 1:7.
  for (const auto& value : args.positional) {
    (args.flags.contains("offset") ? positions : ids).insert(value);
  }
  if (!all && ids.empty() && positions.empty()) {
    std::fprintf(stderr,
                 "usage: upfleetctl dlq replay (--all | --id UPLOAD_ID... | --offset P:O...)\n");
    return 2;
  }
  // One message at a time, each waited for: lingering would only delay every one of them.
  auto producer = kafka::KafkaProducer::create(config.kafka.settings, config.publish_timeout,
                                               kafka::Linger::kNone);
  if (!producer) {
    std::fprintf(stderr, "upfleetctl: %s\n", producer.error().message.c_str());
    return 1;
  }
  int replayed = 0;
  int failures = 0;
  for (const DeadLetterRecord& record : records) {
    if (!all && !ids.contains(record.upload_id()) && !positions.contains(record.position())) {
      continue;
    }
    const kafka::MessageHeaders headers = {{"upfleet-replayed-from", "dlq:" + record.position()}};
    if (auto sent =
            (*producer)->produce(config.kafka.topics.jobs, record.key, record.value, headers);
        !sent) {
      std::fprintf(stderr, "upfleetctl: replaying %s: %s\n", record.position().c_str(),
                   sent.error().message.c_str());
      ++failures;
      continue;
    }
    ++replayed;
    std::printf("replayed %s %s %s\n", record.position().c_str(), record.upload_id().c_str(),
                record.key.c_str());
  }
  std::printf("%d jobs replayed\n", replayed);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int run_dlq(const std::vector<std::string>& args, bool json) {
  if (args.empty() || (args[0] != "list" && args[0] != "replay")) {
    std::fprintf(stderr,
                 "usage: upfleetctl dlq list [--limit N]\n"
                 "       upfleetctl dlq replay (--all | --id UPLOAD_ID... | --offset P:O...)\n");
    return 2;
  }
  auto parsed = parse_args({args.begin() + 1, args.end()}, {"limit", "id", "offset"}, {"all"});
  if (!parsed) return 2;
  auto config = load_backend_config(std::nullopt, false);
  if (!config) {
    std::fprintf(stderr, "upfleetctl: %s\n", config.error().message.c_str());
    return 2;
  }
  auto records = read_dead_letters(*config);
  if (!records) {
    std::fprintf(stderr, "upfleetctl: %s\n", records.error().message.c_str());
    return 1;
  }
  if (args[0] == "list") {
    const long limit = std::strtol(parsed->flag("limit", "1000").c_str(), nullptr, 10);
    return list(*records, limit > 0 ? static_cast<size_t>(limit) : 1000, json);
  }
  return replay(*config, *records, *parsed);
}

}  // namespace upfleet::ctl
