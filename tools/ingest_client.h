// upfleetctl's client for the ingest HTTP API.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"
#include "common/http/http_transport.h"

namespace upfleet::ctl {

class IngestClient {
 public:
  // `server` like http://127.0.0.1:8080; `token` may be empty.
  IngestClient(http::HttpTransport& transport, std::string server, std::string token)
      : transport_(transport), server_(std::move(server)), token_(std::move(token)) {}

  // PUT /v1/files/{key} streaming the file. The 202 body, or an error carrying the server's
  // {error:{message}} (retryable for 503/507).
  Result<nlohmann::json> put_file(
      const std::filesystem::path& file, const std::string& key,
      const std::function<void(uint64_t sent, uint64_t total)>& progress);

  // GET /v1/uploads/{id}. kNotFound for unknown ids.
  Result<nlohmann::json> status(const std::string& upload_id);

 private:
  Result<nlohmann::json> parse_reply(const http::HttpResponse& response, long expected) const;
  void authorize(http::HttpRequest& request) const;

  http::HttpTransport& transport_;
  std::string server_;
  std::string token_;
};

}  // namespace upfleet::ctl
