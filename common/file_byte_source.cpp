#include "common/file_byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace upfleet {

Result<std::unique_ptr<FileByteSource>> FileByteSource::open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int saved = errno;
    if (saved == ENOENT)
      return fail(Error::permanent(ErrorCode::kNotFound, path.string() + ": no such file"));
    return fail(Error::transient(ErrorCode::kIo, path.string() + ": " + std::strerror(saved)));
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int saved = errno;
    ::close(fd);
    return fail(Error::transient(ErrorCode::kIo, path.string() + ": " + std::strerror(saved)));
  }
  return std::unique_ptr<FileByteSource>(
      new FileByteSource(fd, static_cast<uint64_t>(info.st_size)));
}

FileByteSource::~FileByteSource() {
  ::close(fd_);
}

Result<size_t> FileByteSource::read_at(uint64_t offset, std::span<std::byte> buf) {
  size_t total = 0;
  while (total < buf.size() && offset + total < size_) {
    const ssize_t n =
        ::pread(fd_, buf.data() + total, buf.size() - total, static_cast<off_t>(offset + total));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Error::transient(ErrorCode::kIo, std::string("read: ") + std::strerror(errno)));
    }
    if (n == 0) break;
    total += static_cast<size_t>(n);
  }
  return total;
}

}  // namespace upfleet
