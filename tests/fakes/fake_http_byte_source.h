// ByteSources for request bodies in tests: bytes in memory, and one that fails on demand.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include "common/byte_source.h"

namespace upfleet::testing {

// Serves a string's bytes. Thread-safe for reads; counts calls so tests can check that bodies
// are streamed in bounded chunks rather than read whole.
class StringByteSource final : public ByteSource {
 public:
  explicit StringByteSource(std::string data) : data_(std::move(data)) {}

  uint64_t size() const override { return data_.size(); }

  Result<size_t> read_at(uint64_t offset, std::span<std::byte> buf) override {
    ++reads_;
    if (offset >= data_.size()) return 0;
    const size_t count = std::min<uint64_t>(buf.size(), data_.size() - offset);
    std::memcpy(buf.data(), data_.data() + offset, count);
    max_read_ = std::max(max_read_.load(), count);
    return count;
  }

  const std::string& data() const { return data_; }
  int reads() const { return reads_.load(); }
  size_t max_read() const { return max_read_.load(); }

 private:
  const std::string data_;
  std::atomic<int> reads_{0};
  std::atomic<size_t> max_read_{0};
};

// Reports `size` bytes but fails every read at or after `fail_at` with `error`.
class FailingByteSource final : public ByteSource {
 public:
  FailingByteSource(uint64_t size, uint64_t fail_at, Error error)
      : size_(size), fail_at_(fail_at), error_(std::move(error)) {}

  uint64_t size() const override { return size_; }

  Result<size_t> read_at(uint64_t offset, std::span<std::byte> buf) override {
    if (offset >= fail_at_) return fail(error_);
    const size_t count = std::min<uint64_t>({buf.size(), fail_at_ - offset, size_ - offset});
    std::memset(buf.data(), 'x', count);
    return count;
  }

 private:
  const uint64_t size_;
  const uint64_t fail_at_;
  const Error error_;
};

}  // namespace upfleet::testing
