// Prometheus metrics: one registry per process, rendered on `/metrics` of the main HTTP port
// (ingest) and/or on a dedicated `metrics.listen` endpoint. Names and labels are catalogued
// in docs/metrics.md.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "common/error.h"

namespace upfleet {

class MetricsEndpoint {
 public:
  // Serves `registry` at http://<listen>/metrics. kUnavailable when the address is taken.
  static Result<std::unique_ptr<MetricsEndpoint>> start(
      const std::string& listen, std::shared_ptr<prometheus::Registry> registry);

  // The bound port (useful with port 0).
  uint16_t port() const;

 private:
  explicit MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer)
      : exposer_(std::move(exposer)) {}
  std::unique_ptr<prometheus::Exposer> exposer_;
};

// Prometheus text exposition of everything in `registry`.
std::string render_metrics(prometheus::Registry& registry);

// Histogram buckets in seconds for request and job durations (1 ms .. ~10 min).
prometheus::Histogram::BucketBoundaries duration_buckets();
// Histogram buckets in bytes for object sizes (1 KiB .. 16 GiB, powers of 4).
prometheus::Histogram::BucketBoundaries size_buckets();

}  // namespace upfleet
