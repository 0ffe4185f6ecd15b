// DiskSpool on a temp dir: committed bytes and their checksum, nothing left behind by failed
// or abandoned writes, the high-water mark, manifests, and startup recovery.
#include "producer/disk_spool.h"

#include <gtest/gtest.h>
#include <sys/xattr.h>

#include <algorithm>
#include <new>
#include <set>
#include <string>

#include "common/crypto/sha256.h"
#include "tests/support/test_env.h"

namespace upfleet {
namespace {

namespace fs = std::filesystem;
using upfleet::testing::files_in;
using upfleet::testing::read_file;
using upfleet::testing::spool_entries;
using upfleet::testing::TempDir;
using upfleet::testing::write_file;

constexpr std::string_view kId = "0191d2f0a1b2ffffeeeeddddccccbbbb";

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

std::string read_all(ByteSource& source) {
  std::string out(source.size(), '\0');
  auto got = source.read_at(0, std::as_writable_bytes(std::span(out.data(), out.size())));
  EXPECT_TRUE(got.has_value());
  out.resize(got.value_or(0));
  return out;
}

// The error code of a failed result; a success fails the test (and returns kInternal).
template <class Result>
ErrorCode error_code(const Result& result) {
  if (result.has_value()) {
    ADD_FAILURE() << "expected an error, got success";
    return ErrorCode::kInternal;
  }
  return result.error().code;
}

SpoolManifest manifest_for(std::string_view id, SpoolState state = SpoolState::kSpooled) {
  SpoolManifest manifest;
  manifest.upload_id = std::string(id);
  manifest.job_id = "job-" + std::string(id);
  manifest.bucket = "media";
  manifest.key = "photos/café.jpg";
  manifest.content_type = "image/jpeg";
  manifest.sha256 = std::string(64, 'f');
  manifest.size = 11;
  manifest.created_at = "2026-01-02T03:04:05.000Z";
  manifest.metadata = {{"origin", "camera"}};
  manifest.state = state;
  return manifest;
}

class DiskSpoolTest : public ::testing::Test {
 protected:
  std::unique_ptr<DiskSpool> open_spool(uint64_t max_bytes = 1 << 20) {
    auto spool = DiskSpool::open({dir_.path() / "spool", max_bytes, /*min_free_bytes=*/0});
    EXPECT_TRUE(spool.has_value()) << spool.error().message;
    return spool ? std::move(*spool) : nullptr;
  }

  // Writes `data` to a new upload and commits it.
  SpooledFile spool_bytes(DiskSpool& spool, std::string_view id, std::string_view data) {
    auto writer = spool.create(id, 1 << 20);
    EXPECT_TRUE(writer.has_value()) << writer.error().message;
    EXPECT_TRUE((*writer)->write(bytes_of(data)).has_value());
    auto committed = (*writer)->commit();
    EXPECT_TRUE(committed.has_value()) << committed.error().message;
    return committed.value_or(SpooledFile{});
  }

  fs::path spool_dir() const { return dir_.path() / "spool"; }

  TempDir dir_;
};

TEST_F(DiskSpoolTest, OpenCreatesTheDirectory) {
  auto spool = open_spool();
  ASSERT_NE(spool, nullptr);
  EXPECT_TRUE(fs::is_directory(spool_dir()));
  EXPECT_EQ(spool->usage().bytes, 0u);
  EXPECT_EQ(spool->usage().files, 0u);
}

TEST_F(DiskSpoolTest, OpenFailsWhenTheDirectoryCannotBeCreated) {
  write_file(dir_.path() / "file", "x");
  auto spool = DiskSpool::open({dir_.path() / "file" / "spool", 1 << 20, 0});
  ASSERT_FALSE(spool.has_value());
  EXPECT_EQ(spool.error().code, ErrorCode::kIo);
  EXPECT_NE(spool.error().message.find("spool.dir"), std::string::npos);
}

TEST_F(DiskSpoolTest, CommitGivesSizeAndSha256AndDataFile) {
  auto spool = open_spool();
  const std::string data = "hello, spool\n" + std::string(100'000, 'z');
  auto writer = spool->create(kId, 1 << 20);
  ASSERT_TRUE(writer.has_value()) << writer.error().message;
  // In several writes, as the HTTP handler does.
  ASSERT_TRUE((*writer)->write(bytes_of(std::string_view(data).substr(0, 7))).has_value());
  ASSERT_TRUE((*writer)->write(bytes_of(std::string_view(data).substr(7))).has_value());
  EXPECT_EQ((*writer)->bytes_written(), data.size());
  EXPECT_EQ(spool_entries(spool_dir()), (std::set<std::string>{std::string(kId) + ".part"}));

  auto committed = (*writer)->commit();
  ASSERT_TRUE(committed.has_value()) << committed.error().message;
  EXPECT_EQ(committed->size, data.size());
  EXPECT_EQ(committed->sha256, crypto::sha256_hex(data));
  EXPECT_EQ(spool_entries(spool_dir()), (std::set<std::string>{std::string(kId) + ".data"}));
  EXPECT_EQ(read_file(spool->data_path(kId)), data);
  EXPECT_EQ(spool->data_path(kId), spool_dir() / (std::string(kId) + ".data"));
  EXPECT_EQ(spool->usage().bytes, data.size());
  EXPECT_EQ(spool->usage().files, 1u);

  writer->reset();  // destroying a committed writer keeps the file
  EXPECT_TRUE(fs::exists(spool->data_path(kId)));
}

// Write-behind and dropping committed pages are hints to the kernel: the bytes and checksum
// must come out the same whatever the window, including writes that span several windows.
TEST_F(DiskSpoolTest, WriteBehindKeepsBytesAndChecksum) {
  for (const bool drop_pages : {true, false}) {
    TempDir dir;
    DiskSpoolOptions options{dir.path() / "spool", 1 << 20, /*min_free_bytes=*/0};
    options.write_behind_bytes = 4096;
    options.drop_committed_pages = drop_pages;
    auto spool = DiskSpool::open(options);
    ASSERT_TRUE(spool.has_value()) << spool.error().message;
    std::string data;
    for (int i = 0; i < 50'000; ++i) data += std::to_string(i);
    auto writer = (*spool)->create(kId, 1 << 20);
    ASSERT_TRUE(writer.has_value()) << writer.error().message;
    size_t offset = 0;
    for (const size_t size : {100, 4000, 12'289, 1, 30'000}) {
      ASSERT_TRUE((*writer)->write(bytes_of(std::string_view(data).substr(offset, size))));
      offset += size;
    }
    ASSERT_TRUE((*writer)->write(bytes_of(std::string_view(data).substr(offset))));
    auto committed = (*writer)->commit();
    ASSERT_TRUE(committed.has_value()) << committed.error().message;
    EXPECT_EQ(committed->size, data.size());
    EXPECT_EQ(committed->sha256, crypto::sha256_hex(data));
    EXPECT_EQ(read_file((*spool)->data_path(kId)), data);
  }
}

// Chunks of 1 MiB or more in page-aligned memory, of whole 4 KiB blocks at aligned offsets,
// go with O_DIRECT;
// the rest buffered, to the same file. Mixed in any order, the bytes and checksum are the
// same as with direct I/O off.
TEST_F(DiskSpoolTest, DirectIoChunksKeepBytesAndChecksum) {
  constexpr size_t kChunk = 1024 * 1024;
  struct AlignedFree {
    void operator()(char* p) const { ::operator delete[](p, std::align_val_t{4096}); }
  };
  std::unique_ptr<char[], AlignedFree> aligned(new (std::align_val_t{4096}) char[kChunk]);
  for (const bool direct : {true, false}) {
    TempDir dir;
    DiskSpoolOptions options{dir.path() / "spool", 1 << 30, /*min_free_bytes=*/0};
    options.direct_io = direct;
    auto spool = DiskSpool::open(options);
    ASSERT_TRUE(spool.has_value()) << spool.error().message;
    auto writer = (*spool)->create(kId, 8 << 20);
    ASSERT_TRUE(writer.has_value()) << writer.error().message;
    std::string expected;
    // aligned (direct), aligned (direct), short (buffered), aligned memory at an unaligned
    // offset (buffered), a short tail.
    for (const size_t size : {kChunk, kChunk, size_t{1000}, kChunk, size_t{77}}) {
      for (size_t i = 0; i < size; ++i) {
        aligned[i] = static_cast<char>('a' + (expected.size() + i) % 23);
      }
      const std::string_view chunk(aligned.get(), size);
      ASSERT_TRUE((*writer)->write(bytes_of(chunk))) << "direct " << direct;
      expected += chunk;
    }
    auto committed = (*writer)->commit();
    ASSERT_TRUE(committed.has_value()) << committed.error().message;
    EXPECT_EQ(committed->size, expected.size());
    EXPECT_EQ(committed->sha256, crypto::sha256_hex(expected));
    EXPECT_EQ(read_file((*spool)->data_path(kId)), expected) << "direct " << direct;
  }
}

TEST_F(DiskSpoolTest, EmptyUploadHasTheEmptySha256) {
  auto spool = open_spool();
  const SpooledFile file = spool_bytes(*spool, kId, "");
  EXPECT_EQ(file.size, 0u);
  EXPECT_EQ(file.sha256, crypto::kEmptySha256Hex);
}

TEST_F(DiskSpoolTest, WriterDestroyedWithoutCommitLeavesNothing) {
  auto spool = open_spool();
  {
    auto writer = spool->create(kId, 1 << 20);
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE((*writer)->write(bytes_of("partial bytes")).has_value());
    EXPECT_EQ(spool->usage().bytes, 13u);
  }
  EXPECT_TRUE(spool_entries(spool_dir()).empty());
  EXPECT_EQ(spool->usage().bytes, 0u);
  EXPECT_EQ(spool->usage().files, 0u);
}

TEST_F(DiskSpoolTest, WritingPastMaxBytesIsTooLargeAndLeavesNothing) {
  auto spool = open_spool();
  {
    auto writer = spool->create(kId, 10);
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE((*writer)->write(bytes_of("123456")).has_value());
    auto status = (*writer)->write(bytes_of("78901"));
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(status.error().code, ErrorCode::kTooLarge);
    EXPECT_FALSE(status.error().retryable);
    EXPECT_EQ((*writer)->bytes_written(), 6u);
  }
  EXPECT_TRUE(spool_entries(spool_dir()).empty());
  EXPECT_EQ(spool->usage().bytes, 0u);
}

TEST_F(DiskSpoolTest, ExactlyMaxBytesIsAccepted) {
  auto spool = open_spool();
  auto writer = spool->create(kId, 10);
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE((*writer)->write(bytes_of("1234567890")).has_value());
  auto committed = (*writer)->commit();
  ASSERT_TRUE(committed.has_value());
  EXPECT_EQ(committed->size, 10u);
}

TEST_F(DiskSpoolTest, CreateIsRefusedAboveTheHighWaterMark) {
  auto spool = open_spool(/*max_bytes=*/16);
  spool_bytes(*spool, "aaaa", "0123456789");  // 10 of 16: still below
  auto second = spool->create("bbbb", 1 << 20);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  ASSERT_TRUE((*second)->write(bytes_of("0123456")).has_value());
  ASSERT_TRUE((*second)->commit().has_value());  // 17 bytes held now

  auto refused = spool->create("cccc", 1 << 20);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_TRUE(refused.error().retryable);
  EXPECT_NE(refused.error().message.find("spool.max_bytes"), std::string::npos);
  EXPECT_FALSE(fs::exists(spool_dir() / "cccc.part"));

  // Removing an upload frees room again.
  ASSERT_TRUE(spool->remove("bbbb").has_value());
  EXPECT_EQ(spool->usage().bytes, 10u);
  EXPECT_TRUE(spool->create("cccc", 1 << 20).has_value());
}

TEST_F(DiskSpoolTest, CreateIsRefusedWhenFreeSpaceIsBelowMinimum) {
  auto spool = DiskSpool::open({spool_dir(), 1 << 20, /*min_free_bytes=*/UINT64_MAX});
  ASSERT_TRUE(spool.has_value());
  auto refused = (*spool)->create(kId, 10);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(refused.error().message.find("spool.min_free_bytes"), std::string::npos);
}

TEST_F(DiskSpoolTest, SameIdTwiceIsRefused) {
  auto spool = open_spool();
  auto first = spool->create(kId, 10);
  ASSERT_TRUE(first.has_value());
  auto second = spool->create(kId, 10);
  EXPECT_FALSE(second.has_value());
}

TEST_F(DiskSpoolTest, InvalidUploadIdsAreRefusedBeforeTouchingTheDisk) {
  auto spool = open_spool();
  for (std::string_view id :
       {std::string_view(""), std::string_view("../escape"), std::string_view("a/b"),
        std::string_view("UPPER"), std::string_view("dot.dot"), std::string_view("with space"),
        std::string_view("x\0", 2)}) {
    SCOPED_TRACE(::testing::PrintToString(std::string(id)));
    EXPECT_EQ(error_code(spool->create(id, 10)), ErrorCode::kInvalidArgument);
    EXPECT_EQ(error_code(spool->open(id)), ErrorCode::kInvalidArgument);
    EXPECT_EQ(error_code(spool->read_manifest(id)), ErrorCode::kInvalidArgument);
    EXPECT_EQ(error_code(spool->remove(id)), ErrorCode::kInvalidArgument);
    SpoolManifest manifest = manifest_for("x");
    manifest.upload_id = std::string(id);
    EXPECT_EQ(error_code(spool->write_manifest(manifest)), ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(spool->create(std::string(65, 'a'), 10).has_value());
  EXPECT_TRUE(spool->create(std::string(64, 'a'), 10).has_value());
  EXPECT_TRUE(files_in(dir_.path()) == (std::set<std::string>{"spool"}));
}

TEST(UploadIdValidation, AcceptsGeneratedShape) {
  EXPECT_TRUE(is_valid_upload_id("0191d2f0a1b2ffffeeeeddddccccbbbb"));
  EXPECT_TRUE(is_valid_upload_id("a-b_c"));
  EXPECT_FALSE(is_valid_upload_id(""));
  EXPECT_FALSE(is_valid_upload_id(".."));
  EXPECT_FALSE(is_valid_upload_id("A"));
}

TEST_F(DiskSpoolTest, ManifestRoundTrip) {
  auto spool = open_spool();
  spool_bytes(*spool, kId, "some bytes");
  const SpoolManifest written = manifest_for(kId, SpoolState::kPublished);
  ASSERT_TRUE(spool->write_manifest(written).has_value());
  EXPECT_EQ(spool_entries(spool_dir()),
            (std::set<std::string>{std::string(kId) + ".data", std::string(kId) + ".json"}));
  auto read = spool->read_manifest(kId);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(read->upload_id, written.upload_id);
  EXPECT_EQ(read->job_id, written.job_id);
  EXPECT_EQ(read->bucket, written.bucket);
  EXPECT_EQ(read->key, written.key);
  EXPECT_EQ(read->content_type, written.content_type);
  EXPECT_EQ(read->sha256, written.sha256);
  EXPECT_EQ(read->size, written.size);
  EXPECT_EQ(read->created_at, written.created_at);
  EXPECT_EQ(read->metadata, written.metadata);
  EXPECT_EQ(read->state, SpoolState::kPublished);
}

TEST_F(DiskSpoolTest, ManifestIsReplacedByANewerOne) {
  auto spool = open_spool();
  spool_bytes(*spool, kId, "some bytes");
  ASSERT_TRUE(spool->write_manifest(manifest_for(kId, SpoolState::kSpooled)).has_value());
  EXPECT_EQ(spool->read_manifest(kId)->state, SpoolState::kSpooled);
  ASSERT_TRUE(spool->write_manifest(manifest_for(kId, SpoolState::kPublished)).has_value());
  EXPECT_EQ(spool->read_manifest(kId)->state, SpoolState::kPublished);
  EXPECT_EQ(spool_entries(spool_dir()),
            (std::set<std::string>{std::string(kId) + ".data", std::string(kId) + ".json"}));
}

// True when the filesystem of `dir` keeps user xattrs (ext4, xfs, btrfs; tmpfs since Linux
// 6.6); the tests of the xattr layout are skipped elsewhere.
bool user_xattrs_supported(const fs::path& dir) {
  const fs::path probe = dir / "xattr-probe";
  write_file(probe, "x");
  const bool ok = ::setxattr(probe.c_str(), "user.upfleet.probe", "1", 1, 0) == 0;
  fs::remove(probe);
  return ok;
}

TEST_F(DiskSpoolTest, ManifestAndPublishedMarkLiveOnTheDataFileAsXattrs) {
  auto spool = open_spool();
  if (!user_xattrs_supported(spool_dir())) GTEST_SKIP() << "no user xattrs on this filesystem";
  spool_bytes(*spool, kId, "some bytes");
  ASSERT_TRUE(spool->write_manifest(manifest_for(kId)).has_value());
  ASSERT_TRUE(spool->mark_published(kId).has_value());
  // One inode per upload: no manifest or marker files.
  EXPECT_EQ(files_in(spool_dir()), (std::set<std::string>{std::string(kId) + ".data"}));
  const std::string data = (spool_dir() / (std::string(kId) + ".data")).string();
  EXPECT_GT(::getxattr(data.c_str(), "user.upfleet.manifest", nullptr, 0), 0);
  EXPECT_EQ(spool->read_manifest(kId)->state, SpoolState::kPublished);
  EXPECT_EQ(spool->read_manifest(kId)->key, "photos/café.jpg");
  EXPECT_EQ(read_file(data), "some bytes");  // the bytes are untouched

  auto reopened = open_spool();
  auto held = reopened->recover();
  ASSERT_TRUE(held.has_value());
  ASSERT_EQ(held->size(), 1u);
  EXPECT_EQ((*held)[0].state, SpoolState::kPublished);
  ASSERT_EQ(reopened->list()->size(), 1u);
  ASSERT_TRUE(reopened->remove(kId).has_value());
  EXPECT_TRUE(files_in(spool_dir()).empty());
}

TEST_F(DiskSpoolTest, WithoutXattrsManifestAndMarkAreFiles) {
  auto opened =
      DiskSpool::open({.dir = spool_dir(), .min_free_bytes = 0, .manifest_xattrs = false});
  ASSERT_TRUE(opened.has_value());
  DiskSpool& spool = **opened;
  spool_bytes(spool, kId, "some bytes");
  ASSERT_TRUE(spool.write_manifest(manifest_for(kId)).has_value());
  ASSERT_TRUE(spool.mark_published(kId).has_value());
  const std::string id(kId);
  EXPECT_EQ(files_in(spool_dir()),
            (std::set<std::string>{id + ".data", id + ".json", id + ".published"}));
  const std::string data = (spool_dir() / (id + ".data")).string();
  EXPECT_LT(::getxattr(data.c_str(), "user.upfleet.manifest", nullptr, 0), 0);
  EXPECT_EQ(spool.read_manifest(kId)->state, SpoolState::kPublished);
  ASSERT_EQ(spool.list()->size(), 1u);
  ASSERT_TRUE(spool.remove(kId).has_value());
  EXPECT_TRUE(files_in(spool_dir()).empty());
}

TEST_F(DiskSpoolTest, AManifestTooLargeForAnXattrIsWrittenAsAFile) {
  auto spool = open_spool();
  spool_bytes(*spool, kId, "some bytes");
  SpoolManifest big = manifest_for(kId);
  big.metadata["note"] = std::string(70 * 1024, 'n');  // above any filesystem's xattr limit
  ASSERT_TRUE(spool->write_manifest(big).has_value());
  const std::string id(kId);
  EXPECT_TRUE(files_in(spool_dir()).contains(id + ".json"));
  auto read = spool->read_manifest(kId);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(read->metadata, big.metadata);
  ASSERT_TRUE(spool->remove(kId).has_value());
  EXPECT_TRUE(files_in(spool_dir()).empty());
}

// commit_with_manifest() leaves what commit() and write_manifest() leave, in each layout:
// the manifest as an xattr set before the one fsync, as a file without xattrs, and as a file
// when too large for an xattr.
TEST_F(DiskSpoolTest, CommitWithManifestStoresBytesAndManifestInEveryLayout) {
  const std::string id(kId);
  SpoolManifest big = manifest_for(kId);
  big.metadata["note"] = std::string(70 * 1024, 'n');
  struct Layout {
    std::string name;
    bool xattrs;
    SpoolManifest manifest;
  };
  for (const Layout& layout :
       {Layout{"xattr", true, manifest_for(kId)}, Layout{"no xattrs", false, manifest_for(kId)},
        Layout{"too large", true, big}}) {
    SCOPED_TRACE(layout.name);
    auto opened = DiskSpool::open(
        {.dir = spool_dir(), .min_free_bytes = 0, .manifest_xattrs = layout.xattrs});
    ASSERT_TRUE(opened.has_value());
    DiskSpool& spool = **opened;
    auto writer = spool.create(kId, 1 << 20);
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE((*writer)->write(bytes_of("some bytes")).has_value());
    auto stored = (*writer)->commit_with_manifest(layout.manifest);
    ASSERT_TRUE(stored.has_value()) << stored.error().message;
    writer->reset();
    EXPECT_EQ(spool_entries(spool_dir()), (std::set<std::string>{id + ".data", id + ".json"}));
    const bool as_xattr =
        layout.xattrs && layout.manifest.metadata.size() == 1 && user_xattrs_supported(spool_dir());
    EXPECT_EQ(files_in(spool_dir()).contains(id + ".json"), !as_xattr);
    auto read = spool.read_manifest(kId);
    ASSERT_TRUE(read.has_value()) << read.error().message;
    EXPECT_EQ(read->metadata, layout.manifest.metadata);
    EXPECT_EQ(read->key, "photos/café.jpg");
    auto source = spool.open(kId);
    ASSERT_TRUE(source.has_value());
    EXPECT_EQ(read_all(**source), "some bytes");
    auto held = spool.recover();
    ASSERT_TRUE(held.has_value());
    EXPECT_EQ(held->size(), 1u);
    ASSERT_TRUE(spool.remove(kId).has_value());
    EXPECT_TRUE(files_in(spool_dir()).empty());
  }
}

TEST_F(DiskSpoolTest, CommitWithTheManifestOfAnotherUploadFailsAndLeavesNothing) {
  auto spool = open_spool();
  auto writer = spool->create(kId, 1 << 20);
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE((*writer)->write(bytes_of("some bytes")).has_value());
  EXPECT_EQ(
      error_code((*writer)->commit_with_manifest(manifest_for("0191d2f0a1b2ffffeeeeddddcccc0000"))),
      ErrorCode::kInvalidArgument);
  writer->reset();
  EXPECT_TRUE(files_in(spool_dir()).empty());
}

TEST_F(DiskSpoolTest, ManifestAndMarkerFilesOfEarlierVersionsAreStillRead) {
  auto spool = open_spool();
  spool_bytes(*spool, kId, "some bytes");
  const std::string id(kId);
  write_file(spool_dir() / (id + ".json"),
             R"({"upload_id":")" + id + R"(","key":"old/layout.bin","size":10,"state":"spooled"})");
  write_file(spool_dir() / (id + ".published"), "");
  auto reopened = open_spool();
  auto held = reopened->recover();
  ASSERT_TRUE(held.has_value());
  ASSERT_EQ(held->size(), 1u);
  EXPECT_EQ((*held)[0].key, "old/layout.bin");
  EXPECT_EQ((*held)[0].state, SpoolState::kPublished);
  ASSERT_TRUE(reopened->remove(kId).has_value());
  EXPECT_TRUE(files_in(spool_dir()).empty());
}

TEST_F(DiskSpoolTest, MissingManifestIsNotFound) {
  auto spool = open_spool();
  auto read = spool->read_manifest(kId);
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code, ErrorCode::kNotFound);
}

TEST_F(DiskSpoolTest, CorruptManifestIsAnErrorNotACrash) {
  auto spool = open_spool();
  write_file(spool_dir() / (std::string(kId) + ".json"), "{not json");
  EXPECT_EQ(error_code(spool->read_manifest(kId)), ErrorCode::kIo);
  write_file(spool_dir() / (std::string(kId) + ".json"), R"({"upload_id":"x"})");  // no key
  EXPECT_EQ(error_code(spool->read_manifest(kId)), ErrorCode::kIo);
}

TEST_F(DiskSpoolTest, OpenServesTheCommittedBytes) {
  auto spool = open_spool();
  const std::string data = "0123456789abcdef";
  spool_bytes(*spool, kId, data);
  auto source = spool->open(kId);
  ASSERT_TRUE(source.has_value()) << source.error().message;
  EXPECT_EQ((*source)->size(), data.size());
  EXPECT_EQ(read_all(**source), data);
  std::string middle(4, '\0');
  auto got = (*source)->read_at(10, std::as_writable_bytes(std::span(middle.data(), 4)));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, 4u);
  EXPECT_EQ(middle, "abcd");
}

TEST_F(DiskSpoolTest, OpenOfUncommittedOrMissingUploadIsNotFound) {
  auto spool = open_spool();
  EXPECT_EQ(error_code(spool->open(kId)), ErrorCode::kNotFound);
  auto writer = spool->create(kId, 100);
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE((*writer)->write(bytes_of("not yet")).has_value());
  EXPECT_EQ(error_code(spool->open(kId)), ErrorCode::kNotFound);
}

TEST_F(DiskSpoolTest, RemoveDeletesBytesAndManifestAndIsIdempotent) {
  auto spool = open_spool();
  spool_bytes(*spool, kId, "some bytes");
  ASSERT_TRUE(spool->write_manifest(manifest_for(kId)).has_value());
  ASSERT_TRUE(spool->remove(kId).has_value());
  EXPECT_TRUE(spool_entries(spool_dir()).empty());
  EXPECT_EQ(spool->usage().bytes, 0u);
  EXPECT_EQ(spool->usage().files, 0u);
  ASSERT_TRUE(spool->remove(kId).has_value());
  ASSERT_TRUE(spool->remove("neverexisted").has_value());
  EXPECT_EQ(spool->usage().bytes, 0u);
  EXPECT_EQ(spool->usage().files, 0u);
}

TEST_F(DiskSpoolTest, RecoverCleansUpAndReturnsHeldManifests) {
  const std::string held_data = "held bytes";
  {
    auto spool = open_spool();
    spool_bytes(*spool, "held", held_data);
    ASSERT_TRUE(spool->write_manifest(manifest_for("held", SpoolState::kPublished)).has_value());
    spool_bytes(*spool, "spooled", "123");
    ASSERT_TRUE(spool->write_manifest(manifest_for("spooled", SpoolState::kSpooled)).has_value());
    spool_bytes(*spool, "nomanifest", "never acknowledged");
  }
  // What a crash leaves behind (a manifest whose bytes were deleted just before).
  write_file(spool_dir() / "nodata.json", R"({"upload_id":"nodata","key":"k"})");
  write_file(spool_dir() / "partial.part", "half an upload");
  write_file(spool_dir() / "held2.json.tmp", "{\"upload_id\":");

  auto spool = open_spool();
  auto held = spool->recover();
  ASSERT_TRUE(held.has_value()) << held.error().message;

  std::set<std::string> ids;
  for (const auto& manifest : *held) ids.insert(manifest.upload_id);
  EXPECT_EQ(ids, (std::set<std::string>{"held", "spooled"}));
  for (const auto& manifest : *held) {
    EXPECT_EQ(manifest.state,
              manifest.upload_id == "held" ? SpoolState::kPublished : SpoolState::kSpooled);
  }
  EXPECT_EQ(spool_entries(spool_dir()),
            (std::set<std::string>{"held.data", "held.json", "spooled.data", "spooled.json"}));
  EXPECT_EQ(spool->usage().bytes, held_data.size() + 3);
  EXPECT_EQ(spool->usage().files, 2u);
}

TEST_F(DiskSpoolTest, PublishedMarkerSurvivesARestartAndGoesWithTheUpload) {
  {
    auto spool = open_spool();
    spool_bytes(*spool, "marked", "bytes");
    ASSERT_TRUE(spool->write_manifest(manifest_for("marked")).has_value());
    ASSERT_EQ(spool->read_manifest("marked")->state, SpoolState::kSpooled);
    ASSERT_TRUE(spool->mark_published("marked").has_value());
    EXPECT_EQ(spool->read_manifest("marked")->state, SpoolState::kPublished);
    EXPECT_EQ(error_code(spool->mark_published("gone")), ErrorCode::kNotFound);
    EXPECT_FALSE(fs::exists(spool_dir() / "gone.published")) << "no marker without bytes";
  }
  write_file(spool_dir() / "orphan.published", "");  // its bytes were removed before a crash

  auto spool = open_spool();
  auto held = spool->recover();
  ASSERT_TRUE(held.has_value()) << held.error().message;
  ASSERT_EQ(held->size(), 1u);
  EXPECT_EQ(held->front().state, SpoolState::kPublished) << "recovery must not publish it again";
  EXPECT_EQ(spool_entries(spool_dir()),
            (std::set<std::string>{"marked.data", "marked.json", "marked.published"}));
  ASSERT_TRUE(spool->remove("marked").has_value());
  EXPECT_TRUE(spool_entries(spool_dir()).empty());
}

TEST_F(DiskSpoolTest, RecoverOfEmptySpoolReturnsNothing) {
  auto spool = open_spool();
  auto held = spool->recover();
  ASSERT_TRUE(held.has_value());
  EXPECT_TRUE(held->empty());
  EXPECT_EQ(spool->usage().bytes, 0u);
}

}  // namespace
}  // namespace upfleet
