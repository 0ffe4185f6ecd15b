#include "common/s3/s3_xml.h"

#include <charconv>
#include <cstdint>

namespace upfleet::s3::xml {
namespace {

struct ElementSpan {
  size_t open_start = 0;   // '<' of the start tag
  size_t inner_start = 0;  // first byte after the start tag
  size_t inner_end = 0;    // '<' of the end tag (== inner_start for <name/>)
  size_t after = 0;        // first byte after the whole element
};

bool is_name_end(char c) {
  return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Finds the next element `name` starting at or after `from`.
std::optional<ElementSpan> find_element(std::string_view xml, std::string_view name, size_t from) {
  const std::string open = "<" + std::string(name);
  const std::string close = "</" + std::string(name) + ">";
  size_t pos = from;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    const size_t name_end = pos + open.size();
    if (name_end >= xml.size() || !is_name_end(xml[name_end])) {
      pos = name_end;
      continue;
    }
    const size_t tag_end = xml.find('>', name_end);
    if (tag_end == std::string_view::npos) return std::nullopt;
    ElementSpan span;
    span.open_start = pos;
    span.inner_start = tag_end + 1;
    if (xml[tag_end - 1] == '/') {  // <name/>
      span.inner_end = span.inner_start;
      span.after = span.inner_start;
      return span;
    }
    const size_t close_pos = xml.find(close, span.inner_start);
    if (close_pos == std::string_view::npos) return std::nullopt;
    span.inner_end = close_pos;
    span.after = close_pos + close.size();
    return span;
  }
  return std::nullopt;
}

void append_utf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

// Decodes the reference `entity` (between '&' and ';'); false if it is not one we know.
bool decode_reference(std::string_view entity, std::string& out) {
  if (entity == "amp") return out.push_back('&'), true;
  if (entity == "lt") return out.push_back('<'), true;
  if (entity == "gt") return out.push_back('>'), true;
  if (entity == "quot") return out.push_back('"'), true;
  if (entity == "apos") return out.push_back('\''), true;
  if (entity.size() < 2 || entity[0] != '#') return false;
  const bool hex = entity[1] == 'x' || entity[1] == 'X';
  const std::string_view digits = entity.substr(hex ? 2 : 1);
  uint32_t code_point = 0;
  const auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), code_point, hex ? 16 : 10);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
      code_point == 0 || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return false;
  }
  append_utf8(out, code_point);
  return true;
}

}  // namespace

std::string decode_text(std::string_view text) {
  static constexpr std::string_view kCdataOpen = "<![CDATA[";
  static constexpr std::string_view kCdataClose = "]]>";
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i).starts_with(kCdataOpen)) {
      const size_t start = i + kCdataOpen.size();
      const size_t end = text.find(kCdataClose, start);
      if (end != std::string_view::npos) {
        out.append(text.substr(start, end - start));
        i = end + kCdataClose.size();
        continue;
      }
    }
    if (text[i] == '&') {
      const size_t semicolon = text.find(';', i);
      // References are short; a far-away ';' means this '&' is stray text.
      if (semicolon != std::string_view::npos && semicolon - i <= 10 &&
          decode_reference(text.substr(i + 1, semicolon - i - 1), out)) {
        i = semicolon + 1;
        continue;
      }
    }
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

std::optional<std::string> child_text(std::string_view xml, std::string_view name) {
  const auto span = find_element(xml, name, 0);
  if (!span) return std::nullopt;
  return decode_text(xml.substr(span->inner_start, span->inner_end - span->inner_start));
}

std::vector<std::string_view> elements(std::string_view xml, std::string_view name) {
  std::vector<std::string_view> out;
  size_t from = 0;
  while (auto span = find_element(xml, name, from)) {
    out.push_back(xml.substr(span->inner_start, span->inner_end - span->inner_start));
    from = span->after;
  }
  return out;
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace upfleet::s3::xml
