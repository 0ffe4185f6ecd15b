// SpoolWritePipeline: a body written partly in line and partly on the pool reaches the writer
// complete and in order (stored and hashed), a buffer is never reused while its write runs,
// background errors surface on the next call, and a write in flight outlives the pipeline safely.
#include "producer/spool_write_pipeline.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace upfleet {
namespace {

using namespace std::chrono_literals;

// What a RecordingWriter saw; shared so it outlives the writer.
struct WriterLog {
  std::mutex mutex;
  std::string bytes;                     // as appended
  std::string hashed;                    // as hashed
  std::vector<std::thread::id> threads;  // one per append() call
  std::vector<const void*> buffers;      // where each call's bytes were
  bool destroyed = false;
};

class RecordingWriter final : public SpoolWriter {
 public:
  struct Behaviour {
    int fail_on_call = 0;                // 1-based call that fails; 0: none
    std::chrono::milliseconds delay{0};  // each call takes this long
    std::shared_future<void> release{};  // when valid, each call waits for it
  };

  RecordingWriter(std::shared_ptr<WriterLog> log, Behaviour behaviour)
      : log_(std::move(log)), behaviour_(std::move(behaviour)) {}
  ~RecordingWriter() override {
    std::lock_guard lock(log_->mutex);
    log_->destroyed = true;
  }

  Status append(std::span<const std::byte> data) override {
    if (behaviour_.release.valid()) behaviour_.release.wait();
    // Read the bytes first and again after the delay: a buffer overwritten while its write
    // runs shows up as different bytes.
    std::string first(reinterpret_cast<const char*>(data.data()), data.size());
    if (behaviour_.delay.count() > 0) std::this_thread::sleep_for(behaviour_.delay);
    std::string second(reinterpret_cast<const char*>(data.data()), data.size());
    std::lock_guard lock(log_->mutex);
    log_->threads.push_back(std::this_thread::get_id());
    log_->buffers.push_back(data.data());
    if (static_cast<int>(log_->threads.size()) == behaviour_.fail_on_call) {
      return fail(Error::permanent(ErrorCode::kResourceExhausted, "disk full"));
    }
    if (first != second) return fail(Error::permanent(ErrorCode::kInternal, "buffer changed"));
    log_->bytes += first;
    written_ += data.size();
    return {};
  }
  void hash(std::span<const std::byte> data) override {
    std::string bytes(reinterpret_cast<const char*>(data.data()), data.size());
    if (behaviour_.delay.count() > 0) std::this_thread::sleep_for(behaviour_.delay);
    std::lock_guard lock(log_->mutex);
    log_->hashed += bytes;
  }
  uint64_t bytes_written() const override { return written_; }
  SpooledFile digest() override { return SpooledFile{written_, ""}; }
  Result<SpooledFile> commit() override { return digest(); }
  Status commit_with_manifest(const SpoolManifest&) override { return {}; }

 private:
  std::shared_ptr<WriterLog> log_;
  Behaviour behaviour_;
  uint64_t written_ = 0;
};

std::string pattern(size_t size) {
  std::string text(size, '\0');
  for (size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
  return text;
}

class SpoolWritePipelineTest : public ::testing::Test {
 protected:
  // Runs `body` as a coroutine on a single-threaded io_context until it finished.
  void run(std::function<asio::awaitable<void>()> body) {
    io_thread_ = std::this_thread::get_id();
    asio::co_spawn(io_, std::move(body), asio::detached);
    io_.run();
    io_.restart();
  }

  // Feeds `data` through the pipeline chunk by chunk as a connection would; returns the
  // first error of write() or drain().
  static asio::awaitable<Status> feed(SpoolWritePipeline& pipeline, std::string_view data,
                                      std::vector<size_t>* buffer_sizes = nullptr) {
    size_t offset = 0;
    while (offset < data.size()) {
      std::span<char> buffer = pipeline.buffer();
      if (buffer_sizes) buffer_sizes->push_back(buffer.size());
      const size_t size = std::min(buffer.size(), data.size() - offset);
      std::memcpy(buffer.data(), data.data() + offset, size);
      offset += size;
      if (auto written = co_await pipeline.write(size); !written) co_return written;
    }
    co_return co_await pipeline.drain();
  }

  std::unique_ptr<SpoolWriter> writer(RecordingWriter::Behaviour behaviour = {}) {
    return std::make_unique<RecordingWriter>(log_, std::move(behaviour));
  }

  asio::io_context io_;
  asio::thread_pool pool_{2};
  std::thread::id io_thread_;
  std::shared_ptr<WriterLog> log_ = std::make_shared<WriterLog>();
};

TEST_F(SpoolWritePipelineTest, InLineFirstThenOnThePoolWithTheSameBytesInOrder) {
  const std::string data = pattern(1000);
  std::vector<size_t> sizes;
  Status result;
  run([&]() -> asio::awaitable<void> {
    SpoolWritePipeline pipeline(
        pool_, writer({.delay = 1ms}),
        {.inline_chunk_bytes = 16, .background_chunk_bytes = 64, .inline_bytes = 40});
    result = co_await feed(pipeline, data, &sizes);
  });
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(log_->bytes, data);
  EXPECT_EQ(log_->hashed, data);
  // 16 + 16 + 16 bytes in line (the third chunk starts below 40), then 64-byte chunks.
  ASSERT_GE(sizes.size(), 4u);
  EXPECT_EQ((std::vector<size_t>(sizes.begin(), sizes.begin() + 4)),
            (std::vector<size_t>{16, 16, 16, 64}));
  ASSERT_EQ(log_->threads.size(), sizes.size());
  for (size_t i = 0; i < log_->threads.size(); ++i) {
    if (i < 3) {
      EXPECT_EQ(log_->threads[i], io_thread_) << "write " << i << " should be in line";
    } else {
      EXPECT_NE(log_->threads[i], io_thread_) << "write " << i << " should be on the pool";
    }
  }
  // The two buffers alternate: a chunk is never received into the buffer being written.
  for (size_t i = 4; i < log_->buffers.size(); ++i) {
    EXPECT_NE(log_->buffers[i], log_->buffers[i - 1]) << "write " << i;
  }
}

TEST_F(SpoolWritePipelineTest, SmallBodyStaysInLine) {
  const std::string data = pattern(100);
  Status result;
  run([&]() -> asio::awaitable<void> {
    SpoolWritePipeline pipeline(
        pool_, writer(),
        {.inline_chunk_bytes = 16, .background_chunk_bytes = 64, .inline_bytes = 1000});
    result = co_await feed(pipeline, data);
  });
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(log_->bytes, data);
  EXPECT_EQ(log_->hashed, data);
  for (const auto& thread : log_->threads) EXPECT_EQ(thread, io_thread_);
}

TEST_F(SpoolWritePipelineTest, AllOnThePoolWhenNothingIsInLine) {
  const std::string data = pattern(777);
  Status result;
  run([&]() -> asio::awaitable<void> {
    SpoolWritePipeline pipeline(
        pool_, writer({.delay = 1ms}),
        {.inline_chunk_bytes = 16, .background_chunk_bytes = 50, .inline_bytes = 0});
    result = co_await feed(pipeline, data);
    // After drain() the writer is free to use again, as commit() does.
    auto committed = pipeline.writer().commit();
    EXPECT_TRUE(committed && committed->size == data.size());
  });
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(log_->bytes, data);
  EXPECT_EQ(log_->hashed, data);
  EXPECT_EQ(log_->threads.size(), 16u);  // ceil(777 / 50)
  for (const auto& thread : log_->threads) EXPECT_NE(thread, io_thread_);
}

// Four 64-byte buffers (256 bytes) from `budget`, all of the body past the first chunk.
SpoolWritePipelineOptions budgeted(std::shared_ptr<PipelineBufferBudget> budget) {
  return {.inline_chunk_bytes = 16,
          .background_chunk_bytes = 64,
          .background_buffers = 4,
          .inline_bytes = 0,
          .budget = std::move(budget)};
}

TEST_F(SpoolWritePipelineTest, WithoutBudgetForItsBuffersTheBodyStaysInLine) {
  const std::string data = pattern(1000);
  auto budget = std::make_shared<PipelineBufferBudget>(4 * 64 - 1);  // one byte short
  std::vector<size_t> sizes;
  Status result;
  run([&]() -> asio::awaitable<void> {
    SpoolWritePipeline pipeline(pool_, writer(), budgeted(budget));
    result = co_await feed(pipeline, data, &sizes);
  });
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(log_->bytes, data);
  for (const auto& thread : log_->threads) EXPECT_EQ(thread, io_thread_);
  for (const size_t size : sizes) EXPECT_EQ(size, 16u);
  EXPECT_EQ(budget->free_bytes(), 4u * 64 - 1);
}

TEST_F(SpoolWritePipelineTest, BuffersAreTakenFromTheBudgetAndGivenBack) {
  const std::string data = pattern(1000);
  auto budget = std::make_shared<PipelineBufferBudget>(4 * 64);
  uint64_t free_while_writing = 1;
  Status first;
  run([&]() -> asio::awaitable<void> {
    SpoolWritePipeline pipeline(pool_, writer(), budgeted(budget));
    first = co_await feed(pipeline, data);
    free_while_writing = budget->free_bytes();
  });
  pool_.join();  // the last chunk's tasks may hold the pipeline's state a moment longer
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(free_while_writing, 0u);
  EXPECT_EQ(budget->free_bytes(), 4u * 64) << "given back when the pipeline is gone";
}

TEST_F(SpoolWritePipelineTest, BackgroundErrorEndsTheBodyEarly) {
  const std::string data = pattern(1000);
  Status result;
  run([&]() -> asio::awaitable<void> {
    SpoolWritePipeline pipeline(pool_, writer({.fail_on_call = 3}),
                                {.inline_chunk_bytes = 10,
                                 .background_chunk_bytes = 10,
                                 .background_buffers = 3,
                                 .inline_bytes = 0});
    result = co_await feed(pipeline, data);
  });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kResourceExhausted);
  pool_.join();  // chunks started before the failure was seen finish
  // The failure is seen at the latest when the ring comes round to the failed chunk's buffer:
  // at most the other two buffers' chunks were started after it, of 100.
  EXPECT_GE(log_->threads.size(), 3u);
  EXPECT_LE(log_->threads.size(), 5u);
}

TEST_F(SpoolWritePipelineTest, ErrorOfTheLastChunkIsReturnedByDrain) {
  const std::string data = pattern(30);
  std::promise<void> release;  // no chunk runs before all three were handed over
  Status written;
  Status drained;
  run([&]() -> asio::awaitable<void> {
    SpoolWritePipeline pipeline(
        pool_, writer({.fail_on_call = 3, .release = release.get_future().share()}),
        {.inline_chunk_bytes = 10,
         .background_chunk_bytes = 10,
         .background_buffers = 4,
         .inline_bytes = 0});
    for (int i = 0; i < 3; ++i) {
      std::memcpy(pipeline.buffer().data(), data.data() + i * 10, 10);
      written = co_await pipeline.write(10);
      if (!written) break;
    }
    release.set_value();
    drained = co_await pipeline.drain();
  });
  EXPECT_TRUE(written) << written.error().message;
  ASSERT_FALSE(drained);
  EXPECT_EQ(drained.error().code, ErrorCode::kResourceExhausted);
}

TEST_F(SpoolWritePipelineTest, WriteInFlightOutlivesThePipeline) {
  std::promise<void> release;
  const std::string data = pattern(10);
  run([&]() -> asio::awaitable<void> {
    SpoolWritePipeline pipeline(
        pool_, writer({.release = release.get_future().share()}),
        {.inline_chunk_bytes = 10, .background_chunk_bytes = 10, .inline_bytes = 0});
    std::memcpy(pipeline.buffer().data(), data.data(), data.size());
    EXPECT_TRUE(co_await pipeline.write(data.size()));
    // Abandoned here, as when a client goes away: no drain().
  });
  {
    std::lock_guard lock(log_->mutex);
    EXPECT_FALSE(log_->destroyed) << "the writer must stay while its write runs";
  }
  release.set_value();
  pool_.join();  // the write finishes and the last owner destroys the writer
  std::lock_guard lock(log_->mutex);
  EXPECT_TRUE(log_->destroyed);
  EXPECT_EQ(log_->bytes, data);
}

// An error answer must not race the partial file's removal: abandon() returns only once the
// writes in flight finished and the writer is destroyed.
TEST_F(SpoolWritePipelineTest, AbandonWaitsForWritesInFlightAndDestroysTheWriter) {
  const std::string data = pattern(30);
  bool destroyed_when_abandoned = false;
  run([&]() -> asio::awaitable<void> {
    SpoolWritePipeline pipeline(
        pool_, writer({.delay = 20ms}),
        {.inline_chunk_bytes = 10, .background_chunk_bytes = 10, .inline_bytes = 0});
    for (size_t offset = 0; offset < data.size(); offset += 10) {
      std::memcpy(pipeline.buffer().data(), data.data() + offset, 10);
      EXPECT_TRUE(co_await pipeline.write(10));
    }
    co_await pipeline.abandon();
    std::lock_guard lock(log_->mutex);
    destroyed_when_abandoned = log_->destroyed;
  });
  EXPECT_TRUE(destroyed_when_abandoned);
  std::lock_guard lock(log_->mutex);
  EXPECT_EQ(log_->bytes, data);
}

}  // namespace
}  // namespace upfleet
