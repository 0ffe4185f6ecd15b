#include "common/s3/body_checksums.h"

#include <algorithm>
#include <vector>

#include "common/crypto/md5.h"
#include "common/crypto/sha256.h"

namespace upfleet::s3 {
namespace {

constexpr size_t kChunkBytes = 256 * 1024;

}  // namespace

Result<BodyChecksums> checksum_range(ByteSource& source, uint64_t offset, uint64_t length) {
  crypto::Md5 md5;
  crypto::Sha256 sha256;
  std::vector<std::byte> buffer(static_cast<size_t>(std::min<uint64_t>(kChunkBytes, length)));
  uint64_t done = 0;
  while (done < length) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), length - done));
    auto read = source.read_at(offset + done, std::span(buffer.data(), want));
    if (!read) {
      return fail(
          read.error().with_context("hashing body at offset " + std::to_string(offset + done)));
    }
    if (*read == 0) {
      return fail(Error::permanent(ErrorCode::kIntegrity,
                                   "body source ended at offset " + std::to_string(offset + done) +
                                       ", expected " + std::to_string(offset + length)));
    }
    const auto chunk = std::span<const std::byte>(buffer.data(), *read);
    md5.update(chunk);
    sha256.update(chunk);
    done += *read;
  }
  return BodyChecksums{md5.finish_base64(), sha256.finish_hex()};
}

}  // namespace upfleet::s3
