// Turns a job's claim-check URI into a ByteSource: http(s):// (an ingest's spool endpoint) or
// file:// (a shared volume).
#pragma once

#include <memory>
#include <string>

#include "common/byte_source.h"
#include "common/http/http_transport.h"
#include "common/job.h"

namespace upfleet {

class SourceOpener {
 public:
  virtual ~SourceOpener() = default;
  // kInvalidArgument for unsupported schemes; kNotFound when a file:// source is missing.
  virtual Result<std::unique_ptr<ByteSource>> open(const ClaimCheck& source) = 0;
};

class DefaultSourceOpener final : public SourceOpener {
 public:
  DefaultSourceOpener(http::HttpTransport& transport, std::string spool_token)
      : transport_(transport), spool_token_(std::move(spool_token)) {}
  Result<std::unique_ptr<ByteSource>> open(const ClaimCheck& source) override;

 private:
  http::HttpTransport& transport_;
  std::string spool_token_;
};

}  // namespace upfleet
