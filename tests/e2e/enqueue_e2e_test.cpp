// upfleetctl enqueue against the real broker: one job per file, in the order given, each with
// its file:// source, size and SHA-256; a missing file fails alone; a missing topic fails the
// command once, with nothing published.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/crypto/sha256.h"
#include "common/job.h"
#include "tests/support/child_process.h"
#include "tests/support/kafka_test_util.h"
#include "tests/support/test_env.h"

namespace upfleet::testing {
namespace {

std::string pattern(size_t size) {
  std::string text(size, '\0');
  for (size_t i = 0; i < size; ++i) text[i] = static_cast<char>((i * 31 + i / 7) % 251);
  return text;
}

class EnqueueTest : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& name, const std::string& bytes) {
    const auto path = dir_.path() / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  // stdout only, or with stderr (errors, and log lines such as a producer's warnings).
  std::string enqueue(const std::string& jobs_topic, const std::string& args, int& exit_code,
                      bool with_stderr = true) {
    return run_command("UPFLEET_KAFKA_TOPICS_JOBS=" + jobs_topic + " " +
                           built_binary("upfleetctl").string() + " enqueue " + args +
                           (with_stderr ? " 2>&1" : " 2>/dev/null"),
                       exit_code);
  }

  TempDir dir_{"upfleet-enqueue"};
};

TEST_F(EnqueueTest, PublishesOneJobPerFileInOrderWithSizeAndSha256) {
  UPFLEET_REQUIRE_SERVICES(env);
  const kafka::Topics topics = create_test_topics(env.kafka_brokers);
  const std::vector<std::pair<std::string, std::string>> files = {
      {"big.bin", pattern((3 << 20) + 5)}, {"empty.bin", ""}, {"small.txt", "hello"}};
  std::string args = "--prefix in/";
  for (const auto& [name, bytes] : files) args += " " + write(name, bytes).string();

  int exit_code = -1;
  const std::string output = enqueue(topics.jobs, args, exit_code, /*with_stderr=*/false);
  ASSERT_EQ(exit_code, 0) << output;
  std::istringstream lines(output);
  std::string line;
  for (const auto& [name, bytes] : files) {
    ASSERT_TRUE(std::getline(lines, line)) << output;
    const auto reply = nlohmann::json::parse(line);
    EXPECT_EQ(reply.at("key"), "in/" + name);
    EXPECT_EQ(reply.at("size"), bytes.size());
    EXPECT_EQ(reply.at("sha256"), crypto::sha256_hex(bytes));
  }

  auto records = read_topic(env.kafka_brokers, topics.jobs);
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), files.size());
  std::map<std::string, Job> jobs;
  for (const auto& record : *records) {
    auto job = parse_job(record.value);
    ASSERT_TRUE(job) << job.error().message;
    EXPECT_EQ(record.key, job->key);  // the message key is the object key
    jobs[job->key] = *job;
  }
  for (const auto& [name, bytes] : files) {
    ASSERT_TRUE(jobs.contains("in/" + name)) << name;
    const Job& job = jobs["in/" + name];
    EXPECT_EQ(job.source.size, bytes.size());
    EXPECT_EQ(job.source.sha256, crypto::sha256_hex(bytes));
    EXPECT_TRUE(job.source.uri.starts_with("file://")) << job.source.uri;
    EXPECT_TRUE(job.source.uri.ends_with(name)) << job.source.uri;
  }
}

TEST_F(EnqueueTest, MissingFileFailsAloneAndTheOthersArePublished) {
  UPFLEET_REQUIRE_SERVICES(env);
  const kafka::Topics topics = create_test_topics(env.kafka_brokers);
  const auto present = write("present.bin", "bytes");
  int exit_code = -1;
  const std::string output = enqueue(
      topics.jobs, (dir_.path() / "absent.bin").string() + " " + present.string(), exit_code);
  EXPECT_EQ(exit_code, 1) << output;
  EXPECT_NE(output.find("absent.bin"), std::string::npos) << output;
  auto records = read_topic(env.kafka_brokers, topics.jobs);
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].key, "present.bin");
}

TEST_F(EnqueueTest, MissingTopicFailsOnceAndPublishesNothing) {
  UPFLEET_REQUIRE_SERVICES(env);
  (void)env;  // upfleetctl finds the broker in the environment
  const std::string topic = "no-such-topic-" + unique_suffix();
  std::string args;
  for (int i = 0; i < 5; ++i) args += " " + write("f" + std::to_string(i), pattern(1000)).string();
  int exit_code = -1;
  const std::string output = enqueue(topic, args, exit_code);
  EXPECT_EQ(exit_code, 1) << output;
  const size_t first = output.find("does not exist");
  ASSERT_NE(first, std::string::npos) << output;
  EXPECT_EQ(output.find("does not exist", first + 1), std::string::npos)
      << "one error for the command, not one per file:\n"
      << output;
  EXPECT_EQ(output.find("\"upload_id\""), std::string::npos) << output;
}

}  // namespace
}  // namespace upfleet::testing
