// How libcurl failures map onto our Error codes: the one place that decides which transport
// failures are worth retrying.
#pragma once

#include <curl/curl.h>

#include <string_view>

#include "common/error.h"

namespace upfleet::http {

// Refused, reset, DNS and send/receive failures: retryable kUnavailable. Timeouts and
// low-speed aborts: retryable kTimeout. Malformed URLs and unsupported schemes: permanent
// kInvalidArgument. TLS verification failures: permanent kUnavailable (configuration, not
// luck, fixes them). `context` ("PUT http://host/path") and curl's `detail` text go into
// the message.
Error curl_error(CURLcode code, std::string_view context, std::string_view detail);

}  // namespace upfleet::http
