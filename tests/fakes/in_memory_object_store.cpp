#include "tests/fakes/in_memory_object_store.h"

#include <algorithm>
#include <span>

#include "common/crypto/md5.h"
#include "common/crypto/sha256.h"

namespace upfleet::testing {
namespace {

constexpr size_t kChunkBytes = 64 * 1024;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Result<std::string> read_all(ByteSource& body) {
  std::string data;
  std::string chunk(kChunkBytes, '\0');
  while (data.size() < body.size()) {
    auto read = body.read_at(data.size(), std::as_writable_bytes(std::span(chunk)));
    if (!read) return fail(read.error());
    if (*read == 0) return fail(Error::permanent(ErrorCode::kIntegrity, "body ended early"));
    data.append(chunk.data(), *read);
  }
  return data;
}

Error not_found(const ObjectRef& ref) {
  return Error::permanent(ErrorCode::kNotFound, "no object " + ref.bucket + "/" + ref.key);
}

}  // namespace

ObjectInfo InMemoryObjectStore::make_info(const std::string& data, const PutOptions& options) {
  ObjectInfo info;
  info.size = data.size();
  info.etag = crypto::md5_hex(data);
  info.content_type = options.content_type.empty() ? "binary/octet-stream" : options.content_type;
  for (const auto& [name, value] : options.metadata) info.metadata[lower(name)] = value;
  return info;
}

std::optional<Error> InMemoryObjectStore::begin_call(Operation operation) {
  ++calls_[operation];
  auto& queue = failures_[operation];
  if (queue.empty()) return std::nullopt;
  Error error = std::move(queue.front());
  queue.pop_front();
  return error;
}

Result<ObjectInfo> InMemoryObjectStore::put_object(const ObjectRef& ref, ByteSource& body,
                                                   const PutOptions& options) {
  {
    std::lock_guard lock(mutex_);
    if (auto error = begin_call(Operation::kPut)) return fail(std::move(*error));
  }
  auto data = read_all(body);
  if (!data) return fail(data.error());
  if (!options.sha256_hex.empty() && crypto::sha256_hex(*data) != options.sha256_hex) {
    return fail(Error::permanent(ErrorCode::kIntegrity, "body does not match sha256_hex"));
  }
  ObjectInfo info = make_info(*data, options);
  if (options.stats != nullptr) {
    *options.stats = {false, 1, 1, 0, static_cast<uint64_t>(data->size()), 0};
  }
  std::lock_guard lock(mutex_);
  objects_[{ref.bucket, ref.key}] = Stored{std::move(*data), info};
  return info;
}

Result<ObjectInfo> InMemoryObjectStore::head_object(const ObjectRef& ref) {
  std::lock_guard lock(mutex_);
  if (auto error = begin_call(Operation::kHead)) return fail(std::move(*error));
  const auto it = objects_.find({ref.bucket, ref.key});
  if (it == objects_.end()) return fail(not_found(ref));
  return it->second.info;
}

Status InMemoryObjectStore::get_object(const ObjectRef& ref, uint64_t offset, uint64_t length,
                                       const std::function<bool(std::string_view)>& sink) {
  std::string data;
  {
    std::lock_guard lock(mutex_);
    if (auto error = begin_call(Operation::kGet)) return fail(std::move(*error));
    const auto it = objects_.find({ref.bucket, ref.key});
    if (it == objects_.end()) return fail(not_found(ref));
    data = it->second.data;
  }
  const bool ranged = offset > 0 || length > 0;
  if (ranged && offset >= data.size()) {
    return fail(Error::invalid("range starts at " + std::to_string(offset) + ", past the end"));
  }
  const uint64_t end = length == 0 ? data.size() : std::min<uint64_t>(data.size(), offset + length);
  for (uint64_t pos = offset; pos < end; pos += kChunkBytes) {
    const size_t count = static_cast<size_t>(std::min<uint64_t>(kChunkBytes, end - pos));
    if (!sink(std::string_view(data).substr(pos, count))) {
      return fail(Error::permanent(ErrorCode::kCancelled, "sink stopped the download"));
    }
  }
  return {};
}

Status InMemoryObjectStore::delete_object(const ObjectRef& ref) {
  std::lock_guard lock(mutex_);
  if (auto error = begin_call(Operation::kDelete)) return fail(std::move(*error));
  objects_.erase({ref.bucket, ref.key});
  return {};
}

std::string InMemoryObjectStore::object_url(const ObjectRef& ref) const {
  return "memory://" + ref.bucket + "/" + ref.key;
}

void InMemoryObjectStore::inject_failure(Operation operation, Error error) {
  std::lock_guard lock(mutex_);
  failures_[operation].push_back(std::move(error));
}

void InMemoryObjectStore::seed(const ObjectRef& ref, std::string data, PutOptions options) {
  ObjectInfo info = make_info(data, options);
  std::lock_guard lock(mutex_);
  objects_[{ref.bucket, ref.key}] = Stored{std::move(data), std::move(info)};
}

std::optional<std::string> InMemoryObjectStore::data(const ObjectRef& ref) const {
  std::lock_guard lock(mutex_);
  const auto it = objects_.find({ref.bucket, ref.key});
  if (it == objects_.end()) return std::nullopt;
  return it->second.data;
}

size_t InMemoryObjectStore::object_count() const {
  std::lock_guard lock(mutex_);
  return objects_.size();
}

int InMemoryObjectStore::calls(Operation operation) const {
  std::lock_guard lock(mutex_);
  const auto it = calls_.find(operation);
  return it == calls_.end() ? 0 : it->second;
}

}  // namespace upfleet::testing
