// The worker-wide bytes-in-flight budget: every part buffer is leased from it before it is
// filled, so peak memory is bounded by the budget whatever the number and size of jobs.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

namespace upfleet::upload {

class ByteBudget {
 public:
  explicit ByteBudget(uint64_t capacity) : capacity_(capacity) {}

  // Holds `bytes` of the budget until destroyed. Movable.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept : budget_(other.budget_), bytes_(other.bytes_) {
      other.budget_ = nullptr;
    }
    Lease& operator=(Lease&& other) noexcept;
    ~Lease() { release(); }
    uint64_t bytes() const { return bytes_; }
    void release();

   private:
    friend class ByteBudget;
    Lease(ByteBudget* budget, uint64_t bytes) : budget_(budget), bytes_(bytes) {}
    ByteBudget* budget_ = nullptr;
    uint64_t bytes_ = 0;
  };

  // Blocks until `bytes` fit (a request larger than the whole budget waits until nothing else
  // is leased, then proceeds alone), or `cancelled()` turns true (checked whenever the budget
  // changes and every 100 ms): nullopt then. Thread-safe.
  std::optional<Lease> acquire(uint64_t bytes, const std::function<bool()>& cancelled = {});
  // A lease only if it fits now.
  std::optional<Lease> try_acquire(uint64_t bytes);

  uint64_t capacity() const { return capacity_; }
  uint64_t in_use() const;

 private:
  void give_back(uint64_t bytes);
  bool fits(uint64_t bytes) const { return used_ + bytes <= capacity_ || used_ == 0; }

  const uint64_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  uint64_t used_ = 0;  // guarded by mutex_
};

}  // namespace upfleet::upload
