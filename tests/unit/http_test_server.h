// A tiny HTTP/1.1 server on 127.0.0.1:0 for CurlTransport tests: real sockets, scripted
// replies, and a record of what arrived (including how many connections were opened).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/http/http_transport.h"

namespace upfleet::http::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;  // path and query, as sent
  Headers headers;     // names lower-cased
  std::string body;
  int connection = 0;  // 1-based index of the connection it arrived on

  std::string header(std::string_view lower_name) const;
};

struct Reply {
  int status = 200;
  Headers headers;
  std::string body;
  bool close = false;  // reset the connection instead of answering
  bool hang = false;   // never answer; the client has to time out

  static Reply closing() {
    Reply reply;
    reply.close = true;
    return reply;
  }
  static Reply hanging() {
    Reply reply;
    reply.hang = true;
    return reply;
  }
};

class HttpTestServer {
 public:
  using Handler = std::function<Reply(const ReceivedRequest&)>;

  explicit HttpTestServer(Handler handler);
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  std::string url(std::string_view path = "/") const;
  int connections() const { return connections_.load(); }
  std::vector<ReceivedRequest> requests() const;

 private:
  void accept_loop();
  void serve(int fd, int connection);

  Handler handler_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::thread> workers_;       // guarded by mutex_
  std::vector<int> open_fds_;              // guarded by mutex_
  std::vector<ReceivedRequest> received_;  // guarded by mutex_
};

// A port with nothing listening (bound, then closed), for connection-refused tests.
uint16_t closed_port();

}  // namespace upfleet::http::testing
