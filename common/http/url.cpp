#include "common/http/url.h"

#include <charconv>

namespace upfleet::http {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Error bad_url(std::string_view text, std::string_view why) {
  return Error::invalid("invalid URL \"" + std::string(text) + "\": " + std::string(why) +
                        " (expected e.g. http://127.0.0.1:9000 or https://s3.amazonaws.com)");
}

}  // namespace

std::string Url::authority() const {
  const bool default_port =
      !port || (scheme == "http" && *port == 80) || (scheme == "https" && *port == 443);
  return default_port ? host : host + ":" + std::to_string(*port);
}

std::string Url::origin() const {
  return scheme + "://" + authority();
}

Result<Url> parse_url(std::string_view text) {
  Url url;
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return fail(bad_url(text, "no scheme"));
  url.scheme = lower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") {
    return fail(bad_url(text, "scheme must be http or https"));
  }
  std::string_view rest = text.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return fail(bad_url(text, "query and fragment are not allowed"));
  }
  const size_t path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  if (path_start != std::string_view::npos) url.path = std::string(rest.substr(path_start));
  while (url.path.ends_with('/')) url.path.pop_back();
  if (authority.find('@') != std::string_view::npos) {
    return fail(bad_url(text, "credentials in the URL are not allowed"));
  }

  size_t port_colon = std::string_view::npos;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail(bad_url(text, "unclosed IPv6 bracket"));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return fail(bad_url(text, "junk after IPv6 address"));
      port_colon = close + 1;
    }
  } else {
    port_colon = authority.find(':');
  }
  url.host = lower(authority.substr(0, port_colon));
  if (url.host.empty() || url.host == "[]") return fail(bad_url(text, "no host"));
  if (port_colon != std::string_view::npos) {
    const std::string_view port_text = authority.substr(port_colon + 1);
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return fail(bad_url(text, "port must be 1-65535"));
    }
    url.port = static_cast<uint16_t>(value);
  }
  return url;
}

}  // namespace upfleet::http
