#include "common/http/curl_errors.h"

#include <string>

namespace upfleet::http {
namespace {

std::string describe(CURLcode code, std::string_view context, std::string_view detail) {
  std::string message(context);
  message += ": ";
  message += curl_easy_strerror(code);
  if (!detail.empty()) {
    message += " (";
    message += detail;
    message += ")";
  }
  return message;
}

}  // namespace

Error curl_error(CURLcode code, std::string_view context, std::string_view detail) {
  std::string message = describe(code, context, detail);
  switch (code) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_FUNCTION_ARGUMENT: return Error::invalid(std::move(message));
    case CURLE_OPERATION_TIMEDOUT: return Error::transient(ErrorCode::kTimeout, std::move(message));
    case CURLE_ABORTED_BY_CALLBACK:
      return Error::permanent(ErrorCode::kCancelled, std::move(message));
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
      return Error::permanent(ErrorCode::kUnavailable,
                              message + "; check the server certificate or set the CA file");
    case CURLE_OUT_OF_MEMORY:
      return Error::transient(ErrorCode::kResourceExhausted, std::move(message));
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SEND_FAIL_REWIND:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_WEIRD_SERVER_REPLY:
    default:
      // Unknown failures are treated as a flaky network: retrying is bounded by the caller's
      // policy, while calling them permanent could abort uploads that would have succeeded.
      return Error::transient(ErrorCode::kUnavailable, std::move(message));
  }
}

}  // namespace upfleet::http
