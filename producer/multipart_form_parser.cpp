#include "producer/multipart_form_parser.h"

#include <algorithm>

namespace upfleet {
namespace {

constexpr std::string_view kCrlf = "\r\n";

using Parameters = std::vector<std::pair<std::string, std::string>>;

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 9110 tchar: header and parameter names.
bool is_token_char(char c) {
  return is_alnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 2046 bchars.
bool is_boundary_char(char c) {
  return is_alnum(c) || std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), to_lower);
  return out;
}

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

// Parses `; name=value` parameters after a media type or disposition type. Values are tokens
// or quoted strings; in quoted strings only \" and \\ are escapes, because browsers send
// other backslashes literally (RFC 7578 section 4.2). Names come back lower-cased.
Result<Parameters> parse_parameters(std::string_view text) {
  Parameters out;
  size_t i = 0;
  const auto skip_blanks = [&] {
    while (i < text.size() && is_blank(text[i])) ++i;
  };
  for (;;) {
    skip_blanks();
    if (i == text.size()) return out;
    if (text[i] != ';') return fail(Error::invalid("expected ';' between parameters"));
    ++i;
    skip_blanks();
    if (i == text.size()) return out;  // a trailing ';' is harmless
    const size_t name_start = i;
    while (i < text.size() && is_token_char(text[i])) ++i;
    if (i == name_start) return fail(Error::invalid("a parameter has no name"));
    std::string name = lower(text.substr(name_start, i - name_start));
    skip_blanks();
    if (i == text.size() || text[i] != '=') {
      return fail(Error::invalid("parameter " + name + " has no value"));
    }
    ++i;
    skip_blanks();
    std::string value;
    if (i < text.size() && text[i] == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char c = text[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < text.size() && (text[i] == '"' || text[i] == '\\')) c = text[i++];
        value.push_back(c);
      }
      if (!closed) {
        return fail(Error::invalid("unterminated quoted string in parameter " + name +
                                   " (CR and LF are not allowed inside quoted values)"));
      }
    } else {
      const size_t value_start = i;
      while (i < text.size() && text[i] != ';' && !is_blank(text[i]) && text[i] != '"') ++i;
      value = std::string(text.substr(value_start, i - value_start));
      if (value.empty()) return fail(Error::invalid("parameter " + name + " has an empty value"));
    }
    out.emplace_back(std::move(name), std::move(value));
  }
}

Status check_field_text(std::string_view value, std::string_view what, size_t part) {
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return fail(Error::invalid("the " + std::string(what) + " of part " + std::to_string(part) +
                               " contains a CR, LF or NUL byte"));
  }
  return {};
}

Status parse_disposition(std::string_view value, size_t part_number, FormPart& part) {
  const std::string where = "Content-Disposition of part " + std::to_string(part_number);
  const size_t semicolon = value.find(';');
  const std::string_view type = trim_blanks(value.substr(0, semicolon));
  if (lower(type) != "form-data") {
    // The type is not echoed: client bytes may not be UTF-8, and error bodies are JSON.
    return fail(Error::invalid(where + " is not of type form-data"));
  }
  auto parameters = parse_parameters(semicolon == std::string_view::npos ? std::string_view()
                                                                         : value.substr(semicolon));
  if (!parameters) return fail(parameters.error().with_context(where));
  bool has_name = false;
  for (auto& [name, text] : *parameters) {
    if (name == "filename*") {
      return fail(Error::invalid(where +
                                 ": filename* (RFC 5987) is not accepted in multipart/form-data "
                                 "(RFC 7578 section 4.2); send the UTF-8 name in filename"));
    }
    if (name != "name" && name != "filename") continue;  // other parameters are ignored
    if ((name == "name" && has_name) || (name == "filename" && part.filename)) {
      return fail(Error::invalid(where + " has more than one " + name + " parameter"));
    }
    if (auto checked = check_field_text(text, name, part_number); !checked) return checked;
    if (name == "name") {
      part.name = std::move(text);
      has_name = true;
    } else {
      part.filename = std::move(text);
    }
  }
  if (!has_name) return fail(Error::invalid(where + " has no name parameter"));
  return {};
}

}  // namespace

std::string_view FormPart::header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return value;
  }
  return {};
}

bool is_multipart_form_data(std::string_view content_type) {
  return lower(trim_blanks(content_type.substr(0, content_type.find(';')))) ==
         "multipart/form-data";
}

Result<std::string> multipart_boundary(std::string_view content_type) {
  const size_t semicolon = content_type.find(';');
  if (semicolon == std::string_view::npos) {
    return fail(Error::invalid("Content-Type has no boundary parameter"));
  }
  auto parameters = parse_parameters(content_type.substr(semicolon));
  if (!parameters) return fail(parameters.error().with_context("Content-Type"));
  std::optional<std::string> boundary;
  for (auto& [name, value] : *parameters) {
    if (name != "boundary") continue;
    if (boundary) return fail(Error::invalid("Content-Type has more than one boundary"));
    boundary = std::move(value);
  }
  if (!boundary) return fail(Error::invalid("Content-Type has no boundary parameter"));
  if (boundary->empty() || boundary->size() > kMaxBoundaryBytes) {
    return fail(Error::invalid("the multipart boundary must be 1 to 70 characters, not " +
                               std::to_string(boundary->size()) + " (RFC 2046)"));
  }
  if (!std::all_of(boundary->begin(), boundary->end(), is_boundary_char) ||
      boundary->back() == ' ') {
    return fail(Error::invalid(
        "the multipart boundary contains a character RFC 2046 does not allow (letters, digits "
        "and '()+_,-./:=? are allowed; a space not at the end)"));
  }
  return *boundary;
}

MultipartFormParser::MultipartFormParser(std::string_view boundary, MultipartFormHandler& handler,
                                         MultipartLimits limits)
    : delimiter_("\r\n--" + std::string(boundary)), handler_(handler), limits_(limits) {
  // The first boundary line may open the body without a CRLF before it; an implied CRLF lets
  // one search find it there and after a preamble alike.
  carry_ = kCrlf;
}

Status MultipartFormParser::feed(std::string_view chunk) {
  if (state_ == State::kFailed) return fail(error_);
  // Undecided bytes from the last chunk go first. They are topped up a little at a time, so the
  // carry stays around the delimiter's size whatever the chunk sizes.
  while (!carry_.empty() && !chunk.empty() && state_ != State::kFailed) {
    const size_t take = std::min(chunk.size(), delimiter_.size() + 2);
    carry_.append(chunk.substr(0, take));
    chunk.remove_prefix(take);
    const size_t used = step(carry_);
    carry_.erase(0, used);
  }
  if (state_ == State::kFailed) return fail(error_);
  if (!carry_.empty()) return {};  // the whole chunk went into the carry
  const size_t used = step(chunk);
  if (state_ == State::kFailed) return fail(error_);
  carry_.assign(chunk.substr(used));
  return {};
}

Status MultipartFormParser::finish() {
  switch (state_) {
    case State::kEpilogue: return {};
    case State::kFailed: return fail(error_);
    case State::kPreamble:
      fail_with("the body has no boundary line \"" + delimiter_.substr(2) +
                "\" (check the boundary parameter, and that lines end in CRLF)");
      break;
    case State::kHeaders:
      fail_with("the body ended inside the headers of part " + std::to_string(parts_));
      break;
    default:
      fail_with("the body ended before the closing boundary \"" + delimiter_.substr(2) + "--\"");
  }
  return fail(error_);
}

size_t MultipartFormParser::step(std::string_view input) {
  size_t pos = 0;
  while (pos < input.size()) {
    const std::string_view rest = input.substr(pos);
    const char c = rest.front();
    switch (state_) {
      case State::kPreamble:
      case State::kBody: {
        const State before = state_;
        pos += scan_for_delimiter(rest);
        // No delimiter in what is left: the unconsumed tail may start one.
        if (state_ == before) return pos;
        break;
      }
      case State::kAfterDelimiter:
        if (c == '-') {
          state_ = State::kAfterDash;
          ++pos;
        } else if (is_blank(c)) {
          state_ = State::kPadding;
          ++pos;
        } else if (c == '\r') {
          state_ = State::kPaddingCr;
          ++pos;
        } else if (c == '\n') {
          fail_with("bare LF after a boundary; multipart lines must end in CRLF");
        } else {
          not_a_delimiter({});  // `c` is data again, read in the body state
        }
        break;
      case State::kAfterDash:
        if (c == '-') {
          ++pos;
          if (in_part_) emit(handler_.on_part_end());
          in_part_ = false;
          if (state_ != State::kFailed) emit(handler_.on_form_end());
          if (state_ != State::kFailed) state_ = State::kEpilogue;
        } else {
          not_a_delimiter("-");
        }
        break;
      case State::kPadding:
        if (is_blank(c)) {
          ++pos;
        } else if (c == '\r') {
          state_ = State::kPaddingCr;
          ++pos;
        } else if (c == '\n') {
          fail_with("bare LF after a boundary; multipart lines must end in CRLF");
        } else {
          fail_with("unexpected bytes after a boundary (only blanks may follow it on its line)");
        }
        break;
      case State::kPaddingCr:
        if (c != '\n') {
          fail_with("a boundary line ends in CR without LF");
          break;
        }
        ++pos;
        boundary_line_done();
        break;
      case State::kHeaders: pos += step_headers(rest); break;
      case State::kEpilogue: return input.size();
      case State::kFailed: return pos;
    }
    if (state_ == State::kFailed) return pos;
  }
  return pos;
}

size_t MultipartFormParser::scan_for_delimiter(std::string_view input) {
  const size_t found = input.find(delimiter_);
  if (found != std::string_view::npos) {
    if (state_ == State::kBody && found > 0) emit(handler_.on_part_data(input.substr(0, found)));
    if (state_ != State::kFailed) state_ = State::kAfterDelimiter;
    return found + delimiter_.size();
  }
  // Only a CR within the last delimiter-length bytes can begin a delimiter that the next
  // chunk completes; everything before it is decided.
  const size_t window = std::min(input.size(), delimiter_.size() - 1);
  const size_t cr = input.find('\r', input.size() - window);
  const size_t decided = cr == std::string_view::npos ? input.size() : cr;
  if (state_ == State::kBody && decided > 0) emit(handler_.on_part_data(input.substr(0, decided)));
  return decided;
}

size_t MultipartFormParser::step_headers(std::string_view input) {
  size_t used = 0;
  for (const char c : input) {
    if (headers_.size() >= limits_.max_header_bytes) {
      fail_with("the headers of part " + std::to_string(parts_) + " exceed " +
                std::to_string(limits_.max_header_bytes) + " bytes");
      return used;
    }
    const bool after_cr = !headers_.empty() && headers_.back() == '\r';
    if (c == '\n' && !after_cr) {
      fail_with("bare LF in the headers of part " + std::to_string(parts_) +
                "; multipart lines must end in CRLF");
      return used;
    }
    if (after_cr && c != '\n') {
      fail_with("bare CR in the headers of part " + std::to_string(parts_) +
                " (CR and LF are not allowed in header values, names or filenames)");
      return used;
    }
    headers_.push_back(c);
    ++used;
    if (headers_ == kCrlf || headers_.ends_with("\r\n\r\n")) {
      parse_headers();
      return used;
    }
  }
  return used;
}

void MultipartFormParser::not_a_delimiter(std::string_view also) {
  if (!in_part_) {
    state_ = State::kPreamble;
    return;
  }
  emit(handler_.on_part_data(delimiter_));
  if (state_ != State::kFailed && !also.empty()) emit(handler_.on_part_data(also));
  if (state_ != State::kFailed) state_ = State::kBody;
}

void MultipartFormParser::boundary_line_done() {
  if (in_part_) emit(handler_.on_part_end());
  in_part_ = false;
  if (state_ == State::kFailed) return;
  if (parts_ >= limits_.max_parts) {
    fail_with("the form has more than " + std::to_string(limits_.max_parts) + " parts");
    return;
  }
  ++parts_;
  headers_.clear();
  state_ = State::kHeaders;
}

void MultipartFormParser::parse_headers() {
  const std::string where = "part " + std::to_string(parts_);
  std::string_view block(headers_);
  block.remove_suffix(kCrlf.size());  // the empty line
  FormPart part;
  bool has_disposition = false;
  while (!block.empty()) {
    const size_t end = block.find(kCrlf);
    const std::string_view line = block.substr(0, end);
    block.remove_prefix(end + kCrlf.size());
    if (part.headers.size() >= limits_.max_headers) {
      return fail_with(where + " has more than " + std::to_string(limits_.max_headers) +
                       " headers");
    }
    if (line.empty() || is_blank(line.front())) {
      return fail_with(where + " has a folded or empty header line (not supported)");
    }
    const size_t colon = line.find(':');
    const std::string_view name = line.substr(0, colon);
    if (colon == std::string_view::npos || name.empty() ||
        !std::all_of(name.begin(), name.end(), is_token_char)) {
      return fail_with(where + " has a malformed header line (expected \"Name: value\")");
    }
    const std::string_view value = trim_blanks(line.substr(colon + 1));
    std::string lower_name = lower(name);
    if (lower_name == "content-disposition") {
      if (has_disposition) return fail_with(where + " has more than one Content-Disposition");
      has_disposition = true;
      if (auto parsed = parse_disposition(value, parts_, part); !parsed) {
        state_ = State::kFailed;
        error_ = parsed.error();
        return;
      }
    } else if (value.find('\0') != std::string_view::npos) {
      return fail_with("header " + std::string(name) + " of " + where + " contains a NUL byte");
    }
    if (lower_name == "content-type") part.content_type = std::string(value);
    part.headers.emplace_back(std::move(lower_name), std::string(value));
  }
  if (!has_disposition) {
    return fail_with(where +
                     " has no Content-Disposition header (RFC 7578 requires one, with "
                     "form-data and a name)");
  }
  headers_.clear();
  in_part_ = true;
  emit(handler_.on_part_begin(part));
  if (state_ != State::kFailed) state_ = State::kBody;
}

void MultipartFormParser::emit(Status status) {
  if (status) return;
  state_ = State::kFailed;
  error_ = std::move(status.error());
}

void MultipartFormParser::fail_with(std::string message) {
  state_ = State::kFailed;
  error_ = Error::invalid(std::move(message));
}

}  // namespace upfleet
