// kill -9 the ingest at random moments while clients upload: every upload that got 202 must
// reach S3 byte-identical, and once all are stored the spool must be empty. The ingest comes
// back on the same spool dir and port (claim-check URIs stay valid); clients retry uploads
// that did not get a 202, which were never accepted.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "common/crypto/sha256.h"
#include "tests/support/pipeline.h"
#include "tests/support/s3_test_client.h"
#include "tests/support/status_watcher.h"

namespace upfleet::testing {
namespace {

constexpr size_t kUploads = 200;
constexpr size_t kBigUploads = 8;  // 20 MiB each, so kills land mid-body
constexpr size_t kBigSize = 20u << 20;
constexpr int kKills = 5;
constexpr int kClientThreads = 4;

uint64_t test_seed() {
  if (const char* text = std::getenv("UPFLEET_TEST_SEED")) return std::strtoull(text, nullptr, 10);
  return std::random_device{}();
}

// Upload i's bytes: its size and content follow from the seed alone, so a retry sends exactly
// the same bytes and nothing needs to stay in memory.
struct PlannedUpload {
  std::string key;
  size_t size = 0;
  uint64_t content_seed = 0;
};

std::string content_of(const PlannedUpload& upload) {
  std::mt19937_64 rng(upload.content_seed);
  std::string data(upload.size, '\0');
  for (size_t i = 0; i < upload.size; i += 8) {
    const uint64_t word = rng();
    std::memcpy(data.data() + i, &word, std::min<size_t>(8, upload.size - i));
  }
  return data;
}

std::vector<PlannedUpload> plan(const std::string& prefix, std::mt19937_64& rng) {
  std::vector<PlannedUpload> uploads(kUploads);
  std::uniform_real_distribution<double> log_size(10.0, 21.0);  // 1 KiB .. 2 MiB, log-uniform
  for (size_t i = 0; i < kUploads; ++i) {
    uploads[i].key = prefix + "file-" + std::to_string(i) + ".bin";
    uploads[i].size = static_cast<size_t>(std::exp2(log_size(rng)));
    uploads[i].content_seed = rng();
  }
  for (size_t i = 0; i < kBigUploads; ++i) uploads[(i * kUploads) / kBigUploads].size = kBigSize;
  return uploads;
}

// What the clients saw, shared between their threads.
struct ClientLog {
  std::mutex mutex;
  std::map<size_t, std::string> accepted;     // upload index -> upload_id (202 only)
  std::map<long, int> refusals;               // status (0 = transport error) -> count
  std::map<long, std::string> first_refusal;  // status -> its body or error, for the report
  std::atomic<size_t> accepted_count{0};
  std::atomic<int> in_flight{0};
  std::atomic<int> interrupted{0};  // requests cut off by a kill (transport errors)
};

// One client thread: takes the next upload, PUTs it until 202 (each attempt a new request;
// anything but 202 was not accepted, so sending it again is the client's job).
void run_client(const std::string& base_url, const std::vector<PlannedUpload>& uploads,
                std::atomic<size_t>& next, ClientLog& log, std::atomic<bool>& give_up) {
  http::CurlTransport transport;
  for (size_t i = next++; i < uploads.size() && !give_up; i = next++) {
    const std::string body = content_of(uploads[i]);
    for (int attempt = 0; !give_up; ++attempt) {
      http::HttpRequest request;
      request.method = "PUT";
      request.url = base_url + "/v1/files/" + uploads[i].key;
      request.body = body;
      request.connect_timeout = std::chrono::seconds(2);
      request.timeout = std::chrono::seconds(60);
      ++log.in_flight;
      auto response = transport.perform(request);
      --log.in_flight;
      if (response && response->status == 202) {
        auto reply = nlohmann::json::parse(response->body, nullptr, false);
        std::lock_guard lock(log.mutex);
        log.accepted[i] = reply.is_object() ? reply.value("upload_id", "") : "";
        ++log.accepted_count;
        break;
      }
      {
        std::lock_guard lock(log.mutex);
        const long status = response ? response->status : 0;
        log.refusals[status] += 1;
        log.first_refusal.emplace(status, response ? response->body : response.error().message);
      }
      if (!response) ++log.interrupted;
      // Client backoff while the ingest restarts (not synchronisation with our own threads).
      std::this_thread::sleep_for(std::chrono::milliseconds(50 * std::min(attempt + 1, 10)));
    }
  }
}

std::optional<double> metric_value(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with(name + " ")) return std::stod(line.substr(name.size() + 1));
  }
  return std::nullopt;
}

TEST(IngestCrashTest, KilledIngestLosesNoAcceptedUploadAndLeavesAnEmptySpool) {
  UPFLEET_REQUIRE_SERVICES(env);
  const uint64_t seed = test_seed();
  std::cerr << "ingest crash test seed: " << seed << " (rerun with UPFLEET_TEST_SEED=" << seed
            << ")\n";
  std::mt19937_64 rng(seed);

  Pipeline pipeline(env, "ingest-crash");
  // Workers keep retrying fetches while the ingest is down instead of dead-lettering.
  pipeline.worker_env = {{"UPFLEET_WORKER_RETRY_BASE", "200ms"},
                         {"UPFLEET_WORKER_RETRY_CAP", "2s"},
                         {"UPFLEET_WORKER_MAX_ATTEMPTS", "40"}};
  ASSERT_TRUE(pipeline.start_ingest());
  ASSERT_TRUE(pipeline.start_worker());
  ASSERT_TRUE(pipeline.start_worker());
  StatusWatcher watcher(env.kafka_brokers, pipeline.topics().status);
  ASSERT_TRUE(watcher.ok());

  const std::vector<PlannedUpload> uploads = plan(pipeline.key_prefix(), rng);
  // Kill once the clients have this many 202s (plus a random delay): spread over the run.
  std::vector<size_t> kill_after;
  std::uniform_int_distribution<size_t> when(10, kUploads - 20);
  for (int k = 0; k < kKills; ++k) kill_after.push_back(when(rng));
  std::sort(kill_after.begin(), kill_after.end());
  std::uniform_int_distribution<int> jitter_ms(0, 400);

  ClientLog log;
  std::atomic<size_t> next{0};
  std::atomic<bool> give_up{false};
  std::vector<std::jthread> clients;
  for (int t = 0; t < kClientThreads; ++t) {
    clients.emplace_back(run_client, pipeline.ingest_url(), std::cref(uploads), std::ref(next),
                         std::ref(log), std::ref(give_up));
  }

  int kills_mid_request = 0;
  int recoveries_republishing = 0;
  double republished_jobs = 0;
  bool restarted = true;
  bool stalled = false;
  for (size_t threshold : kill_after) {
    if (!eventually([&] { return log.accepted_count.load() >= threshold; },
                    std::chrono::seconds(120))) {
      stalled = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(jitter_ms(rng)));  // a random moment
    const int in_flight = log.in_flight.load();
    pipeline.ingest().kill_now();
    if (in_flight > 0) ++kills_mid_request;
    restarted = pipeline.restart_ingest();
    if (!restarted) break;
    HttpReply metrics = pipeline.request("GET", "/metrics");
    const double republished =
        metric_value(metrics.raw, "upfleet_ingest_recovered_jobs_total").value_or(0);
    std::cerr << "kill after " << threshold << " accepted, " << in_flight
              << " requests in flight; recovery republished " << republished << " jobs\n";
    if (republished > 0) ++recoveries_republishing;
    republished_jobs += republished;
  }
  if (!restarted || stalled) give_up = true;
  for (auto& client : clients) client.join();
  if (!restarted || stalled) pipeline.print_logs();
  ASSERT_TRUE(restarted) << "the ingest did not come back after a kill";
  ASSERT_FALSE(stalled) << "uploads stopped being accepted: " << log.accepted_count.load();

  std::vector<std::string> ids;
  {
    std::lock_guard lock(log.mutex);
    for (const auto& [index, id] : log.accepted) ids.push_back(id);
    std::cerr << "accepted " << log.accepted.size() << " of " << kUploads << "; kills " << kKills
              << ", mid-request " << kills_mid_request << "; requests cut off "
              << log.interrupted.load() << "; recoveries that republished "
              << recoveries_republishing << " (" << republished_jobs << " jobs); refusals:";
    for (const auto& [status, count] : log.refusals) std::cerr << " " << status << "x" << count;
    std::cerr << "\n";
    for (const auto& [status, text] : log.first_refusal) {
      std::cerr << "  first " << status << ": " << text.substr(0, 300) << "\n";
    }
  }
  ASSERT_EQ(ids.size(), kUploads);
  for (const auto& id : ids) ASSERT_FALSE(id.empty()) << "202 without an upload_id";
  EXPECT_GT(kills_mid_request, 0) << "no kill hit a request in progress";

  const bool all_uploaded =
      watcher.wait_all(ids, UploadState::kUploaded, std::chrono::seconds(180));
  if (!all_uploaded) pipeline.print_logs();
  ASSERT_TRUE(all_uploaded) << watcher.reached(ids, UploadState::kUploaded) << " of " << ids.size()
                            << " uploaded";

  SystemClock clock;
  http::CurlTransport transport;
  auto client = s3_client(env, transport, clock);
  ASSERT_TRUE(client);
  for (const PlannedUpload& upload : uploads) {
    crypto::Sha256 stored;
    uint64_t stored_size = 0;
    auto got = client->get_object({env.s3_bucket, upload.key, 0, 0, [&](std::string_view chunk) {
                                     stored.update(chunk);
                                     stored_size += chunk.size();
                                     return true;
                                   }});
    ASSERT_TRUE(got) << upload.key << ": " << got.error().message;
    EXPECT_EQ(stored_size, upload.size) << upload.key;
    EXPECT_EQ(stored.finish_hex(), crypto::sha256_hex(content_of(upload))) << upload.key;
  }

  // Uploads whose client never saw the 202 (killed before the answer) were published too;
  // once they are stored as well, nothing may stay behind.
  std::vector<std::string> left;
  const bool empty = eventually(
      [&] {
        left = pipeline.spool_files();
        return left.empty();
      },
      std::chrono::seconds(60));
  EXPECT_TRUE(empty) << left.size() << " spool files left, e.g. " << left.front();
}

}  // namespace
}  // namespace upfleet::testing
