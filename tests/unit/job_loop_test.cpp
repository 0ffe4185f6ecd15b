// JobLoop with fakes all around: status before commit, poison pills to the DLQ at once,
// bounded retries of transient failures, no retries of permanent ones, and redelivered jobs
// as no-ops.
#include "worker/job_loop.h"

#include <gtest/gtest.h>

#include <set>

#include "common/crypto/md5.h"
#include "common/crypto/sha256.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_job_source.h"
#include "tests/support/job_loop_harness.h"

namespace upfleet {
namespace {

using namespace std::chrono_literals;
using upfleet::testing::CommitRecord;
using upfleet::testing::FakeClock;
using upfleet::testing::FakeJobSource;
using upfleet::testing::InMemoryObjectStore;
using upfleet::testing::job_message;
using upfleet::testing::JobRunnerFixture;
using upfleet::testing::spooled_upload_job;
using Op = InMemoryObjectStore::Operation;

constexpr std::string_view kTopic = "upfleet.jobs";
constexpr int kMaxAttempts = 3;

class JobLoopTest : public JobRunnerFixture<InMemoryObjectStore, FakeClock> {
 protected:
  JobLoopTest() : JobRunnerFixture(BackoffPolicy{1ms, 1ms, kMaxAttempts}) {
    // Once every queued message is consumed, the loop stops.
    // Stop once everything consumed has finished (jobs run on the scheduler's threads).
    source_.set_on_idle([this] {
      if (loop_.idle()) loop_.stop();
    });
  }

  // An upload job whose bytes the opener serves.
  Job upload_job(const std::string& key, const std::string& data) {
    return spooled_upload_job(sources_, std::to_string(++next_id_), key, data);
  }

  JobMessage message(const std::string& key, std::string value, int64_t offset,
                     int32_t partition = 2) {
    return job_message(std::string(kTopic), partition, offset, key, std::move(value));
  }

  void push_job(const Job& job, int64_t offset) {
    source_.push(message(job.key, to_json(job), offset));
  }

  std::vector<int64_t> committed_offsets() const {
    std::vector<int64_t> offsets;
    for (const CommitRecord& commit : source_.commits()) {
      EXPECT_EQ(commit.topic, kTopic);
      offsets.push_back(commit.next_offset);
    }
    return offsets;
  }

  int next_id_ = 0;
  FakeJobSource source_;
  static JobLoopOptions loop_options() {
    JobLoopOptions options;
    options.commit_interval = 0ms;
    options.shutdown_grace = 10s;
    return options;
  }
  JobLoop loop_{source_, runner_, metrics_, loop_options(), clock_};
  std::atomic<bool> cancelled_{false};
  std::function<bool()> cancelled_fn_ = [this] { return cancelled_.load(); };
};

TEST_F(JobLoopTest, SuccessPublishesUploadedThenCommitsTheNextOffset) {
  const std::string data = "image bytes";
  const Job job = upload_job("photos/a.jpg", data);
  push_job(job, 41);
  std::vector<StatusEvent> statuses_at_commit;
  source_.set_on_commit([&](const CommitRecord&) { statuses_at_commit = statuses_.events(); });

  loop_.run();

  const auto events = statuses_.events();
  ASSERT_EQ(events.size(), 1u);
  const StatusEvent& event = events[0];
  EXPECT_EQ(event.state, UploadState::kUploaded);
  EXPECT_EQ(event.upload_id, job.upload_id);
  EXPECT_EQ(event.key, "photos/a.jpg");
  EXPECT_EQ(event.bucket, "media");
  EXPECT_EQ(event.etag, crypto::md5_hex(data));
  EXPECT_EQ(event.url, "memory://media/photos/a.jpg");
  EXPECT_EQ(event.size, data.size());
  EXPECT_EQ(store_.data({"media", "photos/a.jpg"}), data);

  const auto commits = source_.commits();
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(commits[0].topic, kTopic);
  EXPECT_EQ(commits[0].partition, 2);
  EXPECT_EQ(commits[0].next_offset, 42);
  // The status was confirmed before the offset moved past the job.
  ASSERT_EQ(statuses_at_commit.size(), 1u);
  EXPECT_EQ(statuses_at_commit[0].state, UploadState::kUploaded);
  EXPECT_TRUE(dead_letters_.letters().empty());
}

TEST_F(JobLoopTest, ProcessesSeveralMessagesAndCommitsPastAllOfThem) {
  push_job(upload_job("a.txt", "aaa"), 10);
  push_job(upload_job("b.txt", "bbbb"), 11);
  push_job(upload_job("c.txt", "c"), 12);
  loop_.run();
  // Different keys run concurrently, so statuses come in any order; the commit covers all.
  ASSERT_FALSE(committed_offsets().empty());
  EXPECT_EQ(committed_offsets().back(), 13);
  std::set<std::string> keys;
  for (const auto& event : statuses_.events()) keys.insert(event.key);
  EXPECT_EQ(keys, (std::set<std::string>{"a.txt", "b.txt", "c.txt"}));
  EXPECT_EQ(store_.object_count(), 3u);
}

TEST_F(JobLoopTest, MalformedJsonGoesToTheDeadLetterSinkAndIsCommitted) {
  source_.push(message("k", "{this is not json", 7));
  loop_.run();

  const auto letters = dead_letters_.letters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].stage, "parse");
  EXPECT_EQ(letters[0].attempts, 1);
  EXPECT_EQ(letters[0].error, "job is not valid JSON");
  EXPECT_EQ(letters[0].original.value, "{this is not json");  // unchanged, for replay
  EXPECT_EQ(letters[0].original.key, "k");
  EXPECT_EQ(letters[0].original.offset, 7);
  EXPECT_EQ(committed_offsets(), (std::vector<int64_t>{8}));
  EXPECT_TRUE(statuses_.events().empty());  // no upload id to report on
  EXPECT_EQ(store_.calls(Op::kPut), 0);
}

TEST_F(JobLoopTest, InvalidJobGoesToTheDeadLetterSinkNamingTheField) {
  source_.push(message("k", R"({"v":1,"job_id":"j","upload_id":"u","type":"upload"})", 3));
  push_job(upload_job("after-the-poison.txt", "ok"), 4);
  loop_.run();
  const auto letters = dead_letters_.letters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].stage, "parse");
  EXPECT_EQ(letters[0].error, "key: is required");
  // The poison pill does not block the partition: the commit moves past both.
  ASSERT_FALSE(committed_offsets().empty());
  EXPECT_EQ(committed_offsets().back(), 5);
  EXPECT_EQ(statuses_.events().size(), 1u);
}

TEST_F(JobLoopTest, RetryableFailureIsRetriedMaxAttemptsThenDeadLettered) {
  const Job job = upload_job("flaky.bin", "data");
  for (int i = 0; i < kMaxAttempts; ++i) {
    store_.inject_failure(Op::kPut, Error::transient(ErrorCode::kUnavailable, "503 SlowDown"));
  }
  push_job(job, 20);
  loop_.run();

  EXPECT_EQ(store_.calls(Op::kPut), kMaxAttempts);
  const auto letters = dead_letters_.letters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].stage, "upload");
  EXPECT_EQ(letters[0].attempts, kMaxAttempts);
  EXPECT_EQ(letters[0].error, "storing object: 503 SlowDown");
  EXPECT_EQ(letters[0].original.value, to_json(job));

  const auto events = statuses_.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state, UploadState::kDeadLettered);
  EXPECT_EQ(events[0].upload_id, job.upload_id);
  EXPECT_EQ(events[0].key, "flaky.bin");
  EXPECT_EQ(events[0].bucket, "media");
  EXPECT_EQ(events[0].stage, "upload");
  EXPECT_EQ(events[0].reason, "storing object: 503 SlowDown");
  EXPECT_TRUE(events[0].retryable);
  EXPECT_EQ(events[0].attempt, kMaxAttempts);
  EXPECT_EQ(events[0].at, format_rfc3339(clock_.now()));
  EXPECT_EQ(committed_offsets(), (std::vector<int64_t>{21}));
  EXPECT_EQ(store_.object_count(), 0u);
}

TEST_F(JobLoopTest, RetryableFailureThatClearsSucceedsWithoutDeadLetter) {
  const Job job = upload_job("recovers.bin", "data");
  for (int i = 0; i < kMaxAttempts - 1; ++i) {
    store_.inject_failure(Op::kPut, Error::transient(ErrorCode::kTimeout, "timed out"));
  }
  push_job(job, 0);
  loop_.run();
  EXPECT_EQ(store_.calls(Op::kPut), kMaxAttempts);
  EXPECT_TRUE(dead_letters_.letters().empty());
  const auto events = statuses_.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state, UploadState::kUploaded);
  EXPECT_EQ(events[0].attempt, kMaxAttempts - 1);  // 0-based attempt that succeeded
  EXPECT_EQ(committed_offsets(), (std::vector<int64_t>{1}));
}

TEST_F(JobLoopTest, PermanentFailureIsDeadLetteredAfterOneAttempt) {
  const Job job = upload_job("denied.bin", "data");
  store_.inject_failure(Op::kPut, Error::permanent(ErrorCode::kPermissionDenied, "AccessDenied"));
  push_job(job, 5);
  loop_.run();

  EXPECT_EQ(store_.calls(Op::kPut), 1);
  const auto letters = dead_letters_.letters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].attempts, 1);
  EXPECT_EQ(letters[0].stage, "upload");
  const auto events = statuses_.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state, UploadState::kDeadLettered);
  EXPECT_FALSE(events[0].retryable);
  EXPECT_EQ(events[0].attempt, 1);
  EXPECT_EQ(committed_offsets(), (std::vector<int64_t>{6}));
}

TEST_F(JobLoopTest, ObjectAlreadyStoredWithSameChecksumIsSkipped) {
  const std::string data = "already there";
  const Job job = upload_job("stored.bin", data);
  PutOptions options;
  options.metadata = {{"sha256", crypto::sha256_hex(data)}};
  store_.seed({"media", "stored.bin"}, data, options);
  push_job(job, 9);
  loop_.run();

  EXPECT_EQ(store_.calls(Op::kPut), 0);
  const auto events = statuses_.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state, UploadState::kUploaded);
  EXPECT_EQ(events[0].etag, crypto::md5_hex(data));
  EXPECT_EQ(committed_offsets(), (std::vector<int64_t>{10}));
  EXPECT_TRUE(dead_letters_.letters().empty());
}

TEST_F(JobLoopTest, RedeliveredJobIsANoOp) {
  const Job job = upload_job("twice.bin", "same bytes");
  push_job(job, 0);
  push_job(job, 1);
  loop_.run();
  EXPECT_EQ(store_.calls(Op::kPut), 1);
  EXPECT_EQ(statuses_.events().size(), 2u);
  ASSERT_FALSE(committed_offsets().empty());
  EXPECT_EQ(committed_offsets().back(), 2);
}

TEST_F(JobLoopTest, OnlyMessagesProducedAfterAssignmentSkipTheExistenceCheck) {
  const TopicPartition partition{std::string(kTopic), 2};
  source_.set_high_watermark(partition, 5);
  source_.queue_assign({partition});
  const Job older = upload_job("older.bin", "written before the assignment");
  const Job newer = upload_job("newer.bin", "written after it");
  push_job(older, 4);  // may have reached an earlier owner
  push_job(newer, 5);  // cannot have
  push_job(newer, 5);  // the same message again (a seek back): a possible repeat
  loop_.run();

  EXPECT_EQ(metrics_.existence_checks_skipped.Value(), 1);
  EXPECT_EQ(store_.calls(Op::kPut), 2) << "the repeat found its object and stored nothing";
  // older: check + verify; newer: verify; its repeat: check (same content, done).
  EXPECT_EQ(store_.calls(Op::kHead), 4);
  ASSERT_FALSE(committed_offsets().empty());
  EXPECT_EQ(committed_offsets().back(), 6);
}

TEST_F(JobLoopTest, WithoutAKnownWatermarkEveryJobKeepsTheExistenceCheck) {
  source_.queue_assign({{std::string(kTopic), 2}});  // no watermark answered
  push_job(upload_job("a.bin", "a"), 100);
  loop_.run();
  EXPECT_EQ(metrics_.existence_checks_skipped.Value(), 0);
  EXPECT_EQ(store_.calls(Op::kHead), 2);
}

TEST_F(JobLoopTest, RetriedAttemptOfAFirstDeliveryChecksForTheObject) {
  const TopicPartition partition{std::string(kTopic), 2};
  source_.set_high_watermark(partition, 0);
  source_.queue_assign({partition});
  // The first attempt's PUT fails after (as far as the worker knows) maybe storing it.
  store_.inject_failure(Op::kPut, Error::transient(ErrorCode::kUnavailable, "503"));
  push_job(upload_job("retried.bin", "bytes"), 0);
  loop_.run();
  EXPECT_EQ(store_.calls(Op::kPut), 2);
  // Attempt 1: no check, failed PUT. Attempt 2: check, PUT, verify.
  EXPECT_EQ(store_.calls(Op::kHead), 2);
  EXPECT_EQ(metrics_.existence_checks_skipped.Value(), 0);
  EXPECT_TRUE(dead_letters_.letters().empty());
}

TEST_F(JobLoopTest, DeleteJobDeletesTheObjectAndReportsDone) {
  store_.seed({"media", "old.bin"}, "old");
  Job job;
  job.job_id = "job-delete";
  job.upload_id = "upload-delete";
  job.type = JobType::kDelete;
  job.key = "old.bin";
  push_job(job, 0);
  loop_.run();
  EXPECT_EQ(store_.data({"media", "old.bin"}), std::nullopt);
  const auto events = statuses_.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state, UploadState::kDone);
  EXPECT_EQ(events[0].key, "old.bin");
  EXPECT_EQ(committed_offsets(), (std::vector<int64_t>{1}));
}

TEST_F(JobLoopTest, DeadLetterSinkFailureIsRetriedUntilStored) {
  dead_letters_.fail_next(Error::transient(ErrorCode::kUnavailable, "dlq broker down"));
  dead_letters_.fail_next(Error::transient(ErrorCode::kUnavailable, "dlq broker down"));
  source_.push(message("k", "garbage", 0));
  loop_.run();
  EXPECT_EQ(dead_letters_.calls(), 3);
  EXPECT_EQ(dead_letters_.letters().size(), 1u);
  EXPECT_EQ(committed_offsets(), (std::vector<int64_t>{1}));
}

TEST_F(JobLoopTest, StatusSinkFailureIsRetriedBeforeCommitting) {
  statuses_.fail_next(Error::transient(ErrorCode::kTimeout, "status not confirmed"));
  push_job(upload_job("s.bin", "x"), 0);
  loop_.run();
  EXPECT_EQ(statuses_.calls(), 2);
  EXPECT_EQ(statuses_.events().size(), 1u);
  EXPECT_EQ(committed_offsets(), (std::vector<int64_t>{1}));
}

TEST_F(JobLoopTest, FailedCommitDoesNotStopTheLoop) {
  source_.fail_next_commit(Error::transient(ErrorCode::kUnavailable, "coordinator moved"));
  push_job(upload_job("a.bin", "a"), 0);
  push_job(upload_job("b.bin", "b"), 1);
  loop_.run();
  // The failed commit is offered again; the last one covers both jobs.
  ASSERT_FALSE(committed_offsets().empty());
  EXPECT_EQ(committed_offsets().back(), 2);
  EXPECT_EQ(statuses_.events().size(), 2u);
}

TEST_F(JobLoopTest, StoppingDuringRetriesNeitherDeadLettersNorReportsDone) {
  store_.inject_failure(Op::kPut, Error::transient(ErrorCode::kUnavailable, "503"));
  cancelled_ = true;
  EXPECT_FALSE(runner_.run(message("k.bin", to_json(upload_job("k.bin", "k")), 0), cancelled_fn_));
  EXPECT_EQ(store_.calls(Op::kPut), 1);
  EXPECT_TRUE(dead_letters_.letters().empty());
  EXPECT_TRUE(statuses_.events().empty());
}

// Regression: a job that finishes during the shutdown grace still gets its status published
// (and so may be committed), instead of being redelivered for nothing.
TEST_F(JobLoopTest, JobFinishingAfterStopStillPublishesItsStatus) {
  cancelled_ = true;
  EXPECT_TRUE(
      runner_.run(message("g.bin", to_json(upload_job("g.bin", "grace")), 0), cancelled_fn_));
  const auto events = statuses_.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state, UploadState::kUploaded);
}

TEST_F(JobLoopTest, ProcessReturnsTrueForAFinishedJob) {
  EXPECT_TRUE(runner_.run(message("p.bin", to_json(upload_job("p.bin", "p")), 0), cancelled_fn_));
  EXPECT_TRUE(source_.commits().empty());  // committing is run()'s job
  EXPECT_EQ(statuses_.events().size(), 1u);
}

}  // namespace
}  // namespace upfleet
