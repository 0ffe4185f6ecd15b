// Identifiers for uploads and jobs: 32 lower-case hex digits, the first 12 the creation time in
// milliseconds (so ids sort by age in listings and logs), the rest random.
#pragma once

#include <string>
#include <string_view>

namespace upfleet {

std::string new_id();

}  // namespace upfleet
