// Fuzzes the multipart/form-data parser. Input layout: one byte that seeds the chunking, the
// Content-Type header value up to the first '\n', then the body. The body is parsed twice,
// whole and in pseudo-random chunks, and both runs must tell the same story.
//
// Invariants: events come in a valid order; part data never adds up to more than the body;
// names and filenames carry no CR, LF or NUL; limits hold; chunking changes nothing (same
// events, same outcome, same error message); a parsed X-Checksum-Sha256 is 64 lower-case hex.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "producer/checksum_header.h"
#include "producer/multipart_form_parser.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using upfleet::FormPart;
using upfleet::MultipartLimits;
using upfleet::Status;

// Small limits, so inputs of a few hundred bytes reach them.
constexpr MultipartLimits kLimits{/*max_header_bytes=*/256, /*max_headers=*/4, /*max_parts=*/8};

class CheckingRecorder final : public upfleet::MultipartFormHandler {
 public:
  Status on_part_begin(const FormPart& part) override {
    UPFLEET_FUZZ_CHECK(!in_part_ && !ended_);
    UPFLEET_FUZZ_CHECK(++parts_ <= kLimits.max_parts);
    UPFLEET_FUZZ_CHECK(part.headers.size() <= kLimits.max_headers);
    UPFLEET_FUZZ_CHECK(clean(part.name));
    if (part.filename) UPFLEET_FUZZ_CHECK(clean(*part.filename));
    for (const auto& [name, value] : part.headers) {
      if (name != "x-checksum-sha256") continue;
      if (auto digest = upfleet::parse_sha256_checksum(value); digest) {
        UPFLEET_FUZZ_CHECK(digest->size() == 64);
        UPFLEET_FUZZ_CHECK(digest->find_first_not_of("0123456789abcdef") == std::string::npos);
      }
    }
    in_part_ = true;
    transcript +=
        "<begin " + part.name + "|" + part.filename.value_or("-") + "|" + part.content_type + ">";
    return {};
  }
  Status on_part_data(std::string_view bytes) override {
    UPFLEET_FUZZ_CHECK(in_part_ && !ended_ && !bytes.empty());
    data_bytes += bytes.size();
    transcript.append(bytes);
    return {};
  }
  Status on_part_end() override {
    UPFLEET_FUZZ_CHECK(in_part_ && !ended_);
    in_part_ = false;
    transcript += "<end>";
    return {};
  }
  Status on_form_end() override {
    UPFLEET_FUZZ_CHECK(!in_part_ && !ended_);
    ended_ = true;
    transcript += "<form_end>";
    return {};
  }

  std::string transcript;
  size_t data_bytes = 0;
  bool ended() const { return ended_; }

 private:
  static bool clean(std::string_view text) {
    return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
  }

  bool in_part_ = false;
  bool ended_ = false;
  size_t parts_ = 0;
};

struct Run {
  std::string transcript;
  size_t data_bytes = 0;
  bool ok = false;
  std::string error;
};

template <class NextChunk>
Run parse(std::string_view boundary, std::string_view body, NextChunk next_chunk) {
  CheckingRecorder recorder;
  upfleet::MultipartFormParser parser(boundary, recorder, kLimits);
  Status status;
  while (status && !body.empty()) {
    const size_t take = std::min(body.size(), next_chunk());
    status = parser.feed(body.substr(0, take));
    body.remove_prefix(take);
  }
  if (status) status = parser.finish();
  // Once failed, the parser stays failed.
  if (!status) UPFLEET_FUZZ_CHECK(!parser.feed("x") && !parser.finish());
  UPFLEET_FUZZ_CHECK(status.has_value() == recorder.ended());
  UPFLEET_FUZZ_CHECK(status.has_value() == parser.complete());
  return {recorder.transcript, recorder.data_bytes, status.has_value(),
          status ? std::string() : status.error().message};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint32_t state = data[0] * 2654435761u + 1;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t newline = rest.find('\n');
  const std::string_view content_type = rest.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);

  std::string boundary = "b";
  if (auto parsed = upfleet::multipart_boundary(content_type); parsed) {
    UPFLEET_FUZZ_CHECK(!parsed->empty() && parsed->size() <= upfleet::kMaxBoundaryBytes);
    boundary = *parsed;
  } else {
    UPFLEET_FUZZ_CHECK(parsed.error().code == upfleet::ErrorCode::kInvalidArgument);
  }

  const Run whole = parse(boundary, body, [] { return std::string_view::npos; });
  UPFLEET_FUZZ_CHECK(whole.data_bytes <= body.size());
  UPFLEET_FUZZ_CHECK(whole.ok || !whole.error.empty());

  // Chunks of 1 to 2 * delimiter length bytes, so splits land inside boundaries.
  const size_t max_chunk = 2 * (boundary.size() + 4);
  const Run chunked = parse(boundary, body, [&state, max_chunk] {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return 1 + state % max_chunk;
  });
  UPFLEET_FUZZ_CHECK(chunked.ok == whole.ok);
  UPFLEET_FUZZ_CHECK(chunked.error == whole.error);
  UPFLEET_FUZZ_CHECK(chunked.data_bytes == whole.data_bytes);
  UPFLEET_FUZZ_CHECK(chunked.transcript == whole.transcript);
  return 0;
}
