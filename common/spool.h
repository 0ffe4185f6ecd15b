// The spool: where the ingest keeps accepted bytes until a worker has stored them. DiskSpool
// implements it on a local directory; tests may use it on a temp dir.
//
// Durability contract: a file is acknowledged to a client only after commit() and
// write_manifest() returned: bytes and manifest are fsync'd, and the directory once after
// both renames, so a power cut after 202 loses nothing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/byte_source.h"
#include "common/error.h"

namespace upfleet {

enum class SpoolState {
  kSpooled,    // bytes durable, job not yet confirmed by Kafka: recovery publishes it again
  kPublished,  // job confirmed: waiting for the `uploaded` status to delete the bytes
};

// What recovery needs to publish the job again with the same identity.
struct SpoolManifest {
  std::string upload_id;
  std::string job_id;
  std::string bucket;
  std::string key;
  std::string content_type;
  std::string sha256;
  uint64_t size = 0;
  std::string created_at;
  std::map<std::string, std::string> metadata;
  SpoolState state = SpoolState::kSpooled;
};

struct SpooledFile {
  uint64_t size = 0;
  std::string sha256;  // lower-case hex
};

// Receives one upload's bytes. Destroying a writer that was not committed removes the partial
// file: a failed or abandoned request leaves nothing behind. Not thread-safe.
class SpoolWriter {
 public:
  virtual ~SpoolWriter() = default;

  // Appends bytes and hashes them. kTooLarge past the size given to Spool::create;
  // kResourceExhausted when the disk is full (the partial file is removed at once).
  Status write(std::span<const std::byte> data) {
    if (auto appended = append(data); !appended) return appended;
    hash(data);
    return {};
  }

  // write() in two halves, for callers that run them on two threads at once for the same
  // bytes (they touch disjoint state). Each half must see every chunk, in order, and both must
  // have returned before the next chunk's and before commit().
  virtual Status append(std::span<const std::byte> data) = 0;  // as write(), without hashing
  virtual void hash(std::span<const std::byte> data) = 0;
  virtual uint64_t bytes_written() const = 0;

  // Size and SHA-256 of the bytes written, once every write has returned and no more will
  // come; commit() returns the same. Lets the caller check the client's checksum, and tell
  // Kafka about the upload, while commit() makes the bytes durable.
  virtual SpooledFile digest() = 0;

  // Makes the bytes durable (fsync) and gives them their final name; the name is durable once
  // the upload's write_manifest() returned (bytes without a manifest are never acknowledged,
  // and recovery removes them).
  virtual Result<SpooledFile> commit() = 0;

  // commit() and then the upload's Spool::write_manifest(), in one: where the manifest can
  // be stored with the bytes (DiskSpool: an extended attribute), one fsync makes both
  // durable. On failure nothing of the upload is left.
  virtual Status commit_with_manifest(const SpoolManifest& manifest) = 0;
};

struct SpoolUsage {
  uint64_t bytes = 0;
  uint64_t files = 0;
};

class Spool {
 public:
  virtual ~Spool() = default;

  // Starts receiving an upload of at most `max_bytes`. kResourceExhausted when the spool is
  // above its high-water mark (the caller answers 507 without reading the body).
  // Thread-safe.
  virtual Result<std::unique_ptr<SpoolWriter>> create(std::string_view upload_id,
                                                      uint64_t max_bytes) = 0;

  // Writes the manifest atomically and durably (replacing an older one). kNotFound, and no
  // manifest written, when the upload's committed bytes are not (or no longer) there: a
  // manifest never outlives its bytes, even when remove() runs at the same time. Thread-safe.
  virtual Status write_manifest(const SpoolManifest& manifest) = 0;
  // Records that Kafka confirmed the upload's job (read_manifest then says kPublished). Not
  // durable: after a power cut recovery may publish the job once more, which is harmless.
  // kNotFound when the bytes are gone. Thread-safe.
  virtual Status mark_published(std::string_view upload_id) = 0;
  // kNotFound when there is none.
  virtual Result<SpoolManifest> read_manifest(std::string_view upload_id) const = 0;

  // The committed bytes of an upload. kNotFound when they are gone.
  virtual Result<std::unique_ptr<ByteSource>> open(std::string_view upload_id) const = 0;

  // Removes bytes and manifest; removing a missing upload succeeds. Thread-safe.
  virtual Status remove(std::string_view upload_id) = 0;

  // Startup recovery: removes partial files and bytes without a manifest (never acknowledged),
  // and returns the manifests of everything still held.
  virtual Result<std::vector<SpoolManifest>> recover() = 0;

  // The manifests of every committed upload still held, without changing anything (for the
  // janitor that expires old uploads). Unreadable manifests are skipped. Thread-safe.
  virtual Result<std::vector<SpoolManifest>> list() const = 0;

  virtual SpoolUsage usage() const = 0;
};

// Upload ids are generated by the ingest; anything else is refused before touching the disk.
bool is_valid_upload_id(std::string_view upload_id);

}  // namespace upfleet
