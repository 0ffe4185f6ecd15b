#include "tests/support/job_loop_harness.h"

#include "common/crypto/sha256.h"
#include "tests/fakes/fake_http_byte_source.h"

namespace upfleet::testing {

using namespace std::chrono_literals;

void MemorySourceOpener::add(std::string uri, std::string data) {
  std::lock_guard lock(mutex_);
  sources_[std::move(uri)] = std::move(data);
}

Result<std::unique_ptr<ByteSource>> MemorySourceOpener::open(const ClaimCheck& source) {
  std::lock_guard lock(mutex_);
  auto it = sources_.find(source.uri);
  if (it == sources_.end()) {
    return fail(Error::permanent(ErrorCode::kNotFound, "no source " + source.uri));
  }
  return std::unique_ptr<ByteSource>(std::make_unique<StringByteSource>(it->second));
}

Job spooled_upload_job(MemorySourceOpener& sources, const std::string& id, const std::string& key,
                       const std::string& data) {
  Job job;
  job.job_id = "job-" + id;
  job.upload_id = "upload-" + id;
  job.type = JobType::kUpload;
  job.key = key;
  job.source.uri = "http://ingest-0:8080/internal/spool/" + job.upload_id;
  job.source.size = data.size();
  job.source.sha256 = crypto::sha256_hex(data);
  job.ingest_id = "ingest-0";
  sources.add(job.source.uri, data);
  return job;
}

JobMessage job_message(std::string topic, int32_t partition, int64_t offset, std::string key,
                       std::string value) {
  JobMessage message;
  message.topic = std::move(topic);
  message.partition = partition;
  message.offset = offset;
  message.key = std::move(key);
  message.value = std::move(value);
  return message;
}

Result<ObjectInfo> GatedObjectStore::put_object(const ObjectRef& ref, ByteSource& body,
                                                const PutOptions& options) {
  {
    std::unique_lock lock(mutex_);
    blocked_.insert(ref.key);
    changed_.notify_all();
    while (held(ref.key)) {
      if (options.cancelled) {
        lock.unlock();
        const bool cancelled = options.cancelled();
        lock.lock();
        if (cancelled) {
          blocked_.erase(ref.key);
          cancelled_.insert(ref.key);
          changed_.notify_all();
          return fail(Error::permanent(ErrorCode::kCancelled, "upload cancelled"));
        }
      }
      changed_.wait_for(lock, 2ms);  // cancelled() cannot notify: look again shortly
    }
    blocked_.erase(ref.key);
    changed_.notify_all();
  }
  return inner_.put_object(ref, body, options);
}

bool GatedObjectStore::held(const std::string& key) const {
  auto it = gates_.find(key);
  return it == gates_.end() ? hold_by_default_ : it->second;
}

void GatedObjectStore::hold(const std::string& key) {
  std::lock_guard lock(mutex_);
  gates_[key] = true;
  changed_.notify_all();
}

void GatedObjectStore::release(const std::string& key) {
  std::lock_guard lock(mutex_);
  gates_[key] = false;
  changed_.notify_all();
}

void GatedObjectStore::hold_all() {
  std::lock_guard lock(mutex_);
  hold_by_default_ = true;
  gates_.clear();
  changed_.notify_all();
}

void GatedObjectStore::release_all() {
  std::lock_guard lock(mutex_);
  hold_by_default_ = false;
  gates_.clear();
  changed_.notify_all();
}

bool GatedObjectStore::wait_blocked(const std::set<std::string>& keys,
                                    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return blocked_ == keys; });
}

std::set<std::string> GatedObjectStore::blocked() const {
  std::lock_guard lock(mutex_);
  return blocked_;
}

bool GatedObjectStore::was_cancelled(const std::string& key) const {
  std::lock_guard lock(mutex_);
  return cancelled_.contains(key);
}

bool GatedObjectStore::stored(const std::string& key) const {
  return inner_.data({kHarnessBucket, key}).has_value();
}

}  // namespace upfleet::testing
