// Bearer-token checks for client endpoints and the workers' spool endpoint.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace upfleet {

// Compares in time that depends only on the lengths, not on where the bytes differ.
bool constant_time_equals(std::string_view a, std::string_view b);

// The token of an "Authorization: Bearer <token>" header value, or empty.
std::string_view bearer_token(std::string_view authorization);

// True when `authorization` carries one of `tokens`. Every token is compared (no early exit)
// so timing does not reveal which one matched.
bool token_accepted(std::string_view authorization, const std::vector<std::string>& tokens);

// The tokens of a tokens file (auth.tokens_file): one per line, surrounding whitespace
// trimmed, blank lines and lines starting with '#' ignored. kInvalidArgument when a token
// holds whitespace or control bytes; the message names the line, never the token.
Result<std::vector<std::string>> parse_tokens(std::string_view text);
// Reads and parses a tokens file; kInvalidArgument also when it cannot be read.
Result<std::vector<std::string>> read_tokens_file(const std::filesystem::path& path);

}  // namespace upfleet
