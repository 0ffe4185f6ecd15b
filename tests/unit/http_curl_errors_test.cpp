// The retry decision for every transport failure hangs on this mapping.
#include <gtest/gtest.h>

#include "common/http/curl_errors.h"

namespace upfleet::http {
namespace {

TEST(CurlErrors, Mapping) {
  struct Case {
    CURLcode code;
    ErrorCode expected;
    bool retryable;
  };
  const Case cases[] = {
      {CURLE_COULDNT_CONNECT, ErrorCode::kUnavailable, true},
      {CURLE_COULDNT_RESOLVE_HOST, ErrorCode::kUnavailable, true},
      {CURLE_SEND_ERROR, ErrorCode::kUnavailable, true},
      {CURLE_RECV_ERROR, ErrorCode::kUnavailable, true},
      {CURLE_GOT_NOTHING, ErrorCode::kUnavailable, true},
      {CURLE_PARTIAL_FILE, ErrorCode::kUnavailable, true},
      {CURLE_SSL_CONNECT_ERROR, ErrorCode::kUnavailable, true},
      {CURLE_OPERATION_TIMEDOUT, ErrorCode::kTimeout, true},
      {CURLE_ABORTED_BY_CALLBACK, ErrorCode::kCancelled, false},
      {CURLE_URL_MALFORMAT, ErrorCode::kInvalidArgument, false},
      {CURLE_UNSUPPORTED_PROTOCOL, ErrorCode::kInvalidArgument, false},
      {CURLE_PEER_FAILED_VERIFICATION, ErrorCode::kUnavailable, false},
      {CURLE_SSL_CACERT_BADFILE, ErrorCode::kUnavailable, false},
      {CURLE_OUT_OF_MEMORY, ErrorCode::kResourceExhausted, true},
  };
  for (const Case& c : cases) {
    const Error error = curl_error(c.code, "PUT http://h/k", "detail");
    EXPECT_EQ(error.code, c.expected) << curl_easy_strerror(c.code);
    EXPECT_EQ(error.retryable, c.retryable) << curl_easy_strerror(c.code);
  }
}

TEST(CurlErrors, MessageCarriesContextAndDetail) {
  const Error error = curl_error(CURLE_COULDNT_CONNECT, "GET http://h/k", "Connection refused");
  EXPECT_EQ(error.message, "GET http://h/k: Couldn't connect to server (Connection refused)");
  const Error tls = curl_error(CURLE_PEER_FAILED_VERIFICATION, "GET https://h/k", "");
  EXPECT_NE(tls.message.find("CA file"), std::string::npos);
}

}  // namespace
}  // namespace upfleet::http
