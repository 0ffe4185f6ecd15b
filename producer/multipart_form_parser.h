// An incremental, push-style parser for multipart/form-data bodies (RFC 7578 on RFC 2046).
// The body is fed in arbitrary chunks as it arrives; the boundary may be split across any
// number of them. Part bodies are streamed to the handler, never held whole: the parser keeps
// at most one part's header block (bounded) and a carry shorter than the boundary delimiter.
//
// Accepted syntax, and the choices RFC 2046 leaves open:
// - The preamble before the first boundary line and the epilogue after the closing one are
//   ignored (RFC 2046 section 5.1.1).
// - Lines must end in CRLF. Bodies with bare-LF line endings are rejected with a message
//   saying so, rather than guessed at.
// - "\r\n--<boundary>" followed by anything other than "--", spaces/tabs or CRLF is not a
//   delimiter: those bytes stay part data (a sender must not produce them, but treating them
//   as data loses nothing and is what other parsers do).
// - Part headers: "Name: value" lines, no obsolete line folding. Content-Disposition is
//   required, of type form-data, with a `name` parameter; `filename` makes the part a file.
//   `filename*` (RFC 5987) is refused, as RFC 7578 section 4.2 forbids senders to use it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace upfleet {

inline constexpr size_t kMaxBoundaryBytes = 70;  // RFC 2046 section 5.1.1

struct MultipartLimits {
  size_t max_header_bytes = 8 * 1024;  // one part's header block, CRLFs included
  size_t max_headers = 16;             // header lines per part
  size_t max_parts = 1000;             // parts per body
};

struct FormPart {
  std::string name;                     // Content-Disposition name
  std::optional<std::string> filename;  // present (maybe empty) for file parts
  std::string content_type;             // empty when the part did not send one
  // Every header of the part in order, names lower-cased, values without surrounding blanks.
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of header `lower_case_name`, or empty when absent.
  std::string_view header(std::string_view lower_case_name) const;
  bool is_file() const { return filename.has_value(); }
};

// Receives the parser's events, in the order part_begin (data)* part_end ... form_end.
// Returning an error stops the parser: feed() returns that error and every later call fails.
class MultipartFormHandler {
 public:
  virtual ~MultipartFormHandler() = default;
  virtual Status on_part_begin(const FormPart& part) = 0;
  // A slice of the current part's body; valid only during the call. Never empty.
  virtual Status on_part_data(std::string_view bytes) = 0;
  virtual Status on_part_end() = 0;
  // The closing boundary was seen; anything fed afterwards is epilogue and ignored.
  virtual Status on_form_end() = 0;
};

// True when `content_type` names multipart/form-data (parameters not checked).
bool is_multipart_form_data(std::string_view content_type);

// The boundary parameter of a multipart Content-Type header, quoted or not. kInvalidArgument
// when it is missing, empty, longer than 70 bytes or uses characters RFC 2046 does not allow.
Result<std::string> multipart_boundary(std::string_view content_type);

// Parses one body. Not thread-safe; the handler must outlive the parser.
class MultipartFormParser {
 public:
  // `boundary` as returned by multipart_boundary().
  MultipartFormParser(std::string_view boundary, MultipartFormHandler& handler,
                      MultipartLimits limits = {});

  // Consumes the next chunk of the body. kInvalidArgument for malformed input or exceeded
  // limits, or whatever error the handler returned.
  Status feed(std::string_view chunk);

  // The body ended: kInvalidArgument unless the closing boundary was seen.
  Status finish();

  // The closing boundary was seen.
  bool complete() const { return state_ == State::kEpilogue; }

 private:
  enum class State {
    kPreamble,        // searching the first delimiter
    kAfterDelimiter,  // "\r\n--boundary" seen: "--", blanks+CRLF or (in a body) data?
    kAfterDash,       // one '-' after the delimiter: a second one closes the form
    kPadding,         // transport padding (blanks) before the boundary line's CRLF
    kPaddingCr,       // CR of the boundary line seen; LF must follow
    kHeaders,         // collecting one part's header block
    kBody,            // streaming part data until the next delimiter
    kEpilogue,        // after the closing boundary: ignored
    kFailed,
  };

  // Runs the state machine over `input`; returns how many bytes it consumed. Bytes it did not
  // consume may begin a delimiter and must be offered again with more input after them.
  size_t step(std::string_view input);
  size_t scan_for_delimiter(std::string_view input);
  size_t step_headers(std::string_view input);
  void after_delimiter(char next);
  // The delimiter turned out to be data: hands it back to the body (or preamble).
  void not_a_delimiter(std::string_view also);
  void boundary_line_done();
  void parse_headers();
  void emit(Status status);
  void fail_with(std::string message);

  const std::string delimiter_;  // "\r\n--" + boundary
  MultipartFormHandler& handler_;
  const MultipartLimits limits_;
  State state_ = State::kPreamble;
  bool in_part_ = false;
  size_t parts_ = 0;
  std::string carry_;    // undecided input bytes (a possible delimiter prefix)
  std::string headers_;  // the current part's header block so far
  Error error_;
};

}  // namespace upfleet
