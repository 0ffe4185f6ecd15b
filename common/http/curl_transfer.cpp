#include "common/http/curl_transfer.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <span>

#include "common/http/curl_errors.h"

namespace upfleet::http {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool has_header(const Headers& headers, std::string_view lower_name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& header) { return lower(header.first) == lower_name; });
}

bool is_success(long status) {
  return status >= 200 && status < 300;
}

}  // namespace

CurlTransfer::CurlTransfer(const HttpRequest& request) : request_(request) {}

bool CurlTransfer::has_body() const {
  return request_.body_source != nullptr || !request_.body.empty() || request_.method == "PUT" ||
         request_.method == "POST";
}

uint64_t CurlTransfer::body_length() const {
  return request_.body_source != nullptr ? request_.body_length : request_.body.size();
}

std::string CurlTransfer::context() const {
  return request_.method + " " + request_.url.substr(0, request_.url.find('?'));
}

size_t CurlTransfer::on_header(char* data, size_t size, size_t count, void* self) {
  auto& transfer = *static_cast<CurlTransfer*>(self);
  const std::string_view line(data, size * count);
  if (line.empty()) return 0;
  HttpResponse& response = transfer.response_;
  if (line.starts_with("HTTP/")) {
    // A new status line starts a new header block (after "100 Continue", for instance).
    response.headers.clear();
    response.status = 0;
    const size_t space = line.find(' ');
    if (space != std::string_view::npos) {
      std::from_chars(line.data() + space + 1, line.data() + line.size(), response.status);
    }
    return line.size();
  }
  if ((line.front() == ' ' || line.front() == '\t') && !response.headers.empty()) {
    response.headers.back().second += " " + std::string(trim(line));  // obsolete line folding
    return line.size();
  }
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    response.headers.emplace_back(lower(trim(line.substr(0, colon))),
                                  std::string(trim(line.substr(colon + 1))));
  }
  return line.size();
}

size_t CurlTransfer::on_write(char* data, size_t size, size_t count, void* self) {
  auto& transfer = *static_cast<CurlTransfer*>(self);
  const HttpRequest& request = transfer.request_;
  const std::string_view chunk(data, size * count);
  const bool stream =
      request.on_body && (!request.stream_success_only || is_success(transfer.response_.status));
  if (stream) {
    if (request.on_body(chunk)) return chunk.size();
    transfer.abort_reason_ =
        Error::permanent(ErrorCode::kCancelled,
                         transfer.context() + ": response body consumer stopped the transfer");
    return 0;
  }
  std::string& body = transfer.response_.body;
  if (request.max_response_body != 0 && body.size() + chunk.size() > request.max_response_body) {
    transfer.abort_reason_ = Error::permanent(
        ErrorCode::kProtocol, transfer.context() + ": response body exceeds " +
                                  std::to_string(request.max_response_body) + " bytes");
    return 0;
  }
  body.append(chunk);
  return chunk.size();
}

size_t CurlTransfer::on_read(char* buffer, size_t size, size_t count, void* self) {
  auto& transfer = *static_cast<CurlTransfer*>(self);
  const HttpRequest& request = transfer.request_;
  const uint64_t remaining = transfer.body_length() - transfer.body_sent_;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(size * count, remaining));
  if (want == 0) return 0;
  if (request.body_source == nullptr) {
    std::memcpy(buffer, request.body.data() + transfer.body_sent_, want);
    transfer.body_sent_ += want;
    return want;
  }
  const uint64_t offset = request.body_offset + transfer.body_sent_;
  auto read =
      request.body_source->read_at(offset, std::as_writable_bytes(std::span<char>(buffer, want)));
  if (!read) {
    transfer.abort_reason_ = read.error().with_context(
        transfer.context() + ": reading request body at offset " + std::to_string(offset));
    return CURL_READFUNC_ABORT;
  }
  if (*read == 0) {
    transfer.abort_reason_ = Error::permanent(
        ErrorCode::kIntegrity, transfer.context() + ": request body source ended at offset " +
                                   std::to_string(offset) + ", before the announced " +
                                   std::to_string(transfer.body_length()) + " bytes");
    return CURL_READFUNC_ABORT;
  }
  transfer.body_sent_ += *read;
  return *read;
}

int CurlTransfer::on_seek(void* self, curl_off_t offset, int origin) {
  // curl rewinds when it resends the body, e.g. after a reused connection turned out dead.
  auto& transfer = *static_cast<CurlTransfer*>(self);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > transfer.body_length()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  transfer.body_sent_ = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

int CurlTransfer::on_progress(void* self, curl_off_t, curl_off_t, curl_off_t ul_total,
                              curl_off_t ul_now) {
  auto& transfer = *static_cast<CurlTransfer*>(self);
  const auto now = static_cast<uint64_t>(ul_now);
  if (now != transfer.last_reported_upload_) {
    transfer.last_reported_upload_ = now;
    transfer.request_.on_upload_progress(now, static_cast<uint64_t>(ul_total));
  }
  return 0;
}

Status CurlTransfer::prepare(CURL* handle) {
  for (const auto& [name, value] : request_.headers) {
    if (name.find_first_of(":\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      return fail(Error::invalid(context() + ": header " + name + " contains CR, LF or ':'"));
    }
    // "Name;" is curl's syntax for a header with an empty value ("Name:" would remove it).
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    if (!append(header_list_, line.c_str())) {
      return fail(Error::transient(ErrorCode::kResourceExhausted, "out of memory for headers"));
    }
  }
  // curl sends "Expect: 100-continue" for large bodies and then waits up to a second for a
  // server that may never answer it; our requests are signed, so early rejection saves little.
  if (!has_header(request_.headers, "expect") && !append(header_list_, "Expect:")) {
    return fail(Error::transient(ErrorCode::kResourceExhausted, "out of memory for headers"));
  }

  curl_easy_setopt(handle, CURLOPT_URL, request_.url.c_str());
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, header_list_.get());
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer_);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, &CurlTransfer::on_header);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &CurlTransfer::on_write);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, this);

  if (request_.method == "HEAD") {
    curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
  } else if (has_body()) {
    curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_length()));
    curl_easy_setopt(handle, CURLOPT_READFUNCTION, &CurlTransfer::on_read);
    curl_easy_setopt(handle, CURLOPT_READDATA, this);
    curl_easy_setopt(handle, CURLOPT_SEEKFUNCTION, &CurlTransfer::on_seek);
    curl_easy_setopt(handle, CURLOPT_SEEKDATA, this);
    if (request_.method != "PUT") {
      curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request_.method.c_str());
    }
  } else if (request_.method != "GET") {
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request_.method.c_str());
  }

  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request_.connect_timeout.count()));
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(request_.timeout.count()));
  if (request_.low_speed_bytes_per_second > 0 && request_.low_speed_window.count() > 0) {
    curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT,
                     static_cast<long>(request_.low_speed_bytes_per_second));
    curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(request_.low_speed_window.count()));
  }
  if (request_.on_upload_progress) {
    curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, &CurlTransfer::on_progress);
    curl_easy_setopt(handle, CURLOPT_XFERINFODATA, this);
  }
  return {};
}

Result<HttpResponse> CurlTransfer::perform(CURL* handle) {
  const CURLcode code = curl_easy_perform(handle);
  if (abort_reason_) return fail(std::move(*abort_reason_));
  if (code != CURLE_OK) return fail(curl_error(code, context(), error_buffer_));
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  response_.status = status;
  return std::move(response_);
}

}  // namespace upfleet::http
