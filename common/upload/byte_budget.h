// The worker-wide bytes-in-flight budget: every part buffer is leased from it before it is
// filled, so peak memory is bounded by the budget whatever the number and size of jobs.
//
// The budget also keeps the buffers of ended leases for the next lease of the same size class,
// as long as leased plus kept bytes stay within the capacity: a new buffer costs page faults
// and the kernel zeroing every page, about as much CPU as hashing it, on every part and file.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

namespace upfleet::upload {

class ByteBudget {
 public:
  explicit ByteBudget(uint64_t capacity) : capacity_(capacity) {}

  // Holds `bytes` of the budget until destroyed. Movable.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept
        : budget_(other.budget_), bytes_(other.bytes_), buffer_(std::move(other.buffer_)) {
      other.budget_ = nullptr;
    }
    Lease& operator=(Lease&& other) noexcept;
    ~Lease() { release(); }
    uint64_t bytes() const { return bytes_; }
    // A buffer of bytes() bytes, uninitialised, valid until the lease ends (taken on first
    // call, from the kept buffers when one of the size class is there). Not thread-safe.
    std::span<std::byte> buffer();
    void release();

   private:
    friend class ByteBudget;
    Lease(ByteBudget* budget, uint64_t bytes) : budget_(budget), bytes_(bytes) {}
    ByteBudget* budget_ = nullptr;
    uint64_t bytes_ = 0;
    std::unique_ptr<std::byte[]> buffer_;
  };

  // Blocks until `bytes` fit (a request larger than the whole budget waits until nothing else
  // is leased, then proceeds alone), or `cancelled()` turns true (checked whenever the budget
  // changes and every 100 ms): nullopt then. Thread-safe.
  std::optional<Lease> acquire(uint64_t bytes, const std::function<bool()>& cancelled = {});
  // A lease only if it fits now.
  std::optional<Lease> try_acquire(uint64_t bytes);

  uint64_t capacity() const { return capacity_; }
  uint64_t in_use() const;
  uint64_t kept_bytes() const;  // buffers kept for reuse
  // Frees the kept buffers if no lease was acquired since the previous call: called every few
  // seconds, it gives an idle worker's memory back to the system.
  void trim_if_idle();

  // Buffers are allocated in classes of this many bytes; smaller ones are not kept.
  static constexpr uint64_t kSizeClass = 64 * 1024;

 private:
  struct KeptBuffer {
    std::unique_ptr<std::byte[]> data;
    uint64_t capacity = 0;
  };
  static uint64_t size_class(uint64_t bytes);
  std::unique_ptr<std::byte[]> take_buffer(uint64_t bytes);
  void give_back(uint64_t bytes, std::unique_ptr<std::byte[]> buffer);
  bool fits(uint64_t bytes) const { return used_ + bytes <= capacity_ || used_ == 0; }

  const uint64_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  uint64_t used_ = 0;                  // guarded by mutex_
  std::vector<KeptBuffer> kept_;       // guarded by mutex_
  uint64_t kept_bytes_ = 0;            // guarded by mutex_
  uint64_t acquisitions_ = 0;          // guarded by mutex_
  uint64_t acquisitions_at_trim_ = 0;  // guarded by mutex_
};

}  // namespace upfleet::upload
