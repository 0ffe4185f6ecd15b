// Error values for the data path: no exceptions cross component boundaries.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace upfleet {

enum class ErrorCode {
  kInvalidArgument,    // caller sent something malformed (bad key, bad JSON, bad config)
  kUnauthenticated,    // missing or wrong credentials
  kPermissionDenied,   // credentials fine, action not allowed
  kNotFound,           // the named thing does not exist
  kAlreadyExists,      // conflict with existing state
  kTooLarge,           // a size limit was exceeded
  kResourceExhausted,  // disk, memory or connection budget exhausted
  kUnavailable,        // a dependency (Kafka, S3, ingest) is down or overloaded
  kTimeout,            // an operation ran out of time
  kIo,                 // local disk or socket failure
  kProtocol,           // a peer answered something we cannot understand
  kIntegrity,          // checksum or size mismatch
  kCancelled,          // shutdown or rebalance stopped the operation
  kInternal,           // a bug
};

std::string_view to_string(ErrorCode code);

// An error that knows whether trying again may help, with a message that names the cause
// and, where we know it, the fix.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  bool retryable = false;

  static Error invalid(std::string message) {
    return {ErrorCode::kInvalidArgument, std::move(message), false};
  }
  static Error transient(ErrorCode code, std::string message) {
    return {code, std::move(message), true};
  }
  static Error permanent(ErrorCode code, std::string message) {
    return {code, std::move(message), false};
  }
  // Same error with context prepended: "uploading part 3: connection reset".
  Error with_context(std::string_view context) const {
    return {code, std::string(context) + ": " + message, retryable};
  }
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Error error) {
  return std::unexpected(std::move(error));
}

}  // namespace upfleet
