// Spool on a local directory:
//   <id>.part   bytes being received (never acknowledged; removed on failure or at start)
//   <id>.data   committed bytes (fsync'd, renamed, directory fsync'd)
//   <id>.json   manifest (written to .json.tmp, fsync'd, renamed, directory fsync'd)
#pragma once

#include <atomic>
#include <filesystem>

#include "common/spool.h"

namespace upfleet {

struct DiskSpoolOptions {
  std::filesystem::path dir;
  // High-water mark: new uploads are refused while the spool holds this many bytes or more.
  uint64_t max_bytes = 10ull << 30;
  // New uploads are refused while the filesystem has less free space than this.
  uint64_t min_free_bytes = 256ull << 20;
};

class DiskSpool final : public Spool {
 public:
  // Creates the directory if needed. kIo when it cannot be created or written.
  static Result<std::unique_ptr<DiskSpool>> open(DiskSpoolOptions options);

  Result<std::unique_ptr<SpoolWriter>> create(std::string_view upload_id,
                                              uint64_t max_bytes) override;
  Status write_manifest(const SpoolManifest& manifest) override;
  Result<SpoolManifest> read_manifest(std::string_view upload_id) const override;
  Result<std::unique_ptr<ByteSource>> open(std::string_view upload_id) const override;
  Status remove(std::string_view upload_id) override;
  Result<std::vector<SpoolManifest>> recover() override;
  SpoolUsage usage() const override;

  std::filesystem::path data_path(std::string_view upload_id) const;

 private:
  friend class DiskSpoolWriter;
  explicit DiskSpool(DiskSpoolOptions options) : options_(std::move(options)) {}
  std::filesystem::path path_for(std::string_view upload_id, std::string_view suffix) const;
  Status sync_directory() const;

  DiskSpoolOptions options_;
  std::atomic<uint64_t> bytes_{0};  // .part and .data bytes on disk
  std::atomic<uint64_t> files_{0};  // committed uploads held
};

}  // namespace upfleet
