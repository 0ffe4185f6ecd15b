#include "common/metrics.h"

#include <prometheus/text_serializer.h>

#include <cmath>

namespace upfleet {

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::start(
    const std::string& listen, std::shared_ptr<prometheus::Registry> registry) {
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/1);
    exposer->RegisterCollectable(registry);
    return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(exposer)));
  } catch (const std::exception& e) {
    return fail(Error::permanent(ErrorCode::kUnavailable,
                                 "metrics.listen " + listen + ": cannot listen: " + e.what()));
  }
}

uint16_t MetricsEndpoint::port() const {
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : static_cast<uint16_t>(ports.front());
}

std::string render_metrics(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

prometheus::Histogram::BucketBoundaries duration_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
          1,     2.5,    5,     10,   30,    60,   120, 300,  600};
}

prometheus::Histogram::BucketBoundaries size_buckets() {
  prometheus::Histogram::BucketBoundaries buckets;
  for (double bytes = 1024; bytes <= 16.0 * 1024 * 1024 * 1024; bytes *= 4) {
    buckets.push_back(bytes);
  }
  return buckets;
}

}  // namespace upfleet
