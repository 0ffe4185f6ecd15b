#include "tests/fakes/fake_s3_server.h"

#include <algorithm>
#include <charconv>

#include "common/crypto/hex.h"
#include "common/crypto/md5.h"
#include "common/crypto/sha256.h"
#include "common/s3/s3_xml.h"
#include "common/s3/sigv4_canonical.h"
#include "common/s3/uri_encode.h"

namespace upfleet::testing {

struct FakeS3Server::Request {
  S3Operation operation = S3Operation::kUnknown;
  std::string method;
  std::string bucket;
  std::string key;
  std::map<std::string, std::string> query;
  const RecordedRequest* recorded = nullptr;
  int part_number = 0;

  std::string param(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  }
};

namespace {

using http::HttpResponse;

HttpResponse answer(long status, std::string body = {}, http::Headers headers = {}) {
  return HttpResponse{status, std::move(headers), std::move(body)};
}

HttpResponse s3_error(long status, const std::string& code, const std::string& message) {
  return answer(status,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code +
                    "</Code><Message>" + s3::xml::escape(message) +
                    "</Message><RequestId>FAKE0001</RequestId></Error>",
                {{"content-type", "application/xml"}, {"x-amz-request-id", "FAKE0001"}});
}

HttpResponse xml_answer(const std::string& body) {
  return answer(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + body,
                {{"content-type", "application/xml"}});
}

HttpResponse no_such_upload() {
  return s3_error(404, "NoSuchUpload", "The specified upload does not exist.");
}

std::string quoted(const std::string& etag) {
  return "\"" + etag + "\"";
}

std::string element(const std::string& name, const std::string& text) {
  return "<" + name + ">" + s3::xml::escape(text) + "</" + name + ">";
}

S3Operation classify(const std::string& method, bool has_key,
                     const std::map<std::string, std::string>& query) {
  const bool upload_id = query.contains("uploadId");
  if (!has_key) {
    if (method == "PUT") return S3Operation::kCreateBucket;
    if (method == "GET" && query.contains("uploads")) return S3Operation::kListMultipartUploads;
    return S3Operation::kUnknown;
  }
  if (method == "PUT" && upload_id) return S3Operation::kUploadPart;
  if (method == "PUT") return S3Operation::kPutObject;
  if (method == "GET") return upload_id ? S3Operation::kListParts : S3Operation::kGetObject;
  if (method == "HEAD") return S3Operation::kHeadObject;
  if (method == "DELETE" && upload_id) return S3Operation::kAbortMultipartUpload;
  if (method == "DELETE") return S3Operation::kDeleteObject;
  if (method == "POST" && query.contains("uploads")) return S3Operation::kCreateMultipartUpload;
  if (method == "POST" && upload_id) return S3Operation::kCompleteMultipartUpload;
  return S3Operation::kUnknown;
}

// Splits "http://host/bucket/key?a=b" into a decoded bucket, key and query; false if the
// URL cannot be decoded.
bool parse_url(const std::string& url, std::string& bucket, std::string& key,
               std::map<std::string, std::string>& query) {
  const size_t scheme = url.find("://");
  const size_t path_start = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path_start == std::string::npos) return true;
  const size_t question = url.find('?', path_start);
  const std::string path = url.substr(path_start + 1, question - path_start - 1);
  const size_t slash = path.find('/');
  auto decoded_bucket = s3::uri_decode(path.substr(0, slash));
  auto decoded_key = s3::uri_decode(slash == std::string::npos ? "" : path.substr(slash + 1));
  if (!decoded_bucket || !decoded_key) return false;
  bucket = std::move(*decoded_bucket);
  key = std::move(*decoded_key);
  if (question == std::string::npos) return true;
  const std::string text = url.substr(question + 1);
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('&', start);
    if (end == std::string::npos) end = text.size();
    const std::string pair = text.substr(start, end - start);
    const size_t eq = pair.find('=');
    auto name = s3::uri_decode(pair.substr(0, eq));
    auto value = s3::uri_decode(eq == std::string::npos ? "" : pair.substr(eq + 1));
    if (!name || !value) return false;
    if (!name->empty()) query[*name] = *value;
    start = end + 1;
  }
  return true;
}

std::map<std::string, std::string> metadata_of(const RecordedRequest& request) {
  std::map<std::string, std::string> metadata;
  for (const auto& [name, value] : request.headers) {
    const std::string lower = s3::to_lower_ascii(name);
    if (lower.starts_with("x-amz-meta-")) metadata[lower.substr(11)] = value;
  }
  return metadata;
}

// BadDigest / XAmzContentSHA256Mismatch when the body does not match what the client claims.
std::optional<HttpResponse> check_body(const RecordedRequest& request) {
  if (request.has_header("content-md5") &&
      request.header("content-md5") != crypto::md5_base64(std::string_view(request.body))) {
    return s3_error(400, "BadDigest", "The Content-MD5 you specified did not match");
  }
  const std::string sha = request.header("x-amz-content-sha256");
  if (!sha.empty() && sha != "UNSIGNED-PAYLOAD" && !sha.starts_with("STREAMING-") &&
      sha != crypto::sha256_hex(request.body)) {
    return s3_error(400, "XAmzContentSHA256Mismatch", "x-amz-content-sha256 does not match");
  }
  return std::nullopt;
}

int to_int(const std::string& text, int fallback) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() ? value : fallback;
}

}  // namespace

FakeS3Server::FakeS3Server(FakeHttpTransport& transport) {
  transport.set_handler([this](const RecordedRequest& request) { return handle(request); });
}

void FakeS3Server::put_object(const std::string& bucket, const std::string& key, std::string data) {
  std::lock_guard lock(mutex_);
  const std::string etag = crypto::md5_hex(data);
  objects_[{bucket, key}] = {std::move(data), etag, "application/octet-stream", {}};
}

std::string FakeS3Server::create_upload(const std::string& bucket, const std::string& key) {
  std::lock_guard lock(mutex_);
  const std::string id = new_upload_id();
  uploads_[id] = {bucket, key, id, {}, {}, {}};
  return id;
}

void FakeS3Server::put_part(const std::string& upload_id, int part_number, std::string data) {
  std::lock_guard lock(mutex_);
  const std::string etag = crypto::md5_hex(data);
  uploads_.at(upload_id).parts[part_number] = {std::move(data), etag};
}

std::string FakeS3Server::new_upload_id() {
  // '/', '+' and '=' like some servers' ids: they must survive query encoding both ways.
  return "mpu/" + std::to_string(next_upload_++) + "+x=";
}

std::optional<S3Fault> FakeS3Server::count_and_match(S3Operation operation, int part_number) {
  std::lock_guard lock(mutex_);
  ++operation_counts_[operation];
  if (operation == S3Operation::kUploadPart) ++part_counts_[part_number];
  std::optional<S3Fault> matched;
  for (ArmedFault& armed : faults_) {
    const S3Fault& fault = armed.fault;
    if (fault.operation != operation) continue;
    if (fault.part_number != 0 && fault.part_number != part_number) continue;
    const int seen = ++armed.seen;
    const bool in_window =
        seen >= fault.nth && (fault.times == 0 || seen < fault.nth + fault.times);
    if (in_window && !matched) matched = fault;
  }
  return matched;
}

Result<http::HttpResponse> FakeS3Server::handle(const RecordedRequest& recorded) {
  Request request;
  request.method = recorded.method;
  request.recorded = &recorded;
  if (!parse_url(recorded.url, request.bucket, request.key, request.query)) {
    return s3_error(400, "InvalidURI", "Couldn't parse the specified URI.");
  }
  request.operation = classify(request.method, !request.key.empty(), request.query);
  if (request.operation == S3Operation::kUploadPart) {
    request.part_number = to_int(request.param("partNumber"), -1);
  }
  auto hook = [this] {
    std::lock_guard lock(mutex_);
    return on_request_;
  }();
  if (hook) hook(request.operation, request.part_number);

  const std::optional<S3Fault> fault = count_and_match(request.operation, request.part_number);
  if (!fault || fault->after_effect) {
    std::lock_guard lock(mutex_);
    HttpResponse response = dispatch(request);
    if (!fault) return response;
  }
  if (fault->transport_error) return fail(*fault->transport_error);
  return s3_error(fault->status, fault->code, "injected fault");
}

std::map<std::string, FakeS3Upload>::iterator FakeS3Server::find_upload(const Request& request) {
  auto it = uploads_.find(request.param("uploadId"));
  const bool ours =
      it != uploads_.end() && it->second.bucket == request.bucket && it->second.key == request.key;
  return ours ? it : uploads_.end();
}

http::HttpResponse FakeS3Server::dispatch(const Request& request) {
  if (request.recorded->header("authorization").empty()) {
    return s3_error(403, "AccessDenied", "Anonymous access is forbidden");
  }
  if (!buckets_.contains(request.bucket) && request.operation != S3Operation::kCreateBucket) {
    return s3_error(404, "NoSuchBucket", "The specified bucket does not exist");
  }
  switch (request.operation) {
    case S3Operation::kCreateBucket: return create_bucket_op(request);
    case S3Operation::kPutObject: return put_object_op(request);
    case S3Operation::kGetObject: return get_object_op(request, false);
    case S3Operation::kHeadObject: return get_object_op(request, true);
    case S3Operation::kDeleteObject: return delete_object_op(request);
    case S3Operation::kCreateMultipartUpload: return create_upload_op(request);
    case S3Operation::kUploadPart: return upload_part_op(request);
    case S3Operation::kListParts: return list_parts_op(request);
    case S3Operation::kCompleteMultipartUpload: return complete_op(request);
    case S3Operation::kAbortMultipartUpload: return abort_op(request);
    case S3Operation::kListMultipartUploads: return list_uploads_op(request);
    case S3Operation::kUnknown: break;
  }
  return s3_error(501, "NotImplemented", "The fake does not implement this request");
}

http::HttpResponse FakeS3Server::create_bucket_op(const Request& request) {
  if (!buckets_.insert(request.bucket).second) {
    return s3_error(409, "BucketAlreadyOwnedByYou", "You already own this bucket");
  }
  return answer(200);
}

http::HttpResponse FakeS3Server::put_object_op(const Request& request) {
  if (auto bad = check_body(*request.recorded)) return *bad;
  FakeS3Object stored{request.recorded->body, crypto::md5_hex(request.recorded->body),
                      request.recorded->header("content-type"), metadata_of(*request.recorded)};
  const std::string etag = stored.etag;
  objects_[{request.bucket, request.key}] = std::move(stored);
  return answer(200, "", {{"etag", quoted(etag)}});
}

http::HttpResponse FakeS3Server::get_object_op(const Request& request, bool head) {
  auto it = objects_.find({request.bucket, request.key});
  if (it == objects_.end()) {
    return head ? answer(404) : s3_error(404, "NoSuchKey", "The specified key does not exist.");
  }
  const FakeS3Object& object = it->second;
  http::Headers headers = {{"etag", quoted(object.etag)}, {"content-type", object.content_type}};
  for (const auto& [name, value] : object.metadata)
    headers.emplace_back("x-amz-meta-" + name, value);
  headers.emplace_back("content-length", std::to_string(object.data.size()));
  return answer(200, head ? std::string() : object.data, std::move(headers));
}

http::HttpResponse FakeS3Server::delete_object_op(const Request& request) {
  objects_.erase({request.bucket, request.key});
  return answer(204);
}

http::HttpResponse FakeS3Server::create_upload_op(const Request& request) {
  const std::string id = new_upload_id();
  const RecordedRequest& sent = *request.recorded;
  uploads_[id] = {request.bucket,    request.key, id, sent.header("content-type"),
                  metadata_of(sent), {}};
  return xml_answer("<InitiateMultipartUploadResult>" + element("Bucket", request.bucket) +
                    element("Key", request.key) + element("UploadId", id) +
                    "</InitiateMultipartUploadResult>");
}

http::HttpResponse FakeS3Server::upload_part_op(const Request& request) {
  auto it = find_upload(request);
  if (it == uploads_.end()) return no_such_upload();
  if (request.part_number < 1 || request.part_number > 10000) {
    return s3_error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000");
  }
  if (auto bad = check_body(*request.recorded)) return *bad;
  const std::string etag = crypto::md5_hex(request.recorded->body);
  it->second.parts[request.part_number] = {request.recorded->body, etag};
  return answer(200, "", {{"etag", quoted(etag)}});
}

http::HttpResponse FakeS3Server::list_parts_op(const Request& request) {
  auto it = find_upload(request);
  if (it == uploads_.end()) return no_such_upload();
  const int marker = to_int(request.param("part-number-marker"), 0);
  const int page = std::min(max_page_size_, to_int(request.param("max-parts"), 1000));
  std::string parts;
  int listed = 0;
  int last = 0;
  bool truncated = false;
  for (auto part = it->second.parts.upper_bound(marker); part != it->second.parts.end(); ++part) {
    if (listed == page) {
      truncated = true;
      break;
    }
    parts += "<Part>" + element("PartNumber", std::to_string(part->first)) +
             "<LastModified>2026-01-02T03:04:05.000Z</LastModified>" +
             element("ETag", quoted(part->second.etag)) +
             element("Size", std::to_string(part->second.data.size())) + "</Part>";
    last = part->first;
    ++listed;
  }
  return xml_answer(
      "<ListPartsResult>" + element("Bucket", request.bucket) + element("Key", request.key) +
      element("UploadId", it->first) + element("PartNumberMarker", std::to_string(marker)) +
      element("NextPartNumberMarker", std::to_string(last)) +
      element("MaxParts", std::to_string(page)) +
      element("IsTruncated", truncated ? "true" : "false") + parts + "</ListPartsResult>");
}

http::HttpResponse FakeS3Server::complete_op(const Request& request) {
  auto it = find_upload(request);
  if (it == uploads_.end()) return no_such_upload();
  const FakeS3Upload& upload = it->second;
  const auto listed = s3::xml::elements(request.recorded->body, "Part");
  if (listed.empty()) return s3_error(400, "MalformedXML", "No parts in the request");
  std::string data;
  std::string md5s;
  int previous = 0;
  for (size_t i = 0; i < listed.size(); ++i) {
    const int number = to_int(s3::xml::child_text(listed[i], "PartNumber").value_or(""), -1);
    std::string etag = s3::xml::child_text(listed[i], "ETag").value_or("");
    etag.erase(std::remove(etag.begin(), etag.end(), '"'), etag.end());
    if (number <= previous) {
      return s3_error(400, "InvalidPartOrder", "The list of parts was not in ascending order.");
    }
    previous = number;
    auto part = upload.parts.find(number);
    if (part == upload.parts.end() || part->second.etag != etag) {
      return s3_error(400, "InvalidPart", "a part is missing or its ETag does not match");
    }
    if (i + 1 < listed.size() && part->second.data.size() < min_part_size_) {
      return s3_error(400, "EntityTooSmall", "a part but the last is below the minimum");
    }
    data += part->second.data;
    auto binary = crypto::from_hex(part->second.etag);
    md5s.append(reinterpret_cast<const char*>(binary->data()), binary->size());
  }
  const std::string etag = crypto::md5_hex(md5s) + "-" + std::to_string(listed.size());
  objects_[{upload.bucket, upload.key}] = {std::move(data), etag, upload.content_type,
                                           upload.metadata};
  uploads_.erase(it);
  return xml_answer("<CompleteMultipartUploadResult>" + element("Bucket", request.bucket) +
                    element("Key", request.key) + element("ETag", quoted(etag)) +
                    "</CompleteMultipartUploadResult>");
}

http::HttpResponse FakeS3Server::abort_op(const Request& request) {
  auto it = find_upload(request);
  if (it == uploads_.end()) return no_such_upload();
  uploads_.erase(it);
  return answer(204);
}

http::HttpResponse FakeS3Server::list_uploads_op(const Request& request) {
  // One page, in key then UploadId order: the fake holds few uploads.
  std::vector<const FakeS3Upload*> matching;
  for (const auto& entry : uploads_) {
    const FakeS3Upload& upload = entry.second;
    if (upload.bucket == request.bucket && upload.key.starts_with(request.param("prefix"))) {
      matching.push_back(&upload);
    }
  }
  std::sort(matching.begin(), matching.end(), [](const auto* a, const auto* b) {
    return std::pair(a->key, a->upload_id) < std::pair(b->key, b->upload_id);
  });
  std::string body = "<ListMultipartUploadsResult>" + element("Bucket", request.bucket) +
                     element("IsTruncated", "false");
  for (const FakeS3Upload* upload : matching) {
    body += "<Upload>" + element("Key", upload->key) + element("UploadId", upload->upload_id) +
            "<Initiated>2026-01-02T03:04:05.000Z</Initiated></Upload>";
  }
  return xml_answer(body + "</ListMultipartUploadsResult>");
}

}  // namespace upfleet::testing
