#include "common/upload/byte_budget.h"

#include <algorithm>
#include <chrono>

namespace upfleet::upload {

ByteBudget::Lease& ByteBudget::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    budget_ = other.budget_;
    bytes_ = other.bytes_;
    buffer_ = std::move(other.buffer_);
    other.budget_ = nullptr;
  }
  return *this;
}

std::span<std::byte> ByteBudget::Lease::buffer() {
  if (!buffer_) {
    buffer_ = budget_ != nullptr
                  ? budget_->take_buffer(bytes_)
                  : std::make_unique_for_overwrite<std::byte[]>(std::max<uint64_t>(bytes_, 1));
  }
  return {buffer_.get(), static_cast<size_t>(bytes_)};
}

void ByteBudget::Lease::release() {
  if (budget_ != nullptr) budget_->give_back(bytes_, std::move(buffer_));
  buffer_.reset();
  budget_ = nullptr;
}

uint64_t ByteBudget::size_class(uint64_t bytes) {
  return std::max<uint64_t>(1, (bytes + kSizeClass - 1) / kSizeClass) * kSizeClass;
}

std::unique_ptr<std::byte[]> ByteBudget::take_buffer(uint64_t bytes) {
  if (bytes < kSizeClass)
    return std::make_unique_for_overwrite<std::byte[]>(std::max<uint64_t>(bytes, 1));
  const uint64_t wanted = size_class(bytes);
  std::vector<KeptBuffer> evicted;  // freed after the lock is let go
  {
    std::lock_guard lock(mutex_);
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (it->capacity == wanted) {
        auto data = std::move(it->data);
        kept_bytes_ -= it->capacity;
        kept_.erase(it);
        return data;
      }
    }
    // No buffer of this class: make room for a new one, so leased plus kept bytes stay within
    // the capacity (the lease's bytes are already counted in used_).
    while (!kept_.empty() && used_ + kept_bytes_ + (wanted - bytes) > capacity_) {
      kept_bytes_ -= kept_.back().capacity;
      evicted.push_back(std::move(kept_.back()));
      kept_.pop_back();
    }
  }
  return std::make_unique_for_overwrite<std::byte[]>(wanted);
}

std::optional<ByteBudget::Lease> ByteBudget::acquire(uint64_t bytes,
                                                     const std::function<bool()>& cancelled) {
  std::unique_lock lock(mutex_);
  while (!fits(bytes)) {
    if (cancelled && cancelled()) return std::nullopt;
    freed_.wait_for(lock, std::chrono::milliseconds(100));
  }
  if (cancelled && cancelled()) return std::nullopt;
  used_ += bytes;
  ++acquisitions_;
  return Lease(this, bytes);
}

std::optional<ByteBudget::Lease> ByteBudget::try_acquire(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  if (!fits(bytes)) return std::nullopt;
  used_ += bytes;
  ++acquisitions_;
  return Lease(this, bytes);
}

uint64_t ByteBudget::in_use() const {
  std::lock_guard lock(mutex_);
  return used_;
}

void ByteBudget::trim_if_idle() {
  std::vector<KeptBuffer> freed;  // freed after the lock is let go
  std::lock_guard lock(mutex_);
  if (acquisitions_ == acquisitions_at_trim_) {
    freed.swap(kept_);
    kept_bytes_ = 0;
  }
  acquisitions_at_trim_ = acquisitions_;
}

uint64_t ByteBudget::kept_bytes() const {
  std::lock_guard lock(mutex_);
  return kept_bytes_;
}

void ByteBudget::give_back(uint64_t bytes, std::unique_ptr<std::byte[]> buffer) {
  {
    std::lock_guard lock(mutex_);
    used_ -= bytes;
    const uint64_t capacity = size_class(bytes);
    if (buffer && bytes >= kSizeClass && used_ + kept_bytes_ + capacity <= capacity_) {
      kept_bytes_ += capacity;
      kept_.push_back({std::move(buffer), capacity});
    }
  }
  buffer.reset();  // not kept: freed outside the lock
  freed_.notify_all();
}

}  // namespace upfleet::upload
