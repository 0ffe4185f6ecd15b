// An ObjectStore in memory, for tests of everything above the store (upload handler,
// thumbnailer, ingest). Behaves like S3 where tests can notice: ETag = MD5 hex of the bytes,
// metadata names lower-cased, ranges past the end rejected, deletes of missing objects
// succeed. Failures can be injected per operation.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "common/object_store.h"

namespace upfleet::testing {

class InMemoryObjectStore final : public ObjectStore {
 public:
  enum class Operation { kPut, kHead, kGet, kDelete };

  // Reads the body in chunks (like a real store); a sha256_hex in options that does not
  // match the bytes fails with kIntegrity, as S3ObjectStore does.
  Result<ObjectInfo> put_object(const ObjectRef& ref, ByteSource& body,
                                const PutOptions& options) override;
  Result<ObjectInfo> head_object(const ObjectRef& ref) override;
  Status get_object(const ObjectRef& ref, uint64_t offset, uint64_t length,
                    const std::function<bool(std::string_view)>& sink) override;
  Status delete_object(const ObjectRef& ref) override;
  std::string object_url(const ObjectRef& ref) const override;  // "memory://bucket/key"

  // The next call of `operation` fails with `error` (queued: several calls fail in turn).
  void inject_failure(Operation operation, Error error);

  // Stores an object directly, as if uploaded earlier.
  void seed(const ObjectRef& ref, std::string data, PutOptions options = {});

  // The stored bytes, or nullopt.
  std::optional<std::string> data(const ObjectRef& ref) const;
  size_t object_count() const;
  // Calls of `operation` so far, including failed ones.
  int calls(Operation operation) const;

 private:
  struct Stored {
    std::string data;
    ObjectInfo info;
  };
  using Key = std::pair<std::string, std::string>;  // bucket, key

  // Counts the call and pops an injected failure for it, if any. Requires mutex_.
  std::optional<Error> begin_call(Operation operation);
  static ObjectInfo make_info(const std::string& data, const PutOptions& options);

  mutable std::mutex mutex_;
  std::map<Key, Stored> objects_;                    // guarded by mutex_
  std::map<Operation, std::deque<Error>> failures_;  // guarded by mutex_
  std::map<Operation, int> calls_;                   // guarded by mutex_
};

}  // namespace upfleet::testing
