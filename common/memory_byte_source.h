// ByteSource over bytes already in memory (a part buffer); does not own them.
#pragma once

#include <algorithm>
#include <cstring>
#include <span>

#include "common/byte_source.h"

namespace upfleet {

class MemoryByteSource final : public ByteSource {
 public:
  explicit MemoryByteSource(std::span<const std::byte> bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  Result<size_t> read_at(uint64_t offset, std::span<std::byte> buf) override {
    if (offset >= bytes_.size()) return size_t{0};
    const size_t count = std::min<uint64_t>(buf.size(), bytes_.size() - offset);
    std::memcpy(buf.data(), bytes_.data() + offset, count);
    return count;
  }

 private:
  std::span<const std::byte> bytes_;
};

}  // namespace upfleet
