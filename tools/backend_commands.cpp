#include "tools/backend_commands.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "common/crypto/sha256.h"
#include "common/file_byte_source.h"
#include "common/http/curl_transport.h"
#include "common/ids.h"
#include "common/kafka/kafka_job_publisher.h"
#include "common/kafka/kafka_topic_reader.h"
#include "common/object_key.h"
#include "common/s3/s3_client.h"
#include "common/s3/uri_encode.h"
#include "tools/args.h"
#include "tools/backend_config.h"
#include "tools/status_table.h"

namespace upfleet::ctl {
namespace {

std::optional<BackendConfig> load_or_complain(bool needs_s3) {
  auto config = load_backend_config(std::nullopt, needs_s3);
  if (!config) {
    std::fprintf(stderr, "upfleetctl: %s\n", config.error().message.c_str());
    return std::nullopt;
  }
  return std::move(*config);
}

Result<std::string> sha256_of_file(const std::filesystem::path& path, uint64_t& size) {
  auto source = FileByteSource::open(path);
  if (!source) return fail(source.error());
  size = (*source)->size();
  crypto::Sha256 hasher;
  std::vector<std::byte> buffer(1 << 20);
  for (uint64_t offset = 0; offset < size;) {
    auto got = (*source)->read_at(offset, buffer);
    if (!got) return fail(got.error());
    if (*got == 0) break;
    hasher.update(std::span<const std::byte>(buffer.data(), *got));
    offset += *got;
  }
  return hasher.finish_hex();
}

// Publishing blocks until Kafka acknowledges, so these threads mostly wait: enough of them keep
// the broker's round trips overlapping (the producer batches what arrives together), and
// hashing large files spreads over the cores.
constexpr size_t kEnqueueThreads = 32;

// The upload job for one file (its SHA-256 computed), or why there is none.
Result<Job> make_file_job(const std::string& file, const ParsedArgs& parsed,
                          const BackendConfig& config) {
  const auto path = std::filesystem::absolute(file);
  Job job;
  job.job_id = new_id();
  job.upload_id = new_id();
  job.bucket = parsed.flag("bucket", config.bucket);
  job.key = parsed.flag("prefix", "") + parsed.flag("key", path.filename().string());
  job.created_at = format_rfc3339(std::chrono::system_clock::now());
  job.source.uri = "file://" + s3::uri_encode_path(path.string());
  job.source.content_type = "application/octet-stream";
  auto sha = sha256_of_file(path, job.source.size);
  if (!sha) return fail(sha.error());
  if (Status valid = validate_object_key(job.key); !valid) return fail(valid.error());
  job.source.sha256 = *sha;
  return job;
}

// Outcomes of jobs finished out of order, handed to the thread that prints them in order.
class EnqueueOutcomes {
 public:
  explicit EnqueueOutcomes(size_t count) : outcomes_(count) {}

  void put(size_t index, Result<Job> outcome) {
    {
      std::lock_guard lock(mutex_);
      outcomes_[index] = std::move(outcome);
    }
    ready_.notify_all();
  }

  // Blocks until the outcome for `index` was put.
  Result<Job> take(size_t index) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return outcomes_[index].has_value(); });
    return std::move(*outcomes_[index]);
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::optional<Result<Job>>> outcomes_;
};

}  // namespace

int run_enqueue(const std::vector<std::string>& args) {
  auto parsed = parse_args(args, {"key", "prefix", "bucket"});
  if (!parsed || parsed->positional.empty()) {
    std::fprintf(stderr,
                 "usage: upfleetctl enqueue FILE... [--key KEY] [--prefix PREFIX] "
                 "[--bucket BUCKET]\n");
    return 2;
  }
  auto config = load_or_complain(false);
  if (!config) return 2;
  // With --key every file is a new version of one object: they must reach the topic in the
  // order given, so one thread publishes them one after the other (and lingering would only
  // delay each); otherwise many threads publish at once and their jobs share requests.
  const bool in_order = parsed->flags.contains("key");
  auto producer =
      kafka::KafkaProducer::create(config->kafka.settings, config->publish_timeout,
                                   in_order ? kafka::Linger::kNone : kafka::Linger::kBatch);
  if (!producer) {
    std::fprintf(stderr, "upfleetctl: %s\n", producer.error().message.c_str());
    return 1;
  }
  if (auto ready = (*producer)->prepare({config->kafka.topics.jobs}, std::chrono::seconds(10));
      !ready) {
    std::fprintf(stderr, "upfleetctl: %s\n", ready.error().message.c_str());
    return 1;
  }
  kafka::KafkaJobPublisher jobs(**producer, config->kafka.topics.jobs);
  const std::vector<std::string>& files = parsed->positional;
  EnqueueOutcomes outcomes(files.size());
  std::atomic<size_t> next{0};
  std::vector<std::jthread> pool;
  const size_t threads = in_order ? 1 : kEnqueueThreads;
  for (size_t t = 0; t < std::min(threads, files.size()); ++t) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < files.size(); i = next++) {
        auto job = make_file_job(files[i], *parsed, *config);
        if (job) {
          if (auto published = jobs.publish(*job); !published) job = fail(published.error());
        }
        outcomes.put(i, std::move(job));
      }
    });
  }
  // Lines come out in input order, each as soon as its job and all before it are done.
  int failures = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    auto job = outcomes.take(i);
    if (!job) {
      std::fprintf(stderr, "upfleetctl: %s: %s\n", files[i].c_str(), job.error().message.c_str());
      ++failures;
      continue;
    }
    nlohmann::json line = {{"upload_id", job->upload_id},
                           {"key", job->key},
                           {"size", job->source.size},
                           {"sha256", job->source.sha256}};
    std::printf("%s\n", line.dump().c_str());
    std::fflush(stdout);
  }
  return failures == 0 ? 0 : 1;
}

int run_watch(const std::vector<std::string>& args, bool json) {
  auto parsed = parse_args(args, {"state", "timeout"});
  if (!parsed || parsed->positional.empty()) {
    std::fprintf(stderr,
                 "usage: upfleetctl watch UPLOAD_ID... [--state uploaded] [--timeout 120s]\n");
    return 2;
  }
  auto spec = parse_wait_spec(*parsed);
  if (!spec) return 2;
  auto config = load_or_complain(false);
  if (!config) return 2;
  const std::set<std::string> wanted(parsed->positional.begin(), parsed->positional.end());
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::string, nlohmann::json> latest;
  auto reader = kafka::KafkaTopicReader::start(
      config->kafka.settings, config->kafka.topics.status,
      [&](const kafka::TopicRecord& record) {
        if (record.tombstone || !wanted.contains(std::string(record.key))) return;
        auto status = nlohmann::json::parse(record.value, nullptr, false);
        if (status.is_discarded()) return;
        std::lock_guard lock(mutex);
        auto& slot = latest[std::string(record.key)];
        // Same rule as the ingest's view: a late earlier state does not hide a later one.
        auto old_state = parse_upload_state(slot.is_object() ? slot.value("state", "") : "");
        auto new_state = parse_upload_state(status.value("state", ""));
        if (old_state && new_state && progress_rank(*new_state) < progress_rank(*old_state)) {
          return;
        }
        slot = std::move(status);
        changed.notify_all();
      },
      std::chrono::seconds(30));
  if (!reader) {
    std::fprintf(stderr, "upfleetctl: %s\n", reader.error().message.c_str());
    return 1;
  }
  {
    std::unique_lock lock(mutex);
    changed.wait_for(lock, spec->timeout, [&] {
      for (const auto& id : parsed->positional) {
        auto it = latest.find(id);
        if (it == latest.end() || !settled(it->second, spec->wanted)) return false;
      }
      return true;
    });
  }
  std::lock_guard lock(mutex);
  return print_status_table(parsed->positional, latest, *spec, json) == 0 ? 0 : 1;
}

int run_gc_multipart(const std::vector<std::string>& args) {
  auto parsed = parse_args(args, {"older-than", "prefix", "bucket"}, {"dry-run"});
  auto older_than = parse_duration(parsed ? parsed->flag("older-than", "24h") : "");
  if (!parsed || !parsed->positional.empty() || !older_than) {
    std::fprintf(stderr,
                 "usage: upfleetctl gc-multipart [--older-than 24h] [--prefix P] [--bucket B] "
                 "[--dry-run]\n");
    return 2;
  }
  auto config = load_or_complain(true);
  if (!config) return 2;

  // Live: a multipart upload whose latest status is `uploading` and recent enough.
  std::mutex mutex;
  std::map<std::string, StatusEvent> latest;  // upload_id -> event
  auto reader = kafka::KafkaTopicReader::start(
      config->kafka.settings, config->kafka.topics.status,
      [&](const kafka::TopicRecord& record) {
        if (record.tombstone) return;
        auto event = parse_status_event(record.value);
        if (!event) return;
        std::lock_guard lock(mutex);
        latest[event->upload_id] = std::move(*event);
      },
      std::chrono::seconds(30));
  if (!reader || !(*reader)->wait_caught_up(std::chrono::seconds(120))) {
    std::fprintf(stderr, "upfleetctl: cannot read the status topic %s\n",
                 config->kafka.topics.status.c_str());
    return 1;
  }
  reader->reset();

  SystemClock clock;
  http::CurlTransport transport;
  auto client = s3::S3Client::create(config->s3, transport, clock);
  if (!client) {
    std::fprintf(stderr, "upfleetctl: %s\n", client.error().message.c_str());
    return 1;
  }
  const std::string bucket = parsed->flag("bucket", config->bucket);
  auto uploads = (*client)->list_multipart_uploads(bucket, parsed->flag("prefix", ""));
  if (!uploads) {
    std::fprintf(stderr, "upfleetctl: %s\n", uploads.error().message.c_str());
    return 1;
  }
  // Measured after the listing: some servers (S3Proxy) report the time of the listing as
  // every upload's Initiated, so only a cutoff taken afterwards can ever be passed.
  const auto cutoff = std::chrono::system_clock::now() - *older_than;
  std::set<std::string> live;
  {
    std::lock_guard lock(mutex);
    for (const auto& [id, event] : latest) {
      auto at = parse_rfc3339(event.at);
      if (event.state == UploadState::kUploading && !event.multipart_upload_id.empty() &&
          (!at || *at >= cutoff)) {
        live.insert(event.multipart_upload_id);
      }
    }
  }
  const bool dry_run = parsed->has_switch("dry-run");
  int aborted = 0;
  int failures = 0;
  for (const auto& upload : *uploads) {
    auto initiated = parse_rfc3339(upload.initiated);
    const char* verdict = "kept (recent)";
    if (live.contains(upload.upload_id)) {
      verdict = "kept (live job)";
    } else if (initiated && *initiated <= cutoff) {
      verdict = dry_run ? "would abort" : "aborted";
      if (!dry_run) {
        auto done = (*client)->abort_multipart_upload(bucket, upload.key, upload.upload_id);
        if (!done && done.error().code != ErrorCode::kNotFound) {
          verdict = "abort failed";
          ++failures;
          std::fprintf(stderr, "upfleetctl: %s: %s\n", upload.key.c_str(),
                       done.error().message.c_str());
        } else {
          ++aborted;
        }
      }
    }
    std::printf("%-16s %-40s %-24s %s\n", verdict, upload.key.c_str(), upload.initiated.c_str(),
                upload.upload_id.c_str());
  }
  std::printf("%zu multipart uploads, %d aborted\n", uploads->size(), aborted);
  return failures == 0 ? 0 : 1;
}

}  // namespace upfleet::ctl
