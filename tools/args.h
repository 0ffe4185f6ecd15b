// Subcommand arguments: positional ones and `--name value` flags.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace upfleet::ctl {

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
  std::vector<std::string> switches;  // flags without a value, e.g. --dry-run

  std::string flag(const std::string& name, std::string fallback) const {
    auto it = flags.find(name);
    return it == flags.end() ? std::move(fallback) : it->second;
  }
  bool has_switch(std::string_view name) const;
};

// nullopt (after printing why) for an unknown flag or a flag without its value.
std::optional<ParsedArgs> parse_args(const std::vector<std::string>& args,
                                     std::initializer_list<std::string_view> flags_with_value,
                                     std::initializer_list<std::string_view> switches = {});

}  // namespace upfleet::ctl
