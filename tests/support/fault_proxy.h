// An HTTP fault proxy for tests and benchmarks: sits between a client (the worker) and an
// upstream server (the S3 server), relays each request on a fresh upstream connection, and
// injects faults by a seeded policy: S3-style 503 SlowDown / 500 InternalError answers, dropped
// connections in the middle of a request body, and delays. Headers pass through unchanged, so
// SigV4 signatures made for the proxy's address stay valid.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace upfleet::testing {

struct FaultPolicy {
  double error_503_rate = 0;                  // answer 503 SlowDown without forwarding
  double error_500_rate = 0;                  // answer 500 InternalError without forwarding
  double drop_rate = 0;                       // forward half the body, then drop both connections
  std::chrono::milliseconds delay{0};         // before forwarding each request
  std::chrono::milliseconds delay_jitter{0};  // plus a uniformly random [0, jitter]
  std::string only_method;  // faults only for this method (e.g. "PUT"); empty: all
  uint64_t seed = 1;
  std::string record_header;  // lower-case header name to record in ProxyStats::put_log
};

struct ProxyStats {
  uint64_t requests = 0;
  uint64_t forwarded = 0;
  uint64_t answered_503 = 0;
  uint64_t answered_500 = 0;
  uint64_t dropped = 0;
  // UploadPart requests that reached the upstream server, by part number.
  std::map<int, int> parts_forwarded;
  uint64_t puts_forwarded = 0;  // PUT requests forwarded (parts and single PUTs)
  // Forwarded PUTs in arrival order: the target and the value of the header named by
  // FaultPolicy::record_header (e.g. x-amz-meta-seq), for order checks.
  std::vector<std::pair<std::string, std::string>> put_log;
};

class FaultProxy {
 public:
  // Listens on 127.0.0.1 (port 0 = any) and relays to upstream_host:upstream_port.
  // Returns nullptr when it cannot listen.
  static std::unique_ptr<FaultProxy> start(std::string upstream_host, uint16_t upstream_port,
                                           FaultPolicy policy, uint16_t listen_port = 0);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void set_policy(const FaultPolicy& policy);
  ProxyStats stats() const;

 private:
  FaultProxy(int listen_fd, uint16_t port, std::string host, uint16_t upstream_port,
             FaultPolicy policy);
  void accept_loop();
  void serve(int client_fd);
  enum class Fault { kNone, k503, k500, kDrop };
  Fault decide(const std::string& method);

  int listen_fd_;
  uint16_t port_;
  std::string upstream_host_;
  uint16_t upstream_port_;
  mutable std::mutex mutex_;
  FaultPolicy policy_;   // guarded by mutex_
  std::mt19937_64 rng_;  // guarded by mutex_
  ProxyStats stats_;     // guarded by mutex_
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex threads_mutex_;
  std::vector<Connection> connections_;  // guarded by threads_mutex_; finished ones reaped
};

// "host:port" -> parts; false on bad input.
bool split_host_port(const std::string& text, std::string& host, uint16_t& port);

}  // namespace upfleet::testing
