// ByteSource over a local file (spooled bytes, or a file:// claim check on a shared volume).
#pragma once

#include <filesystem>
#include <memory>

#include "common/byte_source.h"

namespace upfleet {

class FileByteSource final : public ByteSource {
 public:
  // kNotFound when the file does not exist, kIo for other open failures.
  static Result<std::unique_ptr<FileByteSource>> open(const std::filesystem::path& path);
  ~FileByteSource() override;
  FileByteSource(const FileByteSource&) = delete;
  FileByteSource& operator=(const FileByteSource&) = delete;

  uint64_t size() const override { return size_; }
  Result<size_t> read_at(uint64_t offset, std::span<std::byte> buf) override;

 private:
  FileByteSource(int fd, uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  uint64_t size_;
};

}  // namespace upfleet
