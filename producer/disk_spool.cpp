#include "producer/disk_spool.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "common/crypto/sha256.h"
#include "common/file_byte_source.h"
#include "common/log.h"
#include "producer/write_behind.h"

namespace upfleet {
namespace {

Error io_error(std::string_view what, int err) {
  if (err == ENOSPC || err == EDQUOT) {
    return Error::transient(ErrorCode::kResourceExhausted,
                            std::string(what) + ": spool disk is full");
  }
  return Error::transient(ErrorCode::kIo, std::string(what) + ": " + std::strerror(err));
}

Status write_all(int fd, std::span<const std::byte> data, uint64_t offset) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(io_error("writing spool file", errno));
    }
    data = data.subspan(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return {};
}

// O_DIRECT needs the memory, the length and the file offset aligned to the logical block
// size; 4 KiB covers every common device.
constexpr uint64_t kDirectAlign = 4096;
// A direct write waits for the device: only large ones pay (a 1 MiB upload written in 256 KiB
// direct writes took 15 % more time than buffered, at 64 clients).
constexpr uint64_t kDirectMinBytes = 1 << 20;

bool direct_worthwhile(std::span<const std::byte> data, uint64_t offset) {
  return data.size() >= kDirectMinBytes &&
         reinterpret_cast<uintptr_t>(data.data()) % kDirectAlign == 0 &&
         data.size() % kDirectAlign == 0 && offset % kDirectAlign == 0;
}

void subtract_saturating(std::atomic<uint64_t>& counter, uint64_t amount) {
  uint64_t current = counter.load();
  while (!counter.compare_exchange_weak(current, current - std::min(current, amount))) {
  }
}

constexpr const char* kManifestXattr = "user.upfleet.manifest";
constexpr const char* kPublishedXattr = "user.upfleet.published";

// The filesystem (or its mount options) has no user xattrs.
bool xattrs_unsupported(int err) {
  return err == ENOTSUP || err == EOPNOTSUPP;
}

// This value does not fit where the filesystem keeps xattrs (ext4: one block).
bool xattr_too_large(int err) {
  return err == E2BIG || err == ENOSPC || err == ERANGE;
}

// kNotFound for an upload whose .data is gone (or never was); `detail` says what was skipped.
Error no_spooled_bytes(std::string_view upload_id, std::string_view detail = "") {
  return Error::permanent(ErrorCode::kNotFound,
                          "no spooled bytes for " + std::string(upload_id) + std::string(detail));
}

std::string_view state_name(SpoolState state) {
  return state == SpoolState::kPublished ? "published" : "spooled";
}

}  // namespace

class DiskSpoolWriter final : public SpoolWriter {
 public:
  DiskSpoolWriter(DiskSpool& spool, std::string upload_id, int fd, uint64_t max_bytes)
      : spool_(spool),
        upload_id_(std::move(upload_id)),
        fd_(fd),
        max_bytes_(max_bytes),
        write_behind_(spool.options_.write_behind_bytes) {}

  ~DiskSpoolWriter() override {
    close_files();
    if (!committed_) discard();
    std::lock_guard lock(spool_.writers_mutex_);
    spool_.writers_.erase(upload_id_);
  }

  Status append(std::span<const std::byte> data) override {
    if (fd_ < 0) return fail(Error::permanent(ErrorCode::kInternal, "spool writer is closed"));
    if (written_ + data.size() > max_bytes_) {
      return fail(Error::permanent(ErrorCode::kTooLarge,
                                   "body exceeds " + std::to_string(max_bytes_) + " bytes"));
    }
    if (auto status = write_all(direct_fd_for(data), data, written_); !status) {
      discard();
      return status;
    }
    written_ += data.size();
    spool_.part_bytes_ += data.size();
    if (auto written_back = write_behind(); !written_back) {
      discard();
      return written_back;
    }
    return {};
  }

  void hash(std::span<const std::byte> data) override { hasher_.update(data); }

  uint64_t bytes_written() const override { return written_; }

  SpooledFile digest() override {
    if (!digest_) digest_ = SpooledFile{written_, hasher_.finish_hex()};
    return *digest_;
  }

  Status commit_with_manifest(const SpoolManifest& manifest) override {
    if (fd_ < 0) return fail(Error::permanent(ErrorCode::kInternal, "spool writer is closed"));
    if (manifest.upload_id != upload_id_) {
      return fail(Error::invalid("manifest of another upload: " + manifest.upload_id));
    }
    const std::string text = DiskSpool::manifest_json(manifest);
    // Set on the .part file before its fsync, the manifest is made durable by that same
    // fsync, and the .data name never exists without it.
    bool with_bytes = false;
    if (spool_.xattrs_.load()) {
      auto set = spool_.set_manifest_xattr(fd_, text);
      if (!set) {
        discard();
        return fail(set.error());
      }
      with_bytes = *set;
    }
    if (auto committed = commit(); !committed) return fail(committed.error());
    Status recorded = with_bytes ? Status() : spool_.write_manifest_file(upload_id_, text);
    if (recorded) recorded = spool_.sync_directory();
    if (!recorded) (void)spool_.remove(upload_id_);
    return recorded;
  }

  Result<SpooledFile> commit() override {
    if (fd_ < 0) return fail(Error::permanent(ErrorCode::kInternal, "spool writer is closed"));
    if (::fsync(fd_) != 0) {
      const int err = errno;
      discard();
      return fail(io_error("fsync of spool file", err));
    }
    // Clean now: dropping the pages returns them for the next uploads' writes, which is
    // cheaper than taking fresh memory, and a worker's read is sequential anyway.
    if (spool_.options_.drop_committed_pages) {
      (void)::posix_fadvise(fd_, 0, 0, POSIX_FADV_DONTNEED);
    }
    close_files();
    const auto part = spool_.path_for(upload_id_, ".part");
    const auto data = spool_.path_for(upload_id_, ".data");
    if (::rename(part.c_str(), data.c_str()) != 0) {
      const int err = errno;
      discard();
      return fail(io_error("renaming spool file", err));
    }
    committed_ = true;
    subtract_saturating(spool_.part_bytes_, written_);
    spool_.held_bytes_ += written_;
    spool_.files_ += 1;
    // No directory fsync here: write_manifest's covers this rename too (same directory), and
    // bytes without a manifest were never acknowledged, so a crash before it loses nothing.
    return digest();
  }

 private:
  // Starts writeback of the newest whole window and waits for the one before (write_behind.h).
  // Waiting reports (and consumes, for this fd) writeback errors of that range, so they are
  // failures of the upload, exactly as a failed fsync would be: the final fsync would no
  // longer see them. Filesystems without sync_file_range just leave it all to the fsync.
  Status write_behind() {
    if (write_behind_off_) return {};
    const WriteBehindStep step = write_behind_.step(written_);
    if (step.start) {
      if (auto started = sync_range(*step.start, SYNC_FILE_RANGE_WRITE); !started) return started;
    }
    if (!step.retire) return {};
    const auto flags =
        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
    if (auto waited = sync_range(*step.retire, flags); !waited) return waited;
    (void)::posix_fadvise(fd_, static_cast<off_t>(step.retire->offset),
                          static_cast<off_t>(step.retire->length), POSIX_FADV_DONTNEED);
    return {};
  }

  Status sync_range(const ByteRange& range, unsigned flags) {
    if (::sync_file_range(fd_, static_cast<off_t>(range.offset), static_cast<off_t>(range.length),
                          flags) == 0) {
      return {};
    }
    const int err = errno;
    if (err == EINVAL || err == ESPIPE || err == ENOSYS || err == EOPNOTSUPP) {
      write_behind_off_ = true;  // not supported here
      return {};
    }
    return fail(io_error("writing back spool file", err));
  }

  // The descriptor to write `data` at written_ with: one opened with O_DIRECT when the chunk
  // is large and aligned for it (the pipeline's buffers of large bodies are), else the
  // buffered one.
  int direct_fd_for(std::span<const std::byte> data) {
    if (!spool_.options_.direct_io || direct_off_ || !direct_worthwhile(data, written_)) return fd_;
    if (direct_fd_ < 0) {
      direct_fd_ =
          ::open(spool_.path_for(upload_id_, ".part").c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
      if (direct_fd_ < 0) {
        direct_off_ = true;  // EINVAL: the filesystem has no direct I/O
        return fd_;
      }
    }
    return direct_fd_;
  }

  // Closes the buffered and the direct descriptor, each once: a descriptor closed twice may
  // by then be another thread's file.
  void close_files() {
    for (int* fd : {&fd_, &direct_fd_}) {
      if (*fd >= 0) {
        ::close(*fd);
        *fd = -1;
      }
    }
  }

  void discard() {
    close_files();
    if (!discarded_) {
      ::unlink(spool_.path_for(upload_id_, ".part").c_str());
      subtract_saturating(spool_.part_bytes_, written_);
      discarded_ = true;
    }
  }

  DiskSpool& spool_;
  std::string upload_id_;
  int fd_;
  uint64_t max_bytes_;
  uint64_t written_ = 0;
  bool committed_ = false;
  bool discarded_ = false;
  crypto::Sha256 hasher_;
  std::optional<SpooledFile> digest_;  // once the hash is finished
  WriteBehind write_behind_;
  bool write_behind_off_ = false;
  int direct_fd_ = -1;
  bool direct_off_ = false;
};

Result<std::unique_ptr<DiskSpool>> DiskSpool::open(DiskSpoolOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return fail(Error::permanent(
        ErrorCode::kIo, "spool.dir " + options.dir.string() + ": cannot create: " + ec.message()));
  }
  if (::access(options.dir.c_str(), W_OK) != 0) {
    return fail(
        Error::permanent(ErrorCode::kIo, "spool.dir " + options.dir.string() + " is not writable"));
  }
  return std::unique_ptr<DiskSpool>(new DiskSpool(std::move(options)));
}

std::filesystem::path DiskSpool::path_for(std::string_view upload_id,
                                          std::string_view suffix) const {
  return options_.dir / (std::string(upload_id) + std::string(suffix));
}

std::filesystem::path DiskSpool::data_path(std::string_view upload_id) const {
  return path_for(upload_id, ".data");
}

Status DiskSpool::sync_directory() const {
  const int fd = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(io_error("opening spool directory", errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return fail(io_error("fsync of spool directory", err));
  return {};
}

Result<std::unique_ptr<SpoolWriter>> DiskSpool::create(std::string_view upload_id,
                                                       uint64_t max_bytes) {
  if (!is_valid_upload_id(upload_id)) return fail(Error::invalid("invalid upload id"));
  if (usage().bytes >= options_.max_bytes) {
    return fail(Error::transient(ErrorCode::kResourceExhausted,
                                 "spool is above its high-water mark (spool.max_bytes)"));
  }
  struct statvfs fs {};
  if (::statvfs(options_.dir.c_str(), &fs) == 0 &&
      static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < options_.min_free_bytes) {
    return fail(Error::transient(ErrorCode::kResourceExhausted,
                                 "spool filesystem has less free space than spool.min_free_bytes"));
  }
  const auto part = path_for(upload_id, ".part");
  const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return fail(io_error("creating spool file", errno));
  {
    std::lock_guard lock(writers_mutex_);
    writers_.emplace(upload_id);
  }
  return std::unique_ptr<SpoolWriter>(
      new DiskSpoolWriter(*this, std::string(upload_id), fd, max_bytes));
}

std::string DiskSpool::manifest_json(const SpoolManifest& manifest) {
  nlohmann::json doc = {{"upload_id", manifest.upload_id},
                        {"job_id", manifest.job_id},
                        {"bucket", manifest.bucket},
                        {"key", manifest.key},
                        {"content_type", manifest.content_type},
                        {"sha256", manifest.sha256},
                        {"size", manifest.size},
                        {"created_at", manifest.created_at},
                        {"metadata", manifest.metadata},
                        {"state", state_name(manifest.state)}};
  return doc.dump();
}

Status DiskSpool::write_manifest(const SpoolManifest& manifest) {
  if (!is_valid_upload_id(manifest.upload_id)) return fail(Error::invalid("invalid upload id"));
  const std::string text = manifest_json(manifest);
  if (xattrs_.load()) {
    auto stored = write_manifest_xattr(manifest.upload_id, text);
    if (!stored) return fail(stored.error());
    if (*stored) return sync_directory();
  }
  if (auto written = write_manifest_file(manifest.upload_id, text); !written) return written;
  return sync_directory();
}

void DiskSpool::without_xattrs() {
  if (xattrs_.exchange(false)) {
    log::info("spool filesystem has no user xattrs; manifests and published marks are files",
              {{"dir", options_.dir.string()}});
  }
}

Result<bool> DiskSpool::write_manifest_xattr(std::string_view upload_id, const std::string& text) {
  // No lock against remove(): the manifest lives and dies with the inode, so a manifest set
  // while the upload is being deleted goes with it instead of staying behind.
  const int fd = ::open(data_path(upload_id).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return fail(no_spooled_bytes(upload_id, " (already removed); manifest not written"));
    }
    return fail(io_error("opening spool file", err));
  }
  auto set = set_manifest_xattr(fd, text);
  if (!set || !*set) {
    ::close(fd);
    return set;
  }
  // The bytes were fsync'd at commit: this flushes the inode with its new xattr.
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return fail(io_error("fsync of manifest", err));
  return true;
}

Result<bool> DiskSpool::set_manifest_xattr(int fd, const std::string& text) {
  if (::fsetxattr(fd, kManifestXattr, text.data(), text.size(), 0) == 0) return true;
  const int err = errno;
  if (xattrs_unsupported(err)) {
    without_xattrs();
    return false;
  }
  if (xattr_too_large(err)) return false;
  return fail(io_error("writing manifest", err));
}

Status DiskSpool::write_manifest_file(std::string_view upload_id, const std::string& text) {
  const auto tmp = path_for(upload_id, ".json.tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return fail(io_error("creating manifest", errno));
  auto written = write_all(fd, std::as_bytes(std::span(text.data(), text.size())), 0);
  const bool synced = written && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!written || !synced) {
    ::unlink(tmp.c_str());
    return written ? fail(io_error("fsync of manifest", err)) : fail(written.error());
  }
  const auto final_path = path_for(upload_id, ".json");
  std::lock_guard lock(manifest_mutex_);
  if (::access(data_path(upload_id).c_str(), F_OK) != 0) {
    ::unlink(tmp.c_str());
    return fail(no_spooled_bytes(upload_id, " (already removed); manifest not written"));
  }
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    const int rename_err = errno;
    ::unlink(tmp.c_str());
    return fail(io_error("renaming manifest", rename_err));
  }
  return {};
}

Status DiskSpool::mark_published(std::string_view upload_id) {
  if (!is_valid_upload_id(upload_id)) return fail(Error::invalid("invalid upload id"));
  // Neither fsync'd nor its directory: losing the mark in a power cut only makes recovery
  // publish the job once more, and saves two fsyncs before every 202.
  if (xattrs_.load()) {
    if (::setxattr(data_path(upload_id).c_str(), kPublishedXattr, "1", 1, 0) == 0) return {};
    const int err = errno;
    if (err == ENOENT) return fail(no_spooled_bytes(upload_id));
    if (!xattrs_unsupported(err)) return fail(io_error("marking upload published", err));
    without_xattrs();
  }
  std::lock_guard lock(manifest_mutex_);
  if (::access(data_path(upload_id).c_str(), F_OK) != 0) return fail(no_spooled_bytes(upload_id));
  const int fd =
      ::open(path_for(upload_id, ".published").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return fail(io_error("creating published marker", errno));
  ::close(fd);
  return {};
}

Result<std::string> DiskSpool::manifest_text(std::string_view upload_id) const {
  const auto data = data_path(upload_id);
  std::string text(4096, '\0');
  for (int attempt = 0; attempt < 3; ++attempt) {
    const ssize_t n = ::getxattr(data.c_str(), kManifestXattr, text.data(), text.size());
    if (n >= 0) {
      text.resize(static_cast<size_t>(n));
      return text;
    }
    if (errno != ERANGE) break;  // ENODATA, ENOTSUP, ENOENT: try the file
    const ssize_t size = ::getxattr(data.c_str(), kManifestXattr, nullptr, 0);
    if (size < 0) break;
    text.resize(static_cast<size_t>(size) + 1);
  }
  std::ifstream in(path_for(upload_id, ".json"));
  if (!in) {
    return fail(
        Error::permanent(ErrorCode::kNotFound, "no manifest for " + std::string(upload_id)));
  }
  std::stringstream file;
  file << in.rdbuf();
  return file.str();
}

bool DiskSpool::marked_published(std::string_view upload_id) const {
  char value[8];
  return ::getxattr(data_path(upload_id).c_str(), kPublishedXattr, value, sizeof value) >= 0 ||
         ::access(path_for(upload_id, ".published").c_str(), F_OK) == 0;
}

Result<SpoolManifest> DiskSpool::read_manifest(std::string_view upload_id) const {
  if (!is_valid_upload_id(upload_id)) return fail(Error::invalid("invalid upload id"));
  auto text = manifest_text(upload_id);
  if (!text) return fail(text.error());
  auto doc = nlohmann::json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(Error::permanent(ErrorCode::kIo, "corrupt manifest for " + std::string(upload_id)));
  }
  try {
    SpoolManifest manifest;
    manifest.upload_id = doc.at("upload_id").get<std::string>();
    manifest.job_id = doc.value("job_id", "");
    manifest.bucket = doc.value("bucket", "");
    manifest.key = doc.at("key").get<std::string>();
    manifest.content_type = doc.value("content_type", "");
    manifest.sha256 = doc.value("sha256", "");
    manifest.size = doc.value("size", uint64_t{0});
    manifest.created_at = doc.value("created_at", "");
    manifest.metadata = doc.value("metadata", std::map<std::string, std::string>{});
    manifest.state = marked_published(upload_id) || doc.value("state", "spooled") == "published"
                         ? SpoolState::kPublished
                         : SpoolState::kSpooled;
    return manifest;
  } catch (const nlohmann::json::exception& e) {
    return fail(Error::permanent(
        ErrorCode::kIo, "corrupt manifest for " + std::string(upload_id) + ": " + e.what()));
  }
}

Result<std::unique_ptr<ByteSource>> DiskSpool::open(std::string_view upload_id) const {
  if (!is_valid_upload_id(upload_id)) return fail(Error::invalid("invalid upload id"));
  auto source = FileByteSource::open(data_path(upload_id));
  if (!source) return fail(source.error());
  return std::unique_ptr<ByteSource>(std::move(*source));
}

Status DiskSpool::remove(std::string_view upload_id) {
  if (!is_valid_upload_id(upload_id)) return fail(Error::invalid("invalid upload id"));
  std::lock_guard lock(manifest_mutex_);
  std::error_code ec;
  const auto data = data_path(upload_id);
  const auto size = std::filesystem::file_size(data, ec);
  if (!ec && std::filesystem::remove(data, ec)) {
    subtract_saturating(held_bytes_, size);
    subtract_saturating(files_, 1);
  }
  std::filesystem::remove(path_for(upload_id, ".json"), ec);
  std::filesystem::remove(path_for(upload_id, ".published"), ec);
  return {};
}

Result<std::vector<SpoolManifest>> DiskSpool::recover() {
  std::vector<SpoolManifest> held;
  uint64_t bytes = 0;
  uint64_t files = 0;
  std::error_code ec;
  std::vector<std::filesystem::path> entries;
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec)) {
    entries.push_back(entry.path());
  }
  if (ec) return fail(Error::permanent(ErrorCode::kIo, "scanning spool.dir: " + ec.message()));
  for (const auto& path : entries) {
    const std::string name = path.filename().string();
    const std::string id = name.substr(0, name.find('.'));
    if (writer_live(id)) {
      // A request of this process is receiving or finishing it, not a crash's leftover: the
      // HTTP server already takes uploads while recovery runs. Its .part bytes are counted
      // by its writer.
      if (name.ends_with(".data")) {
        bytes += std::filesystem::file_size(path, ec);
        files += 1;
      }
      continue;
    }
    if (name.ends_with(".part") || name.ends_with(".json.tmp")) {
      // Never acknowledged: the client saw no 202 for it.
      std::filesystem::remove(path, ec);
    } else if (name.ends_with(".data")) {
      auto manifest = read_manifest(id);
      if (!manifest) {
        std::filesystem::remove(path, ec);  // committed but never acknowledged
        continue;
      }
      bytes += std::filesystem::file_size(path, ec);
      files += 1;
      held.push_back(std::move(*manifest));
    } else if ((name.ends_with(".json") || name.ends_with(".published")) &&
               !std::filesystem::exists(data_path(id))) {
      std::filesystem::remove(path, ec);  // bytes already gone
    }
  }
  held_bytes_ = bytes;
  files_ = files;
  return held;
}

bool DiskSpool::writer_live(std::string_view upload_id) const {
  std::lock_guard lock(writers_mutex_);
  return writers_.contains(upload_id);
}

Result<std::vector<SpoolManifest>> DiskSpool::list() const {
  std::vector<SpoolManifest> held;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".data")) continue;
    const std::string id = entry.path().stem().string();
    if (!is_valid_upload_id(id)) continue;
    // Removed meanwhile, its manifest not written yet, or corrupt (recovery deals with those
    // at start).
    if (auto manifest = read_manifest(id); manifest) held.push_back(std::move(*manifest));
  }
  if (ec) return fail(Error::transient(ErrorCode::kIo, "scanning spool.dir: " + ec.message()));
  return held;
}

SpoolUsage DiskSpool::usage() const {
  return {part_bytes_.load() + held_bytes_.load(), files_.load()};
}

}  // namespace upfleet
