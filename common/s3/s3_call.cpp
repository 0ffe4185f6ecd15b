#include "common/s3/s3_call.h"

#include <algorithm>
#include <charconv>

#include "common/crypto/sha256.h"
#include "common/s3/s3_error.h"

namespace upfleet::s3 {
namespace {

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool has_control_char(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

bool is_success(long status) {
  return status >= 200 && status < 300;
}

}  // namespace

std::string call_label(std::string_view operation, std::string_view bucket, std::string_view key) {
  std::string out(operation);
  out += " ";
  out += bucket;
  if (!key.empty()) {
    out += "/";
    out += key;
  }
  return out;
}

Status check_object_name(std::string_view bucket, std::string_view key) {
  if (bucket.empty()) return fail(Error::invalid("S3 bucket name is empty; set s3.bucket"));
  if (key.empty() || key.size() > 1024) {
    return fail(
        Error::invalid("S3 object key must be 1 to 1024 bytes, got " + std::to_string(key.size())));
  }
  return {};
}

Status check_body(const BodyRange& body) {
  if (body.source == nullptr) return fail(Error::invalid("S3 request body has no source"));
  const uint64_t size = body.source->size();
  if (body.offset > size || body.length > size - body.offset) {
    return fail(Error::invalid("S3 body range [" + std::to_string(body.offset) + ", +" +
                               std::to_string(body.length) + ") exceeds the source's " +
                               std::to_string(size) + " bytes"));
  }
  return {};
}

Result<http::Headers> metadata_headers(const std::map<std::string, std::string>& metadata) {
  http::Headers headers;
  for (const auto& [name, value] : metadata) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
      return fail(
          Error::invalid("metadata name \"" + name + "\" must be letters, digits and - _ . only"));
    }
    if (has_control_char(value)) {
      return fail(Error::invalid("metadata \"" + name + "\" contains control characters"));
    }
    headers.emplace_back("x-amz-meta-" + to_lower_ascii(name), value);
  }
  return headers;
}

std::string strip_quotes(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

std::optional<uint64_t> parse_u64(std::string_view text) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

Result<http::HttpResponse> S3Client::send(const Call& call) {
  const S3Target target = endpoint_.target(call.bucket, call.key, call.query);

  SigningInput input;
  input.method = call.method;
  input.path = target.path;
  input.query = call.query;
  input.headers.emplace_back("host", target.host);
  input.headers.insert(input.headers.end(), call.headers.begin(), call.headers.end());
  std::string payload_hash;
  if (call.body_range != nullptr) {
    if (!call.body_range->content_md5.empty()) {
      input.headers.emplace_back("content-md5", call.body_range->content_md5);
    }
    payload_hash = call.body_range->sha256_hex.empty() ? std::string(kUnsignedPayload)
                                                       : call.body_range->sha256_hex;
  } else {
    payload_hash = crypto::sha256_hex(call.body);
  }
  input.payload_hash = payload_hash;
  const HeaderSignature signature = signer_.sign_headers(input, clock_.now());

  http::HttpRequest request;
  request.method = call.method;
  request.url = target.url;
  request.headers = std::move(input.headers);
  request.headers.insert(request.headers.end(), signature.headers.begin(), signature.headers.end());
  if (call.body_range != nullptr) {
    request.body_source = call.body_range->source;
    request.body_offset = call.body_range->offset;
    request.body_length = call.body_range->length;
  } else {
    request.body = call.body;
  }
  request.connect_timeout = config_.connect_timeout;
  request.low_speed_bytes_per_second = call.slow_answer ? 1 : config_.low_speed_bytes_per_second;
  request.low_speed_window = call.slow_answer
                                 ? std::max(config_.low_speed_window, kSlowAnswerWindow)
                                 : config_.low_speed_window;
  request.on_upload_progress = call.on_progress;
  request.on_body = call.sink;
  request.stream_success_only = true;
  request.max_response_body = kMaxXmlResponseBytes;

  auto response = transport_.perform(request);
  if (!response) return fail(response.error().with_context(call.operation));
  if (is_success(response->status)) return response;
  if (!call.success_error_codes.empty()) {
    const auto document = parse_error_document(response->body);
    if (document && std::find(call.success_error_codes.begin(), call.success_error_codes.end(),
                              document->code) != call.success_error_codes.end()) {
      return response;
    }
  }
  return fail(error_from_response(*response, call.operation));
}

}  // namespace upfleet::s3
