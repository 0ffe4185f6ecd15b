// POST /v1/files: a multipart/form-data body with one or more files. Each file part (a part
// with a filename) becomes its own upload and job under key = prefix + filename; an optional
// `prefix` field must come before the first file; any other field is refused, so a misspelt
// field never silently puts files under the wrong key.
//
// All or nothing for bad input: every file is spooled and checked (key, checksum, size, form
// syntax) before the first job is published, and any refusal removes every file of the
// request. Only Kafka can split a request: when a publish fails, the files not yet published
// are removed and the 503 lists the uploads that were already accepted.
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <vector>

#include "common/ids.h"
#include "common/log.h"
#include "common/object_key.h"
#include "producer/checksum_header.h"
#include "producer/ingest_service.h"
#include "producer/multipart_form_parser.h"
#include "producer/run_blocking.h"
#include "producer/upload_replies.h"

namespace upfleet {
namespace bhttp = beast::http;

namespace {

constexpr size_t kFormChunkBytes = 256 * 1024;
constexpr std::string_view kPrefixField = "prefix";
// Every file part holds a spool file open until the chunk that ended it is processed, so the
// part count also bounds the descriptors one request can hold.
constexpr size_t kMaxFormParts = 100;
constexpr size_t kMaxEchoedBytes = 64;

// Client text inside an error message: JSON bodies must be UTF-8, and messages stay short.
std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, kMaxEchoedBytes)) {
    out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  }
  if (text.size() > kMaxEchoedBytes) out += "...";
  return out;
}

struct FormFile {
  SpoolManifest manifest;
  std::optional<std::string> expected_sha256;
  std::unique_ptr<SpoolWriter> writer;  // until committed
  bool ended = false;                   // the part is complete; commit it
};

// Turns parser events into spool files. Refusals of ours (bad key, misplaced field, spool
// full) are kept as the HTTP answer; anything else the parser reports is a malformed form.
// Unless keep() was called, destruction removes every file of the request.
class FormSpooler final : public MultipartFormHandler {
 public:
  FormSpooler(Spool& spool, const IngestOptions& options, const Clock& clock)
      : spool_(spool), options_(options), clock_(clock) {}
  ~FormSpooler() override {
    if (!kept_) discard();
  }

  Status on_part_begin(const FormPart& part) override {
    if (!part.is_file()) return begin_field(part);
    if (part.filename->empty()) {
      current_ = Current::kEmptyFileInput;  // what browsers send for an unused file input
      return {};
    }
    const std::string key = prefix_.value_or("") + *part.filename;
    if (auto valid = validate_object_key(key); !valid) {
      return reject(json_error(400, "invalid_key",
                               "file \"" + printable(*part.filename) +
                                   "\": " + valid.error().message +
                                   " (filenames are used "
                                   "literally, without percent-decoding)"));
    }
    if (!keys_.insert(key).second) {
      return reject(json_error(400, "duplicate_key",
                               "the form has two files with the key " + printable(key)));
    }
    FormFile file;
    for (const auto& [name, value] : part.headers) {
      if (name != "x-checksum-sha256") continue;
      auto expected = parse_sha256_checksum(value);
      if (!expected) {
        return reject(json_error(400, "invalid_checksum",
                                 "file " + printable(key) + ": " + expected.error().message));
      }
      file.expected_sha256 = std::move(*expected);
    }
    file.manifest.upload_id = new_id();
    file.manifest.job_id = new_id();
    file.manifest.bucket = options_.default_bucket;
    file.manifest.key = key;
    file.manifest.content_type =
        part.content_type.empty() ? "application/octet-stream" : part.content_type;
    file.manifest.created_at = format_rfc3339(clock_.now());
    auto writer = spool_.create(file.manifest.upload_id, options_.max_body_bytes);
    if (!writer) return reject(spool_error(writer.error()));
    file.writer = std::move(*writer);
    files_.push_back(std::move(file));
    current_ = Current::kFile;
    return {};
  }

  Status on_part_data(std::string_view bytes) override {
    switch (current_) {
      case Current::kFile:
        if (auto written = files_.back().writer->write(std::as_bytes(std::span(bytes))); !written) {
          return reject(spool_error(written.error()));
        }
        return {};
      case Current::kPrefix:
        prefix_->append(bytes);
        if (prefix_->size() > kMaxObjectKeyBytes) {
          return reject(json_error(400, "invalid_prefix", "the prefix field is too long"));
        }
        return {};
      case Current::kEmptyFileInput:
        return reject(json_error(400, "invalid_key", "a file part has an empty filename"));
      case Current::kNone: break;
    }
    return {};
  }

  Status on_part_end() override {
    if (current_ == Current::kFile) files_.back().ended = true;
    if (current_ == Current::kPrefix && !prefix_->empty()) {
      // Checked with a stand-in file name, so a bad prefix is named as such up front.
      if (auto valid = validate_object_key(*prefix_ + "f"); !valid) {
        return reject(json_error(400, "invalid_prefix",
                                 "the prefix field makes invalid keys: " + valid.error().message));
      }
    }
    current_ = Current::kNone;
    return {};
  }

  Status on_form_end() override { return {}; }

  std::vector<FormFile>& files() { return files_; }

  // The answer for a refusal raised here; nullopt when the parser itself failed.
  std::optional<HttpResponse> take_rejection() { return std::exchange(rejection_, std::nullopt); }

  // Removes every file of the request (partial, committed, with or without manifest).
  void discard() {
    for (FormFile& file : files_) {
      file.writer.reset();  // an uncommitted writer removes its partial file
      (void)spool_.remove(file.manifest.upload_id);
    }
    files_.clear();
  }

  // The files now belong to the spool's normal life (published, or removed by the caller).
  void keep() { kept_ = true; }

 private:
  enum class Current { kNone, kFile, kPrefix, kEmptyFileInput };

  Status begin_field(const FormPart& part) {
    if (part.name != kPrefixField) {
      return reject(json_error(400, "unknown_field",
                               "form field \"" + printable(part.name) +
                                   "\" is not accepted: send file parts (with a filename) and, "
                                   "optionally, a prefix field before them"));
    }
    if (!files_.empty()) {
      return reject(json_error(400, "prefix_after_file",
                               "the prefix field must come before the first file part"));
    }
    if (prefix_) {
      return reject(json_error(400, "invalid_prefix", "the form has more than one prefix field"));
    }
    prefix_.emplace();
    current_ = Current::kPrefix;
    return {};
  }

  Status reject(HttpResponse response) {
    rejection_ = std::move(response);
    return fail(Error::invalid("form refused"));
  }

  Spool& spool_;
  const IngestOptions& options_;
  const Clock& clock_;
  std::vector<FormFile> files_;
  std::set<std::string> keys_;
  std::optional<std::string> prefix_;
  Current current_ = Current::kNone;
  std::optional<HttpResponse> rejection_;
  bool kept_ = false;
};

// Commits the files whose part has ended (fsync on the blocking pool) and checks their
// announced checksums. The answer to send when one fails.
asio::awaitable<std::optional<HttpResponse>> commit_ended(FormSpooler& spooler,
                                                          asio::thread_pool& blocking) {
  for (FormFile& file : spooler.files()) {
    if (!file.ended || !file.writer) continue;
    SpoolWriter& writer = *file.writer;
    auto committed = co_await run_blocking(blocking, [&writer] { return writer.commit(); });
    if (!committed) co_return spool_error(committed.error());
    file.writer.reset();
    file.manifest.size = committed->size;
    file.manifest.sha256 = committed->sha256;
    if (file.expected_sha256 && *file.expected_sha256 != committed->sha256) {
      co_return checksum_mismatch(file.manifest.key, *file.expected_sha256, committed->sha256);
    }
  }
  co_return std::nullopt;
}

HttpResponse form_refused(FormSpooler& spooler, const Error& error) {
  return spooler.take_rejection().value_or(json_error(400, "bad_form", error.message));
}

}  // namespace

asio::awaitable<HttpResponse> IngestService::post_files(HttpRequest& request, BodyReader& body) {
  const auto started = clock_.steady_now();
  if (!client_authorized(request)) co_return unauthorized();
  const std::string_view content_type = request.header(bhttp::field::content_type);
  if (!is_multipart_form_data(content_type)) {
    co_return json_error(415, "unsupported_media_type",
                         "POST /v1/files takes multipart/form-data; send a raw body with "
                         "PUT /v1/files/{key}");
  }
  auto boundary = multipart_boundary(content_type);
  if (!boundary) co_return json_error(400, "bad_form", boundary.error().message);
  if (request.content_length && *request.content_length > options_.max_body_bytes) {
    co_return declared_body_too_large(*request.content_length, options_.max_body_bytes);
  }

  FormSpooler spooler(spool_, options_, clock_);
  MultipartLimits limits;
  limits.max_parts = kMaxFormParts;
  MultipartFormParser parser(*boundary, spooler, limits);
  std::vector<char> chunk(kFormChunkBytes);
  uint64_t received = 0;
  for (;;) {
    auto got = co_await body.read(chunk);
    if (!got) {
      log::warn("form body failed", {{"error", got.error().message}});
      HttpResponse response = spool_error(got.error());
      response.close = true;
      co_return response;
    }
    if (*got == 0) break;
    received += *got;
    metrics_.bytes_received.Increment(static_cast<double>(*got));
    // Chunked bodies have no Content-Length: the limit holds for the bytes as they come.
    if (received > options_.max_body_bytes) {
      co_return spool_error(
          Error::permanent(ErrorCode::kTooLarge, "body exceeds the limit of " +
                                                     std::to_string(options_.max_body_bytes) +
                                                     " bytes (http.max_body_bytes)"));
    }
    if (auto fed = parser.feed(std::string_view(chunk.data(), *got)); !fed) {
      co_return form_refused(spooler, fed.error());
    }
    if (auto refused = co_await commit_ended(spooler, blocking_)) co_return std::move(*refused);
  }
  if (auto finished = parser.finish(); !finished) co_return form_refused(spooler, finished.error());
  if (auto refused = co_await commit_ended(spooler, blocking_)) co_return std::move(*refused);
  std::vector<FormFile>& files = spooler.files();
  if (files.empty()) {
    co_return json_error(400, "no_files", "the form has no file part (a part with a filename)");
  }

  // Manifests only now: until then a crash leaves bytes without a manifest, which recovery
  // removes, so no file of a refused form is ever published.
  auto recorded = co_await run_blocking(blocking_, [this, &files]() -> Status {
    for (const FormFile& file : files) {
      if (auto written = spool_.write_manifest(file.manifest); !written) return written;
    }
    return {};
  });
  if (!recorded) co_return spool_error(recorded.error());

  spooler.keep();
  nlohmann::json accepted = nlohmann::json::array();
  for (size_t i = 0; i < files.size(); ++i) {
    const SpoolManifest& manifest = files[i].manifest;
    auto published = co_await run_blocking(
        blocking_, [this, &manifest]() -> Status { return publish(manifest); });
    if (!published) {
      for (size_t j = i; j < files.size(); ++j) (void)spool_.remove(files[j].manifest.upload_id);
      metrics_.publish_failures.Increment();
      refresh_gauges();
      log::error("job not confirmed by kafka; rest of the form refused",
                 {{"upload_id", manifest.upload_id},
                  {"key", manifest.key},
                  {"accepted", accepted.size()},
                  {"refused", files.size() - i},
                  {"error", published.error().message}});
      nlohmann::json reply = {
          {"error",
           {{"code", "queue_unavailable"},
            {"message",
             "the job queue did not confirm an upload; the files listed in uploads were "
             "accepted before that, the others were not kept: retry those later"}}},
          {"uploads", accepted}};
      HttpResponse response = json_response(503, reply.dump());
      response.headers.emplace_back("Retry-After", "5");
      co_return response;
    }
    metrics_.uploads_accepted.Increment();
    metrics_.upload_size.Observe(static_cast<double>(manifest.size));
    log::info("upload accepted", {{"upload_id", manifest.upload_id},
                                  {"key", manifest.key},
                                  {"size", manifest.size},
                                  {"sha256", manifest.sha256},
                                  {"via", "form"}});
    accepted.push_back(upload_reply(manifest, options_.advertise_url));
  }
  refresh_gauges();
  metrics_.accept_seconds.Observe(
      std::chrono::duration<double>(clock_.steady_now() - started).count());
  co_return json_response(202, nlohmann::json{{"uploads", accepted}}.dump());
}

}  // namespace upfleet
