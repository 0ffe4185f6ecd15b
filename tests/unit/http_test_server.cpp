#include "tests/unit/http_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace upfleet::http::testing {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

int bind_loopback(uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent <= 0) return false;
    data.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

// Reads until `buffer` holds `needle`, or fails when the peer closes.
bool read_until(int fd, std::string& buffer, std::string_view needle) {
  char chunk[65536];
  while (buffer.find(needle) == std::string::npos) {
    const ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
    if (got <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(got));
  }
  return true;
}

bool read_at_least(int fd, std::string& buffer, size_t size) {
  char chunk[65536];
  while (buffer.size() < size) {
    const ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
    if (got <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(got));
  }
  return true;
}

std::string status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

}  // namespace

std::string ReceivedRequest::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

HttpTestServer::HttpTestServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = bind_loopback(port_);
  ::listen(listen_fd_, 64);
  acceptor_ = std::thread([this] { accept_loop(); });
}

HttpTestServer::~HttpTestServer() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& worker : workers) worker.join();
  ::close(listen_fd_);
}

std::string HttpTestServer::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::vector<ReceivedRequest> HttpTestServer::requests() const {
  std::lock_guard lock(mutex_);
  return received_;
}

void HttpTestServer::accept_loop() {
  while (!stopping_) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    const int connection = ++connections_;
    std::lock_guard lock(mutex_);
    open_fds_.push_back(fd);
    workers_.emplace_back([this, fd, connection] { serve(fd, connection); });
  }
}

void HttpTestServer::serve(int fd, int connection) {
  std::string buffer;
  while (read_until(fd, buffer, "\r\n\r\n")) {
    const size_t head_end = buffer.find("\r\n\r\n");
    ReceivedRequest request;
    request.connection = connection;
    const std::string head = buffer.substr(0, head_end);
    buffer.erase(0, head_end + 4);
    size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const size_t first_space = request_line.find(' ');
    request.method = request_line.substr(0, first_space);
    request.target =
        request_line.substr(first_space + 1, request_line.rfind(' ') - first_space - 1);
    while (line_end != std::string::npos) {
      const size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end - start);
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      size_t value_start = colon + 1;
      while (value_start < line.size() && line[value_start] == ' ') ++value_start;
      request.headers.emplace_back(lower(line.substr(0, colon)), line.substr(value_start));
    }
    const std::string length_text = request.header("content-length");
    const size_t length = length_text.empty() ? 0 : std::stoul(length_text);
    if (!read_at_least(fd, buffer, length)) break;
    request.body = buffer.substr(0, length);
    buffer.erase(0, length);

    const Reply reply = handler_(request);
    {
      std::lock_guard lock(mutex_);
      received_.push_back(request);
    }
    if (reply.close) break;
    if (reply.hang) {
      // Wait for the client to give up and close (or for the server to stop).
      while (read_until(fd, buffer, "\r\n\r\n")) buffer.clear();
      break;
    }
    std::string response =
        "HTTP/1.1 " + std::to_string(reply.status) + " " + status_text(reply.status) + "\r\n";
    bool has_length = false;
    for (const auto& [name, value] : reply.headers) {
      response += name + ": " + value + "\r\n";
      has_length = has_length || lower(name) == "content-length";
    }
    if (!has_length) response += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
    response += "\r\n";
    if (request.method != "HEAD") response += reply.body;
    if (!send_all(fd, response)) break;
  }
  {
    std::lock_guard lock(mutex_);
    std::erase(open_fds_, fd);
  }
  ::close(fd);
}

uint16_t closed_port() {
  uint16_t port = 0;
  const int fd = bind_loopback(port);
  ::close(fd);
  return port;
}

}  // namespace upfleet::http::testing
