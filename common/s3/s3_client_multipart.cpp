// The multipart-upload operations of S3Client.
#include <algorithm>

#include "common/s3/s3_call.h"
#include "common/s3/s3_client.h"
#include "common/s3/s3_error.h"
#include "common/s3/s3_xml.h"

namespace upfleet::s3 {
namespace {

constexpr int kMaxPartNumber = 10000;

Error protocol_error(const std::string& operation, std::string_view what) {
  return Error::permanent(ErrorCode::kProtocol, operation + ": " + std::string(what));
}

Status check_upload_id(std::string_view upload_id) {
  if (upload_id.empty()) return fail(Error::invalid("multipart UploadId is empty"));
  return {};
}

std::string complete_document(std::span<const CompletedPart> parts) {
  std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const CompletedPart& part : parts) {
    xml += "<Part><PartNumber>" + std::to_string(part.part_number) + "</PartNumber><ETag>\"" +
           xml::escape(part.etag) + "\"</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  return xml;
}

}  // namespace

Result<std::string> S3Client::create_multipart_upload(const CreateMultipartUploadRequest& request) {
  if (auto ok = check_object_name(request.bucket, request.key); !ok) return fail(ok.error());
  auto metadata = metadata_headers(request.metadata);
  if (!metadata) return fail(metadata.error());
  Call call;
  call.operation = call_label("CreateMultipartUpload", request.bucket, request.key);
  call.method = "POST";
  call.bucket = request.bucket;
  call.key = request.key;
  call.query = {{"uploads", ""}};
  if (!request.content_type.empty())
    call.headers.emplace_back("content-type", request.content_type);
  call.headers.insert(call.headers.end(), metadata->begin(), metadata->end());
  auto response = send(call);
  if (!response) return fail(response.error());
  auto upload_id = xml::child_text(response->body, "UploadId");
  if (!upload_id || upload_id->empty()) return fail(protocol_error(call.operation, "no UploadId"));
  return std::move(*upload_id);
}

Result<std::string> S3Client::upload_part(const UploadPartRequest& request) {
  if (auto ok = check_object_name(request.bucket, request.key); !ok) return fail(ok.error());
  if (auto ok = check_upload_id(request.upload_id); !ok) return fail(ok.error());
  if (auto ok = check_body(request.body); !ok) return fail(ok.error());
  if (request.part_number < 1 || request.part_number > kMaxPartNumber) {
    return fail(
        Error::invalid("part number must be 1..10000, got " + std::to_string(request.part_number)));
  }
  Call call;
  call.operation = call_label("UploadPart", request.bucket, request.key) + " part " +
                   std::to_string(request.part_number);
  call.method = "PUT";
  call.bucket = request.bucket;
  call.key = request.key;
  call.query = {{"partNumber", std::to_string(request.part_number)},
                {"uploadId", request.upload_id}};
  call.body_range = &request.body;
  call.on_progress = request.on_progress;
  auto response = send(call);
  if (!response) return fail(response.error());
  std::string etag = strip_quotes(response->header("etag"));
  if (etag.empty()) return fail(protocol_error(call.operation, "answer has no ETag"));
  return etag;
}

Result<std::string> S3Client::complete_multipart_upload(std::string_view bucket,
                                                        std::string_view key,
                                                        std::string_view upload_id,
                                                        std::span<const CompletedPart> parts) {
  if (auto ok = check_object_name(bucket, key); !ok) return fail(ok.error());
  if (auto ok = check_upload_id(upload_id); !ok) return fail(ok.error());
  const bool ascending =
      std::adjacent_find(parts.begin(), parts.end(), [](const auto& a, const auto& b) {
        return a.part_number >= b.part_number;
      }) == parts.end();
  if (parts.empty() || !ascending) {
    return fail(Error::invalid("CompleteMultipartUpload needs parts in ascending order"));
  }
  Call call;
  call.operation = call_label("CompleteMultipartUpload", bucket, key);
  call.method = "POST";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"uploadId", std::string(upload_id)}};
  call.headers.emplace_back("content-type", "application/xml");
  call.body = complete_document(parts);
  call.slow_answer = true;
  auto response = send(call);
  if (!response) return fail(response.error());
  // S3 answers 200 at once and keeps the connection alive while assembling; a failure then
  // arrives as an <Error> document inside the 200.
  if (auto document = parse_error_document(response->body)) {
    return fail(error_from_document(response->status, *document, call.operation));
  }
  auto etag = xml::child_text(response->body, "ETag");
  if (!etag) return fail(protocol_error(call.operation, "answer has no ETag"));
  return strip_quotes(*etag);
}

Status S3Client::abort_multipart_upload(std::string_view bucket, std::string_view key,
                                        std::string_view upload_id) {
  if (auto ok = check_object_name(bucket, key); !ok) return fail(ok.error());
  if (auto ok = check_upload_id(upload_id); !ok) return fail(ok.error());
  Call call;
  call.operation = call_label("AbortMultipartUpload", bucket, key);
  call.method = "DELETE";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"uploadId", std::string(upload_id)}};
  auto response = send(call);
  if (!response) return fail(response.error());
  return {};
}

Result<std::vector<PartInfo>> S3Client::list_parts(std::string_view bucket, std::string_view key,
                                                   std::string_view upload_id) {
  if (auto ok = check_object_name(bucket, key); !ok) return fail(ok.error());
  if (auto ok = check_upload_id(upload_id); !ok) return fail(ok.error());
  std::vector<PartInfo> parts;
  std::string marker;
  while (true) {
    Call call;
    call.operation = call_label("ListParts", bucket, key);
    call.method = "GET";
    call.bucket = bucket;
    call.key = key;
    call.query = {{"uploadId", std::string(upload_id)}, {"max-parts", "1000"}};
    if (!marker.empty()) call.query.emplace_back("part-number-marker", marker);
    auto response = send(call);
    if (!response) return fail(response.error());

    for (std::string_view element : xml::elements(response->body, "Part")) {
      const auto number = parse_u64(xml::child_text(element, "PartNumber").value_or(""));
      const auto size = parse_u64(xml::child_text(element, "Size").value_or(""));
      if (!number || !size || *number < 1 || *number > kMaxPartNumber) {
        return fail(protocol_error(call.operation, "malformed <Part> in ListParts answer"));
      }
      parts.push_back({static_cast<int>(*number),
                       strip_quotes(xml::child_text(element, "ETag").value_or("")), *size});
    }
    if (xml::child_text(response->body, "IsTruncated").value_or("false") != "true") break;
    std::string next = xml::child_text(response->body, "NextPartNumberMarker").value_or("");
    // A truncated page must move the marker forward, or we would loop forever.
    if (next.empty() || next == marker) {
      return fail(protocol_error(call.operation, "truncated answer without a new marker"));
    }
    marker = std::move(next);
  }
  std::sort(parts.begin(), parts.end(),
            [](const PartInfo& a, const PartInfo& b) { return a.part_number < b.part_number; });
  return parts;
}

Result<std::vector<MultipartUploadInfo>> S3Client::list_multipart_uploads(std::string_view bucket,
                                                                          std::string_view prefix) {
  if (bucket.empty()) return fail(Error::invalid("bucket name is empty"));
  std::vector<MultipartUploadInfo> uploads;
  std::string key_marker;
  std::string upload_id_marker;
  while (true) {
    Call call;
    call.operation = call_label("ListMultipartUploads", bucket, "");
    call.method = "GET";
    call.bucket = bucket;
    call.query = {{"uploads", ""}};
    if (!prefix.empty()) call.query.emplace_back("prefix", std::string(prefix));
    if (!key_marker.empty()) {
      call.query.emplace_back("key-marker", key_marker);
      call.query.emplace_back("upload-id-marker", upload_id_marker);
    }
    auto response = send(call);
    if (!response) return fail(response.error());

    for (std::string_view element : xml::elements(response->body, "Upload")) {
      uploads.push_back({xml::child_text(element, "Key").value_or(""),
                         xml::child_text(element, "UploadId").value_or(""),
                         xml::child_text(element, "Initiated").value_or("")});
    }
    if (xml::child_text(response->body, "IsTruncated").value_or("false") != "true") break;
    std::string next_key = xml::child_text(response->body, "NextKeyMarker").value_or("");
    std::string next_id = xml::child_text(response->body, "NextUploadIdMarker").value_or("");
    if (next_key.empty() || (next_key == key_marker && next_id == upload_id_marker)) {
      return fail(protocol_error(call.operation, "truncated answer without a new marker"));
    }
    key_marker = std::move(next_key);
    upload_id_marker = std::move(next_id);
  }
  return uploads;
}

}  // namespace upfleet::s3
