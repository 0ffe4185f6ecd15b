// upfleet-ingest: wires config, spool, Kafka, status view and the HTTP server together.
#include <cstdio>
#include <thread>

#include "common/config_sections.h"
#include "common/kafka/kafka_job_publisher.h"
#include "common/kafka/kafka_producer.h"
#include "common/kafka/kafka_topic_reader.h"
#include "common/log.h"
#include "common/process.h"
#include "producer/disk_spool.h"
#include "producer/ingest_config.h"
#include "producer/ingest_service.h"
#include "producer/spool_janitor.h"

namespace {

constexpr std::string_view kUsage = R"(usage: upfleet-ingest [--config FILE] [--check-config]

Accepts uploads over HTTP, spools them durably and publishes upload jobs to Kafka.
Every config key can be set by environment: s3.bucket -> UPFLEET_S3_BUCKET.
See README.md ("Configuration reference") for all keys.)";

int fatal(const upfleet::Error& error) {
  std::fprintf(stderr, "upfleet-ingest: %s\n", error.message.c_str());
  upfleet::log::error("startup failed", {{"error", error.message}});
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace upfleet;
  const CommonFlags flags = parse_common_flags(argc, argv, "upfleet-ingest", kUsage);
  auto config = load_ingest_config(flags.config, process_env());
  if (!config) {
    std::fprintf(stderr, "upfleet-ingest: %s\n", config.error().message.c_str());
    return 2;
  }
  if (flags.check_config) {
    std::printf("upfleet-ingest: configuration is valid\n");
    return 0;
  }
  log::configure("ingest", config->log_level);
  block_termination_signals();
  if (config->auth_tokens.empty()) {
    log::warn("auth.tokens is empty: client endpoints accept requests without a token");
  }

  auto spool = DiskSpool::open(config->spool);
  if (!spool) return fatal(spool.error());
  // Each of the two messages of an upload (`queued`, then the job) gets half the publish
  // timeout from librdkafka, so both outcomes are known within kafka.publish_timeout: a 503
  // never leaves a job behind that Kafka accepts later.
  auto producer = kafka::KafkaProducer::create(config->kafka.settings, config->publish_timeout / 2,
                                               kafka::Linger::kNone);
  if (!producer) return fatal(producer.error());
  if (auto ready = (*producer)->prepare({config->kafka.topics.jobs, config->kafka.topics.status},
                                        std::chrono::seconds(10));
      !ready) {
    // Not fatal: topics may be created after the process starts; until then publishing fails.
    log::error("kafka topic missing", {{"error", ready.error().message}});
  }
  kafka::KafkaJobPublisher jobs(**producer, config->kafka.topics.jobs);
  kafka::KafkaStatusSink statuses(**producer, config->kafka.topics.status);

  IngestMetrics metrics(std::make_shared<prometheus::Registry>());
  StatusView view;
  asio::thread_pool blocking(static_cast<size_t>(config->blocking_threads));
  SystemClock clock;
  IngestService service(
      IngestOptions{config->ingest_id, config->advertise_url, config->default_bucket,
                    config->max_body_bytes, config->publish_timeout, config->auth_tokens,
                    config->spool_token, config->max_event_streams},
      **spool, jobs, statuses, view, metrics, blocking, clock);
  view.set_listener([&service](const StatusEvent& event) { service.on_status(event); });

  auto reader = kafka::KafkaTopicReader::start(
      config->kafka.settings, config->kafka.topics.status,
      [&view](const kafka::TopicRecord& record) {
        if (record.tombstone) return;
        auto event = parse_status_event(record.value);
        if (!event) {
          log::warn("ignoring malformed status event", {{"error", event.error().message}});
          return;
        }
        view.apply(*event);
      },
      std::chrono::seconds(30));
  if (!reader) return fatal(reader.error());

  config->http.on_slow_client = [&metrics](SlowClientPhase phase) {
    metrics.count_slow_client(phase == SlowClientPhase::kHeaders ? "headers" : "body");
  };
  auto server = HttpServer::bind(config->http, [&service](HttpRequest& request, BodyReader& body) {
    return service.handle(request, body);
  });
  if (!server) return fatal(server.error());
  (*server)->start();
  log::info("listening", {{"listen", config->http.listen},
                          {"port", (*server)->port()},
                          {"advertise_url", config->advertise_url},
                          {"ingest_id", config->ingest_id}});

  std::unique_ptr<MetricsEndpoint> metrics_endpoint;
  if (!config->metrics_listen.empty()) {
    auto endpoint = MetricsEndpoint::start(config->metrics_listen, metrics.shared_registry());
    if (!endpoint) return fatal(endpoint.error());
    metrics_endpoint = std::move(*endpoint);
  }

  if (!(*reader)->wait_caught_up(std::chrono::seconds(60))) {
    log::warn("status view not caught up after 60s; recovering with what is known");
  }
  if (auto recovered = service.recover(); !recovered) return fatal(recovered.error());
  service.set_ready(true);
  log::info("ready", {{"status_view_uploads", view.size()}});

  SpoolJanitor janitor(SpoolJanitorOptions{.ingest_id = config->ingest_id,
                                           .ttl = config->spool_ttl,
                                           .publish_timeout = config->publish_timeout},
                       **spool, statuses, view, metrics, clock);
  std::jthread janitor_thread;
  if (config->spool_ttl.count() > 0) {
    janitor_thread = std::jthread([&janitor](std::stop_token stop) { janitor.run(stop); });
  } else {
    log::info("spool.ttl is 0: spooled uploads never expire");
  }

  // Gauges for scrapes of metrics.listen, which does not pass through the service.
  std::jthread gauges([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      metrics.open_connections.Set((*server)->open_connections());
      service.refresh_gauges();
      for (int i = 0; i < 20 && !stop.stop_requested(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  });

  const std::string signal_name = wait_for_termination();
  log::info("shutting down", {{"signal", signal_name}});
  service.set_ready(false);
  gauges.request_stop();
  janitor_thread.request_stop();
  (*server)->stop(config->shutdown_grace);
  (*producer)->flush(std::chrono::seconds(5));
  blocking.join();
  log::info("stopped");
  return 0;
}
