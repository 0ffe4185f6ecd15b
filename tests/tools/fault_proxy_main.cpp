// upfleet-fault-proxy: the test suite's HTTP fault proxy as a program, for benchmarks and for
// trying failure modes by hand. Prints the port it listens on, then relays until killed.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/config_reader.h"
#include "tests/support/fault_proxy.h"

int main(int argc, char** argv) {
  using namespace upfleet::testing;
  std::string upstream;
  uint16_t listen_port = 0;
  FaultPolicy policy;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--upstream") {
      upstream = value;
    } else if (flag == "--port") {
      listen_port = static_cast<uint16_t>(std::stoi(value));
    } else if (flag == "--error-503-rate") {
      policy.error_503_rate = std::stod(value);
    } else if (flag == "--error-500-rate") {
      policy.error_500_rate = std::stod(value);
    } else if (flag == "--drop-rate") {
      policy.drop_rate = std::stod(value);
    } else if (flag == "--delay") {
      auto delay = upfleet::parse_duration(value);
      if (!delay) {
        std::fprintf(stderr, "bad --delay %s\n", value.c_str());
        return 2;
      }
      policy.delay = *delay;
    } else if (flag == "--delay-jitter") {
      auto jitter = upfleet::parse_duration(value);
      if (!jitter) {
        std::fprintf(stderr, "bad --delay-jitter %s\n", value.c_str());
        return 2;
      }
      policy.delay_jitter = *jitter;
    } else if (flag == "--only-method") {
      policy.only_method = value;
    } else if (flag == "--seed") {
      policy.seed = std::stoull(value);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  std::string host;
  uint16_t port = 0;
  if (!split_host_port(upstream, host, port)) {
    std::fprintf(stderr,
                 "usage: upfleet-fault-proxy --upstream HOST:PORT [--port N] [--delay 20ms]\n"
                 "  [--delay-jitter 5ms]\n"
                 "  [--error-503-rate R] [--error-500-rate R] [--drop-rate R]\n"
                 "  [--only-method PUT] [--seed N]\n");
    return 2;
  }
  auto proxy = FaultProxy::start(host, port, policy, listen_port);
  if (!proxy) {
    std::fprintf(stderr, "cannot listen\n");
    return 1;
  }
  std::printf("%u\n", proxy->port());
  std::fflush(stdout);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int signal_number = 0;
  sigwait(&set, &signal_number);
  const ProxyStats stats = proxy->stats();
  std::fprintf(stderr, "requests %llu forwarded %llu 503 %llu 500 %llu dropped %llu\n",
               static_cast<unsigned long long>(stats.requests),
               static_cast<unsigned long long>(stats.forwarded),
               static_cast<unsigned long long>(stats.answered_503),
               static_cast<unsigned long long>(stats.answered_500),
               static_cast<unsigned long long>(stats.dropped));
  return 0;
}
