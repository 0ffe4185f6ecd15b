#include "common/upload/byte_budget.h"

#include <chrono>

namespace upfleet::upload {

ByteBudget::Lease& ByteBudget::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    budget_ = other.budget_;
    bytes_ = other.bytes_;
    other.budget_ = nullptr;
  }
  return *this;
}

void ByteBudget::Lease::release() {
  if (budget_ != nullptr) budget_->give_back(bytes_);
  budget_ = nullptr;
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
  return Lease(this, bytes);
}

std::optional<ByteBudget::Lease> ByteBudget::try_acquire(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  if (!fits(bytes)) return std::nullopt;
  used_ += bytes;
  return Lease(this, bytes);
}

uint64_t ByteBudget::in_use() const {
  std::lock_guard lock(mutex_);
  return used_;
}

void ByteBudget::give_back(uint64_t bytes) {
  {
    std::lock_guard lock(mutex_);
    used_ -= bytes;
  }
  freed_.notify_all();
}

}  // namespace upfleet::upload
