// The spool's filesystem fills up: an upload that does not fit gets 507 and leaves nothing
// behind (no partial file, no job), further uploads are refused at once while the disk is
// full, and once space is freed uploads are accepted and stored again.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tests/support/kafka_test_util.h"
#include "tests/support/pipeline.h"

namespace upfleet::testing {
namespace {

constexpr uint64_t kSpoolFsBytes = 16u << 20;

std::vector<std::string> files_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

std::optional<double> ingest_metric(Pipeline& pipeline, const std::string& name) {
  std::istringstream lines(pipeline.request("GET", "/metrics").raw);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with(name + " ")) return std::stod(line.substr(name.size() + 1));
  }
  return std::nullopt;
}

// Writes until the filesystem says ENOSPC; returns the bytes written.
uint64_t fill(const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::binary);
  const std::string block(64 * 1024, 'f');
  uint64_t written = 0;
  while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    out.flush();
    if (!out) break;
    written += block.size();
  }
  return written;
}

class IngestDiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spool_dir_ = dir_.path() / "spool";
    std::filesystem::create_directories(spool_dir_);
    const std::string options = "size=" + std::to_string(kSpoolFsBytes) + ",mode=0750";
    if (::mount("tmpfs", spool_dir_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs for the spool (needs root / CAP_SYS_ADMIN): "
                   << std::strerror(errno);
    }
    mounted_ = true;
  }

  void TearDown() override {
    pipeline_.reset();  // the ingest lets go of the spool first
    if (mounted_ && ::umount2(spool_dir_.c_str(), MNT_DETACH) != 0) {
      ADD_FAILURE() << "umount " << spool_dir_ << ": " << std::strerror(errno);
    }
  }

  TempDir dir_{"upfleet-disk-full"};
  std::filesystem::path spool_dir_;
  bool mounted_ = false;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(IngestDiskFullTest, FullSpoolAnswers507KeepsNothingAndRecoversWhenFreed) {
  UPFLEET_REQUIRE_SERVICES(env);
  pipeline_ = std::make_unique<Pipeline>(env, "disk-full");
  Pipeline& pipeline = *pipeline_;
  pipeline.ingest_env = {{"UPFLEET_SPOOL_DIR", spool_dir_.string()},
                         {"UPFLEET_SPOOL_MIN_FREE_BYTES", "1MiB"}};
  ASSERT_TRUE(pipeline.start_ingest());
  ASSERT_TRUE(pipeline.start_worker());

  // Larger than the whole filesystem: the disk fills while the body streams in.
  const std::string too_big_key = pipeline.key_prefix() + "too-big.bin";
  HttpReply too_big = pipeline.put(too_big_key, std::string(kSpoolFsBytes + (4u << 20), 'b'));
  EXPECT_EQ(too_big.status, 507) << too_big.raw;
  EXPECT_EQ(too_big.body.is_object() ? too_big.body["error"].value("code", "") : "",
            "insufficient_storage");
  EXPECT_TRUE(files_in(spool_dir_).empty()) << "left behind: " << files_in(spool_dir_).front();

  // Someone else fills the disk: refused at once, before any body byte is spooled.
  const uint64_t filled = fill(spool_dir_ / "filler");
  ASSERT_GT(filled, 0u);
  const double received_before =
      ingest_metric(pipeline, "upfleet_ingest_received_bytes_total").value_or(-1);
  for (int i = 0; i < 3; ++i) {
    HttpReply refused =
        pipeline.put(pipeline.key_prefix() + "refused-" + std::to_string(i), "small body");
    EXPECT_EQ(refused.status, 507) << refused.raw;
    EXPECT_FALSE(refused.header("retry-after").empty());
  }
  EXPECT_EQ(ingest_metric(pipeline, "upfleet_ingest_received_bytes_total").value_or(-1),
            received_before)
      << "a refused upload's body was spooled";
  EXPECT_EQ(files_in(spool_dir_), std::vector<std::string>{"filler"});

  // Space is back: uploads are accepted and stored, and their spool copy goes.
  std::filesystem::remove(spool_dir_ / "filler");
  const std::string data(3u << 20, 'a');
  HttpReply accepted = pipeline.put(pipeline.key_prefix() + "after.bin", data);
  ASSERT_EQ(accepted.status, 202) << accepted.raw;
  const std::string upload_id = accepted.body.value("upload_id", "");
  auto final_status = pipeline.wait_for_state(upload_id, "uploaded", std::chrono::seconds(60));
  ASSERT_TRUE(final_status && final_status->value("state", "") == "uploaded")
      << (final_status ? final_status->dump() : "no status");
  EXPECT_TRUE(eventually([&] { return files_in(spool_dir_).empty(); }, std::chrono::seconds(30)));

  // Nothing refused ever became a job.
  auto jobs = read_topic(env.kafka_brokers, pipeline.topics().jobs);
  ASSERT_TRUE(jobs) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].key, pipeline.key_prefix() + "after.bin");
}

}  // namespace
}  // namespace upfleet::testing
