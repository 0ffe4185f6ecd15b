// How long spooled uploads live: the janitor expires held uploads past spool.ttl (with a
// `failed` event for their clients), DiskSpool::list(), and a manifest never outliving its
// bytes when the upload is removed while the manifest is rewritten.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "common/ids.h"
#include "producer/disk_spool.h"
#include "producer/spool_janitor.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_status_sink.h"
#include "tests/support/test_env.h"

namespace upfleet {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::FakeClock;
using testing::FakeStatusSink;
using testing::files_in;
using testing::spool_entries;
using testing::TempDir;

constexpr std::chrono::milliseconds kTtl = std::chrono::hours(24 * 7);

class SpoolLifetimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto spool = DiskSpool::open({dir_.path() / "spool", 1 << 20, /*min_free_bytes=*/0});
    ASSERT_TRUE(spool.has_value()) << spool.error().message;
    spool_ = std::move(*spool);
  }

  SpoolJanitor janitor(std::chrono::milliseconds ttl = kTtl) {
    return SpoolJanitor(SpoolJanitorOptions{.ingest_id = "ingest-a", .ttl = ttl}, *spool_,
                        statuses_, view_, metrics_, clock_);
  }

  // A committed upload whose manifest says it arrived at `created_at`.
  SpoolManifest hold(std::string_view data, std::chrono::system_clock::time_point created_at,
                     SpoolState state = SpoolState::kPublished) {
    SpoolManifest manifest;
    manifest.upload_id = new_id();
    manifest.job_id = new_id();
    manifest.bucket = "media";
    manifest.key = "held/" + manifest.upload_id + ".bin";
    manifest.created_at = format_rfc3339(created_at);
    manifest.state = state;
    auto writer = spool_->create(manifest.upload_id, 1 << 20);
    EXPECT_TRUE(writer.has_value());
    EXPECT_TRUE((*writer)->write(std::as_bytes(std::span(data.data(), data.size()))));
    auto committed = (*writer)->commit();
    EXPECT_TRUE(committed.has_value());
    manifest.size = committed->size;
    manifest.sha256 = committed->sha256;
    EXPECT_TRUE(spool_->write_manifest(manifest).has_value());
    return manifest;
  }

  bool held(const SpoolManifest& manifest) const {
    return fs::exists(spool_->data_path(manifest.upload_id)) &&
           spool_->read_manifest(manifest.upload_id).has_value();
  }

  fs::path spool_dir() const { return dir_.path() / "spool"; }

  TempDir dir_;
  std::unique_ptr<DiskSpool> spool_;
  FakeClock clock_;
  FakeStatusSink statuses_;
  StatusView view_;
  IngestMetrics metrics_{std::make_shared<prometheus::Registry>()};
};

TEST_F(SpoolLifetimeTest, ExpiresOnlyUploadsOlderThanTheTtlAndReportsThemFailed) {
  const auto start = clock_.now();
  const SpoolManifest old_upload = hold("old bytes", start);
  const SpoolManifest old_spooled = hold("never published", start, SpoolState::kSpooled);
  const SpoolManifest young = hold("young bytes", start + std::chrono::hours(24 * 3));
  auto sweeper = janitor();

  clock_.advance(kTtl - 1ms);
  EXPECT_EQ(sweeper.sweep(), 0u);
  EXPECT_TRUE(statuses_.events().empty());

  clock_.advance(1ms);  // exactly the TTL old
  EXPECT_EQ(sweeper.sweep(), 2u);
  EXPECT_FALSE(held(old_upload));
  EXPECT_FALSE(held(old_spooled));
  EXPECT_TRUE(held(young));
  EXPECT_EQ(spool_entries(spool_dir()),
            (std::set<std::string>{young.upload_id + ".data", young.upload_id + ".json"}));
  EXPECT_EQ(spool_->usage().files, 1u);
  EXPECT_EQ(spool_->usage().bytes, young.size);
  EXPECT_EQ(metrics_.spool_expired.Value(), 2.0);

  const auto events = statuses_.events();
  ASSERT_EQ(events.size(), 2u);
  std::set<std::string> reported;
  for (const StatusEvent& event : events) {
    reported.insert(event.upload_id);
    EXPECT_EQ(event.state, UploadState::kFailed);
    EXPECT_EQ(event.stage, "ingest");
    EXPECT_EQ(event.reason, "spool TTL expired before the upload finished");
    EXPECT_FALSE(event.retryable);
    EXPECT_EQ(event.ingest_id, "ingest-a");
    EXPECT_EQ(event.at, format_rfc3339(clock_.now()));
  }
  EXPECT_EQ(reported, (std::set<std::string>{old_upload.upload_id, old_spooled.upload_id}));
  for (const StatusEvent& event : events) {
    const SpoolManifest& source =
        event.upload_id == old_upload.upload_id ? old_upload : old_spooled;
    EXPECT_EQ(event.key, source.key);
    EXPECT_EQ(event.job_id, source.job_id);
    EXPECT_EQ(event.bucket, source.bucket);
    EXPECT_EQ(event.size, source.size);
    EXPECT_EQ(event.sha256, source.sha256);
  }

  // The young one goes once it, too, is a TTL old; expired ones are not reported twice.
  clock_.advance(std::chrono::hours(24 * 3));
  EXPECT_EQ(sweeper.sweep(), 1u);
  EXPECT_TRUE(spool_entries(spool_dir()).empty());
  EXPECT_EQ(statuses_.events().size(), 3u);
  EXPECT_EQ(metrics_.spool_expired.Value(), 3.0);
}

TEST_F(SpoolLifetimeTest, ZeroTtlNeverExpires) {
  const SpoolManifest upload = hold("kept", clock_.now());
  auto sweeper = janitor(0ms);
  clock_.advance(std::chrono::hours(24 * 365));
  EXPECT_EQ(sweeper.sweep(), 0u);
  EXPECT_TRUE(held(upload));
  EXPECT_TRUE(statuses_.events().empty());
}

TEST_F(SpoolLifetimeTest, UploadStaysUntilItsFailedEventIsConfirmed) {
  const SpoolManifest upload = hold("bytes", clock_.now());
  auto sweeper = janitor();
  clock_.advance(kTtl);
  statuses_.fail_next(Error::transient(ErrorCode::kUnavailable, "broker down"));
  EXPECT_EQ(sweeper.sweep(), 0u);
  EXPECT_TRUE(held(upload)) << "deleted without telling the client";
  EXPECT_EQ(metrics_.spool_expired.Value(), 0.0);

  EXPECT_EQ(sweeper.sweep(), 1u);
  EXPECT_FALSE(held(upload));
  ASSERT_EQ(statuses_.events().size(), 1u);
  EXPECT_EQ(statuses_.events()[0].upload_id, upload.upload_id);
}

TEST_F(SpoolLifetimeTest, StoredUploadIsDeletedWithoutAFailedEvent) {
  const SpoolManifest upload = hold("bytes", clock_.now());
  StatusEvent uploaded;
  uploaded.upload_id = upload.upload_id;
  uploaded.state = UploadState::kUploaded;
  uploaded.key = upload.key;
  view_.apply(uploaded);
  auto sweeper = janitor();
  clock_.advance(kTtl);
  EXPECT_EQ(sweeper.sweep(), 0u);
  EXPECT_FALSE(held(upload));
  EXPECT_TRUE(statuses_.events().empty());
  EXPECT_EQ(metrics_.spool_expired.Value(), 0.0);
  EXPECT_EQ(metrics_.spool_deleted.Value(), 1.0);
}

TEST_F(SpoolLifetimeTest, DeadLetteredUploadExpiresToo) {
  const SpoolManifest upload = hold("bytes", clock_.now());
  StatusEvent dead;
  dead.upload_id = upload.upload_id;
  dead.state = UploadState::kDeadLettered;
  view_.apply(dead);
  auto sweeper = janitor();
  clock_.advance(kTtl);
  EXPECT_EQ(sweeper.sweep(), 1u);
  EXPECT_FALSE(held(upload));
}

TEST_F(SpoolLifetimeTest, ManifestWithoutReadableCreatedAtIsKept) {
  SpoolManifest upload = hold("bytes", clock_.now());
  upload.created_at = "yesterday";
  ASSERT_TRUE(spool_->write_manifest(upload).has_value());
  auto sweeper = janitor();
  clock_.advance(kTtl * 2);
  EXPECT_EQ(sweeper.sweep(), 0u);
  EXPECT_TRUE(held(upload));
}

TEST_F(SpoolLifetimeTest, RunStopsWhenAsked) {
  const SpoolManifest upload = hold("bytes", clock_.now());
  clock_.advance(kTtl);
  auto sweeper = janitor();
  std::jthread runner([&sweeper](std::stop_token stop) { sweeper.run(stop); });
  runner.request_stop();
  runner.join();  // returns although the interval is a minute
  // Whether the first sweep ran before the stop is a race; either outcome is consistent.
  EXPECT_EQ(held(upload), statuses_.events().empty());
}

TEST_F(SpoolLifetimeTest, ListReturnsHeldUploadsWithoutSideEffects) {
  const SpoolManifest a = hold("aaa", clock_.now());
  const SpoolManifest b = hold("bbbb", clock_.now(), SpoolState::kSpooled);
  // Leftovers that only recovery at start may touch.
  std::ofstream(spool_dir() / "0191d2f0a1b2ffffeeeeddddccccbbbb.part") << "half";
  std::ofstream(spool_dir() / "0191d2f0a1b2ffffeeeeddddccccaaaa.json")
      << R"({"upload_id":"0191d2f0a1b2ffffeeeeddddccccaaaa","key":"k"})";
  const auto before = spool_entries(spool_dir());
  auto listed = spool_->list();
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  std::set<std::string> ids;
  for (const auto& manifest : *listed) ids.insert(manifest.upload_id);
  EXPECT_EQ(ids, (std::set<std::string>{a.upload_id, b.upload_id}));
  EXPECT_EQ(spool_entries(spool_dir()), before);
}

TEST_F(SpoolLifetimeTest, ManifestIsNotWrittenForRemovedBytes) {
  SpoolManifest upload = hold("bytes", clock_.now(), SpoolState::kSpooled);
  ASSERT_TRUE(spool_->remove(upload.upload_id).has_value());
  upload.state = SpoolState::kPublished;
  auto written = spool_->write_manifest(upload);
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(spool_entries(spool_dir()).empty());
}

// The `uploaded` of a fast worker can arrive while the ingest still marks the manifest
// published: whichever wins, no manifest may stay behind without its bytes.
TEST_F(SpoolLifetimeTest, RemoveRacingAManifestRewriteLeavesNothing) {
  constexpr int kRounds = 50;
  for (int round = 0; round < kRounds; ++round) {
    SpoolManifest upload = hold("bytes", clock_.now(), SpoolState::kSpooled);
    upload.state = SpoolState::kPublished;
    std::jthread remover([&] { (void)spool_->remove(upload.upload_id); });
    (void)spool_->write_manifest(upload);
    remover.join();
    ASSERT_TRUE(spool_entries(spool_dir()).empty()) << "round " << round;
  }
  EXPECT_EQ(spool_->usage().files, 0u);
  EXPECT_EQ(spool_->usage().bytes, 0u);
}

TEST_F(SpoolLifetimeTest, RecoverRemovesPartialFilesOfACrashedRequest) {
  std::ofstream(spool_dir() / "0191d2f0a1b2ffffeeeeddddccccbbbb.part") << "half a body";
  std::ofstream(spool_dir() / "0191d2f0a1b2ffffeeeeddddccccbbbb.json.tmp") << "{";
  const SpoolManifest upload = hold("bytes", clock_.now());
  auto recovered = spool_->recover();
  ASSERT_TRUE(recovered.has_value());
  EXPECT_EQ(spool_entries(spool_dir()),
            (std::set<std::string>{upload.upload_id + ".data", upload.upload_id + ".json"}));
}

// The HTTP server takes uploads while the start-up recovery runs: a request in progress must
// keep its partial file, commit it and write its manifest afterwards.
TEST_F(SpoolLifetimeTest, RecoverLeavesUploadsInProgressAlone) {
  const std::string id = new_id();
  auto writer = spool_->create(id, 1 << 20);
  ASSERT_TRUE(writer.has_value());
  const std::string first = "first half ";
  ASSERT_TRUE((*writer)->write(std::as_bytes(std::span(first.data(), first.size()))));
  auto recovered = spool_->recover();
  ASSERT_TRUE(recovered.has_value());
  EXPECT_TRUE(recovered->empty());
  EXPECT_EQ(spool_entries(spool_dir()), (std::set<std::string>{id + ".part"}));
  EXPECT_EQ(spool_->usage().bytes, first.size());

  const std::string second = "second half";
  ASSERT_TRUE((*writer)->write(std::as_bytes(std::span(second.data(), second.size()))));
  auto committed = (*writer)->commit();
  ASSERT_TRUE(committed.has_value()) << committed.error().message;
  // Committed but its manifest not yet written: still the request's, not a leftover.
  ASSERT_TRUE(spool_->recover().has_value());
  EXPECT_EQ(spool_->usage().files, 1u);
  SpoolManifest manifest;
  manifest.upload_id = id;
  manifest.key = "in-progress.bin";
  manifest.created_at = format_rfc3339(clock_.now());
  ASSERT_TRUE(spool_->write_manifest(manifest).has_value());
  writer->reset();
  EXPECT_EQ(spool_->usage().files, 1u);
  EXPECT_EQ(spool_->usage().bytes, first.size() + second.size());
  EXPECT_EQ(spool_entries(spool_dir()), (std::set<std::string>{id + ".data", id + ".json"}));
}

// Regression: recovery used to reset the byte count under a live writer, whose later discard
// then wrapped the counter around, and every upload after that got 507.
TEST_F(SpoolLifetimeTest, AbandonedWriterAfterRecoverDoesNotWrapTheByteCount) {
  {
    auto writer = spool_->create(new_id(), 1 << 20);
    ASSERT_TRUE(writer.has_value());
    const std::string data = "abandoned";
    ASSERT_TRUE((*writer)->write(std::as_bytes(std::span(data.data(), data.size()))));
    ASSERT_TRUE(spool_->recover().has_value());
  }
  EXPECT_EQ(spool_->usage().bytes, 0u);
  EXPECT_TRUE(spool_entries(spool_dir()).empty());
  EXPECT_TRUE(spool_->create(new_id(), 1 << 20).has_value()) << "spool refuses uploads";
}

}  // namespace
}  // namespace upfleet
