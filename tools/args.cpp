#include "tools/args.h"

#include <algorithm>
#include <cstdio>

namespace upfleet::ctl {

bool ParsedArgs::has_switch(std::string_view name) const {
  return std::find(switches.begin(), switches.end(), name) != switches.end();
}

std::optional<ParsedArgs> parse_args(const std::vector<std::string>& args,
                                     std::initializer_list<std::string_view> flags_with_value,
                                     std::initializer_list<std::string_view> switches) {
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("--")) {
      parsed.positional.push_back(arg);
      continue;
    }
    const std::string name = arg.substr(2);
    if (std::find(switches.begin(), switches.end(), name) != switches.end()) {
      parsed.switches.push_back(name);
      continue;
    }
    if (std::find(flags_with_value.begin(), flags_with_value.end(), name) ==
            flags_with_value.end() ||
        i + 1 >= args.size()) {
      std::fprintf(stderr, "upfleetctl: unknown flag or missing value: %s\n", arg.c_str());
      return std::nullopt;
    }
    parsed.flags[name] = args[++i];
  }
  return parsed;
}

}  // namespace upfleet::ctl
