// Spool on a local directory:
//   <id>.part   bytes being received (never acknowledged; removed on failure or at start)
//   <id>.data   committed bytes (fsync'd, renamed, directory fsync'd)
// The manifest and the "job confirmed" mark are extended attributes of the .data file where
// the filesystem supports user xattrs (one inode per upload):
//   user.upfleet.manifest   the manifest (JSON); set, then the file and the directory
//                           fsync'd: that directory fsync also makes the .data rename durable
//   user.upfleet.published  the job was confirmed by Kafka (not fsync'd; when lost, recovery
//                           publishes the job once more)
// Elsewhere (or for a manifest too large for an xattr), and as earlier versions wrote them:
//   <id>.json   manifest (written to .json.tmp, fsync'd, renamed, directory fsync'd)
//   <id>.published  empty marker file, not fsync'd
// Creating inodes is what costs most per upload on some filesystems (ext4 without a journal
// scans past every recently deleted inode for each new one), hence the xattrs.
#pragma once

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>

#include "common/spool.h"

namespace upfleet {

struct DiskSpoolOptions {
  std::filesystem::path dir;
  // High-water mark: new uploads are refused while the spool holds this many bytes or more.
  uint64_t max_bytes = 10ull << 30;
  // New uploads are refused while the filesystem has less free space than this.
  uint64_t min_free_bytes = 256ull << 20;
  // Write-behind: every this many bytes of a body, writeback of them starts at once and the
  // window before is waited for and dropped from the page cache (see write_behind.h). 0: off.
  uint64_t write_behind_bytes = 8ull << 20;
  // After the fsync of a committed file, drop its (now clean) pages from the page cache.
  bool drop_committed_pages = true;
  // Chunks of 1 MiB or more a writer gets in 4 KiB-aligned memory, of whole 4 KiB blocks at
  // an aligned offset (the large bodies' buffers of SpoolWritePipeline), are written with
  // O_DIRECT: straight to the disk, not copied into the page cache. Filesystems without
  // direct I/O get them buffered. The fsync before the upload is acknowledged stays.
  bool direct_io = true;
  // Keep manifests and published marks as xattrs of the .data files (see above) where the
  // filesystem allows; false: always as files.
  bool manifest_xattrs = true;
};

class DiskSpool final : public Spool {
 public:
  // Creates the directory if needed. kIo when it cannot be created or written.
  static Result<std::unique_ptr<DiskSpool>> open(DiskSpoolOptions options);

  Result<std::unique_ptr<SpoolWriter>> create(std::string_view upload_id,
                                              uint64_t max_bytes) override;
  Status write_manifest(const SpoolManifest& manifest) override;
  Status mark_published(std::string_view upload_id) override;
  Result<SpoolManifest> read_manifest(std::string_view upload_id) const override;
  Result<std::unique_ptr<ByteSource>> open(std::string_view upload_id) const override;
  Status remove(std::string_view upload_id) override;
  Result<std::vector<SpoolManifest>> recover() override;
  Result<std::vector<SpoolManifest>> list() const override;
  SpoolUsage usage() const override;

  std::filesystem::path data_path(std::string_view upload_id) const;

 private:
  friend class DiskSpoolWriter;
  explicit DiskSpool(DiskSpoolOptions options)
      : options_(std::move(options)), xattrs_(options_.manifest_xattrs) {}
  std::filesystem::path path_for(std::string_view upload_id, std::string_view suffix) const;
  Status sync_directory() const;
  bool writer_live(std::string_view upload_id) const;
  // The manifest as an xattr of the .data file, fsync'd: true. False when it cannot be an
  // xattr here (the filesystem has none, or the manifest is too large): write the file.
  Result<bool> write_manifest_xattr(std::string_view upload_id, const std::string& text);
  Status write_manifest_file(std::string_view upload_id, const std::string& text);
  // Sets the manifest xattr on an open file (not fsync'd): true; false as above.
  Result<bool> set_manifest_xattr(int fd, const std::string& text);
  static std::string manifest_json(const SpoolManifest& manifest);
  // Switches to manifest and marker files for good, saying so once in the log.
  void without_xattrs();
  // The manifest's JSON from the xattr, else from the .json file; kNotFound if neither.
  Result<std::string> manifest_text(std::string_view upload_id) const;
  bool marked_published(std::string_view upload_id) const;

  DiskSpoolOptions options_;
  // Cleared for good once the filesystem refuses user xattrs.
  std::atomic<bool> xattrs_{true};
  // Orders the final rename of a manifest against remove(), so a manifest rewritten while its
  // upload is being deleted (a fast `uploaded`) cannot be left behind without its bytes.
  std::mutex manifest_mutex_;
  // Uploads with a live writer (from create() until the writer is destroyed, which the
  // ingest does only after the manifest is written and the job published). recover() leaves
  // them alone: the HTTP server already accepts uploads while recovery runs.
  mutable std::mutex writers_mutex_;
  std::set<std::string, std::less<>> writers_;  // guarded by writers_mutex_
  // Kept apart so recover() can recount what is held without touching the bytes of requests
  // in progress; every decrement saturates at 0 (an underflow would refuse all uploads).
  std::atomic<uint64_t> part_bytes_{0};  // bytes written by live writers, not yet committed
  std::atomic<uint64_t> held_bytes_{0};  // committed .data bytes
  std::atomic<uint64_t> files_{0};       // committed uploads held
};

}  // namespace upfleet
