#include "common/object_key.h"

#include <cstdint>

namespace upfleet {
namespace {

// Length of the UTF-8 sequence starting at `text[i]`, or 0 if it is malformed (overlong forms,
// surrogates and code points above U+10FFFF included).
size_t utf8_sequence_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint32_t code_point = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kMinForLength[length] || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return 0;
  }
  return length;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Status validate_object_key(std::string_view key) {
  if (key.empty()) return fail(Error::invalid("key is empty"));
  if (key.size() > kMaxObjectKeyBytes) {
    return fail(Error::invalid("key is " + std::to_string(key.size()) + " bytes; the limit is " +
                               std::to_string(kMaxObjectKeyBytes)));
  }
  if (key.front() == '/') return fail(Error::invalid("key must not start with '/'"));
  for (size_t i = 0; i < key.size();) {
    const auto c = static_cast<uint8_t>(key[i]);
    if (c < 0x20 || c == 0x7F) {
      return fail(Error::invalid("key contains a control byte at offset " + std::to_string(i)));
    }
    if (c == '\\') return fail(Error::invalid("key must not contain '\\'"));
    const size_t length = utf8_sequence_length(key, i);
    if (length == 0) {
      return fail(Error::invalid("key is not valid UTF-8 at offset " + std::to_string(i)));
    }
    i += length;
  }
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    const std::string_view segment = key.substr(start, end - start);
    if (segment.empty()) {
      return fail(Error::invalid("key must not contain empty segments ('//' or a trailing '/')"));
    }
    if (segment == "." || segment == "..") {
      return fail(Error::invalid("key must not contain '.' or '..' segments"));
    }
    start = end + 1;
  }
  return {};
}

Result<std::string> percent_decode(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      out.push_back(encoded[i]);
      continue;
    }
    if (i + 2 >= encoded.size()) {
      return fail(Error::invalid("truncated percent-escape in path"));
    }
    const int high = hex_value(encoded[i + 1]);
    const int low = hex_value(encoded[i + 2]);
    if (high < 0 || low < 0) return fail(Error::invalid("malformed percent-escape in path"));
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

}  // namespace upfleet
