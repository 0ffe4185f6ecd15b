// Bearer-token checks for client endpoints and the workers' spool endpoint.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace upfleet {

// Compares in time that depends only on the lengths, not on where the bytes differ.
bool constant_time_equals(std::string_view a, std::string_view b);

// The token of an "Authorization: Bearer <token>" header value, or empty.
std::string_view bearer_token(std::string_view authorization);

// True when `authorization` carries one of `tokens`. Every token is compared (no early exit)
// so timing does not reveal which one matched.
bool token_accepted(std::string_view authorization, const std::vector<std::string>& tokens);

}  // namespace upfleet
