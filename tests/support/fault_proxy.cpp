#include "tests/support/fault_proxy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace upfleet::testing {
namespace {

constexpr size_t kChunk = 64 * 1024;

bool send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool send_all(int fd, const std::string& text) {
  return send_all(fd, text.data(), text.size());
}

// Closes with RST instead of FIN: what a crashed peer or a cut cable looks like.
void reset_close(int fd) {
  linger hard{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::close(fd);
}

int connect_to(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(found);
  if (fd >= 0) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

struct RequestHead {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  uint64_t content_length = 0;
  bool expect_continue = false;
  std::string rewritten;  // the head as sent upstream, with Connection: close
};

// Parses a request head (without the final CRLFCRLF); false if malformed or chunked.
bool parse_head(const std::string& head, RequestHead& out) {
  size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const size_t sp1 = request_line.find(' ');
  const size_t sp2 = request_line.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return false;
  out.method = request_line.substr(0, sp1);
  out.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  out.rewritten = request_line + "\r\n";
  while (line_end != std::string::npos && line_end + 2 < head.size()) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string name = lower(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (name == "connection") continue;
    out.headers[name] = value;
    if (name == "content-length") {
      char* end = nullptr;
      out.content_length = std::strtoull(value.c_str(), &end, 10);
      if (end == value.c_str()) return false;
    }
    if (name == "transfer-encoding") return false;
    if (name == "expect" && lower(value) == "100-continue") out.expect_continue = true;
    out.rewritten += line + "\r\n";
  }
  out.rewritten += "Connection: close\r\n\r\n";
  return true;
}

std::string error_response(int status, const std::string& code) {
  const std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
                           "</Code><Message>injected by the fault proxy</Message></Error>";
  return "HTTP/1.1 " + std::to_string(status) + (status == 503 ? " Slow Down" : " Internal Error") +
         "\r\nContent-Type: application/xml\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

int part_number(const std::string& target) {
  const size_t at = target.find("partNumber=");
  if (at == std::string::npos) return 0;
  return std::atoi(target.c_str() + at + std::strlen("partNumber="));
}

}  // namespace

bool split_host_port(const std::string& text, std::string& host, uint16_t& port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  host = text.substr(0, colon);
  const long value = std::strtol(text.c_str() + colon + 1, nullptr, 10);
  if (value <= 0 || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

std::unique_ptr<FaultProxy> FaultProxy::start(std::string upstream_host, uint16_t upstream_port,
                                              FaultPolicy policy, uint16_t listen_port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(listen_port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 256) != 0) {
    ::close(fd);
    return nullptr;
  }
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  std::unique_ptr<FaultProxy> proxy(new FaultProxy(
      fd, ntohs(address.sin_port), std::move(upstream_host), upstream_port, std::move(policy)));
  proxy->acceptor_ = std::thread([p = proxy.get()] { p->accept_loop(); });
  return proxy;
}

FaultProxy::FaultProxy(int listen_fd, uint16_t port, std::string host, uint16_t upstream_port,
                       FaultPolicy policy)
    : listen_fd_(listen_fd),
      port_(port),
      upstream_host_(std::move(host)),
      upstream_port_(upstream_port),
      policy_(std::move(policy)),
      rng_(policy_.seed) {}

FaultProxy::~FaultProxy() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  if (acceptor_.joinable()) acceptor_.join();
  std::lock_guard lock(threads_mutex_);
  for (auto& connection : connections_) connection.thread.join();
}

void FaultProxy::set_policy(const FaultPolicy& policy) {
  std::lock_guard lock(mutex_);
  policy_ = policy;
  rng_.seed(policy.seed);
}

ProxyStats FaultProxy::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void FaultProxy::accept_loop() {
  while (!stopping_.load()) {
    const int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) {
      if (stopping_.load()) return;
      continue;
    }
    std::lock_guard lock(threads_mutex_);
    std::erase_if(connections_, [](Connection& connection) {
      if (!connection.done->load()) return false;
      connection.thread.join();
      return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    connections_.push_back({std::thread([this, client, done] {
                              serve(client);
                              done->store(true);
                            }),
                            done});
  }
}

FaultProxy::Fault FaultProxy::decide(const std::string& method) {
  std::lock_guard lock(mutex_);
  ++stats_.requests;
  if (!policy_.only_method.empty() && method != policy_.only_method) return Fault::kNone;
  std::uniform_real_distribution<double> dice(0, 1);
  const double roll = dice(rng_);
  if (roll < policy_.error_503_rate) return Fault::k503;
  if (roll < policy_.error_503_rate + policy_.error_500_rate) return Fault::k500;
  if (roll < policy_.error_503_rate + policy_.error_500_rate + policy_.drop_rate) {
    return Fault::kDrop;
  }
  return Fault::kNone;
}

void FaultProxy::serve(int client) {
  std::string buffer;
  char chunk[kChunk];
  size_t head_end = std::string::npos;
  while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(client, chunk, sizeof chunk, 0);
    if (n <= 0 || buffer.size() > 64 * 1024) {
      ::close(client);
      return;
    }
    buffer.append(chunk, static_cast<size_t>(n));
  }
  RequestHead head;
  if (!parse_head(buffer.substr(0, head_end), head)) {
    send_all(client, error_response(500, "ProxyCannotParse"));
    ::close(client);
    return;
  }
  std::string body_start = buffer.substr(head_end + 4);
  const Fault fault = decide(head.method);
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mutex_);
    delay = policy_.delay;
    if (policy_.delay_jitter.count() > 0) {
      std::uniform_int_distribution<int64_t> jitter(0, policy_.delay_jitter.count());
      delay += std::chrono::milliseconds(jitter(rng_));
    }
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);

  if (fault == Fault::k503 || fault == Fault::k500) {
    // Without Expect the client sends the body at once: read it so the answer is not lost
    // in a reset.
    uint64_t left =
        head.expect_continue
            ? 0
            : head.content_length - std::min<uint64_t>(head.content_length, body_start.size());
    while (left > 0) {
      const ssize_t n = ::recv(client, chunk, std::min<uint64_t>(left, sizeof chunk), 0);
      if (n <= 0) break;
      left -= static_cast<uint64_t>(n);
    }
    send_all(client, fault == Fault::k503 ? error_response(503, "SlowDown")
                                          : error_response(500, "InternalError"));
    {
      std::lock_guard lock(mutex_);
      ++(fault == Fault::k503 ? stats_.answered_503 : stats_.answered_500);
    }
    ::shutdown(client, SHUT_WR);
    ::close(client);
    return;
  }

  const int upstream = connect_to(upstream_host_, upstream_port_);
  if (upstream < 0) {
    send_all(client, error_response(503, "ProxyUpstreamDown"));
    ::close(client);
    return;
  }
  const uint64_t drop_at =
      fault == Fault::kDrop ? head.content_length / 2 : std::numeric_limits<uint64_t>::max();
  uint64_t body_sent = 0;
  auto forward_body = [&](const char* data, size_t size) -> bool {
    const uint64_t allowed = std::min<uint64_t>(size, drop_at - std::min(drop_at, body_sent));
    if (allowed > 0 && !send_all(upstream, data, allowed)) return false;
    body_sent += allowed;
    return allowed == size;
  };
  auto drop_both = [&] {
    {
      std::lock_guard lock(mutex_);
      ++stats_.dropped;
    }
    reset_close(upstream);
    reset_close(client);
  };
  if (!send_all(upstream, head.rewritten)) {
    ::close(upstream);
    ::close(client);
    return;
  }
  if (!body_start.empty() && !forward_body(body_start.data(), body_start.size())) {
    drop_both();
    return;
  }
  bool response_head_done = false;
  std::string response_head;
  bool counted = false;
  for (;;) {
    pollfd fds[2] = {{upstream, POLLIN, 0}, {client, POLLIN, 0}};
    const bool want_body = body_sent < head.content_length;
    const int ready = ::poll(fds, want_body ? 2 : 1, 60'000);
    if (ready <= 0) break;
    if (want_body && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      const ssize_t n = ::recv(
          client, chunk, std::min<uint64_t>(sizeof chunk, head.content_length - body_sent), 0);
      if (n <= 0) break;
      if (!forward_body(chunk, static_cast<size_t>(n))) {
        drop_both();
        return;
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::recv(upstream, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      if (!counted) {
        counted = true;
        std::lock_guard lock(mutex_);
        ++stats_.forwarded;
        if (head.method == "PUT") {
          ++stats_.puts_forwarded;
          if (!policy_.record_header.empty()) {
            auto it = head.headers.find(policy_.record_header);
            stats_.put_log.emplace_back(head.target,
                                        it == head.headers.end() ? std::string() : it->second);
          }
          if (const int part = part_number(head.target); part > 0) ++stats_.parts_forwarded[part];
        }
      }
      if (response_head_done) {
        if (!send_all(client, chunk, static_cast<size_t>(n))) break;
        continue;
      }
      // Pass interim 100 Continue heads through; mark the final head Connection: close.
      response_head.append(chunk, static_cast<size_t>(n));
      for (;;) {
        const size_t end = response_head.find("\r\n\r\n");
        if (end == std::string::npos) break;
        std::string one = response_head.substr(0, end);
        std::string rest = response_head.substr(end + 4);
        if (one.compare(0, 12, "HTTP/1.1 100") == 0) {
          send_all(client, one + "\r\n\r\n");
          response_head = rest;
          continue;
        }
        std::string rewritten;
        size_t pos = 0;
        while (pos <= one.size()) {
          const size_t eol = one.find("\r\n", pos);
          const std::string line =
              one.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
          if (lower(line.substr(0, 11)) != "connection:") rewritten += line + "\r\n";
          if (eol == std::string::npos) break;
          pos = eol + 2;
        }
        send_all(client, rewritten + "Connection: close\r\n\r\n" + rest);
        response_head_done = true;
        response_head.clear();
        break;
      }
    }
  }
  ::close(upstream);
  ::shutdown(client, SHUT_WR);
  ::close(client);
}

}  // namespace upfleet::testing
