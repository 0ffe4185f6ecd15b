// upfleet-worker: wires config, Kafka, S3 and the job loop together.
#include <malloc.h>

#include <cstdio>
#include <thread>

#include "common/kafka/kafka_dead_letter_sink.h"
#include "common/kafka/kafka_job_publisher.h"
#include "common/kafka/kafka_job_source.h"
#include "common/kafka/kafka_producer.h"
#include "common/kafka/kafka_topic_reader.h"
#include "common/log.h"
#include "common/process.h"
#include "common/s3/s3_client.h"
#include "common/s3/s3_object_store.h"
#include "common/upload/byte_budget.h"
#include "common/upload/uploader.h"
#include "worker/checkpoint_index.h"
#include "worker/checkpointing_status_sink.h"
#include "worker/job_loop.h"
#include "worker/source_opener.h"
#include "worker/upload_job_handler.h"
#include "worker/worker_config.h"
#include "worker/worker_metrics.h"

namespace {

constexpr std::string_view kUsage = R"(usage: upfleet-worker [--config FILE] [--check-config]

Consumes upload jobs from Kafka, stores the files in S3 and publishes their status.
Every config key can be set by environment: s3.endpoint -> UPFLEET_S3_ENDPOINT.
See README.md ("Configuration reference") for all keys.)";

// The status reader's fetches: the broker answers once 1 MiB of events is there or half a
// second has passed, not for every event (kafka.properties can override both).
const upfleet::kafka::Properties kStatusReaderFetch = {{"fetch.min.bytes", "1048576"},
                                                       {"fetch.wait.max.ms", "500"}};

int fatal(const upfleet::Error& error) {
  std::fprintf(stderr, "upfleet-worker: %s\n", error.message.c_str());
  upfleet::log::error("startup failed", {{"error", error.message}});
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace upfleet;
  const CommonFlags flags = parse_common_flags(argc, argv, "upfleet-worker", kUsage);
  auto config = load_worker_config(flags.config, process_env());
  if (!config) {
    std::fprintf(stderr, "upfleet-worker: %s\n", config.error().message.c_str());
    return 2;
  }
  if (flags.check_config) {
    std::printf("upfleet-worker: configuration is valid\n");
    return 0;
  }
  log::configure("worker", config->log_level);
  block_termination_signals();
  // Part buffers are large and short-lived: always map them, so freeing returns the memory to
  // the system and the budget bounds the resident size (glibc would otherwise raise its mmap
  // threshold and keep freed buffers in the heap).
  mallopt(M_MMAP_THRESHOLD, 1 << 20);

  SystemClock clock;
  http::CurlTransport transport(config->transport);
  auto s3_client = s3::S3Client::create(config->s3, transport, clock);
  if (!s3_client) return fatal(s3_client.error());
  upload::ByteBudget budget(config->max_buffer_bytes);
  upload::Uploader uploader(**s3_client, budget, config->upload);
  s3::S3ObjectStore store(**s3_client, uploader);
  http::CurlTransport spool_transport(config->spool_transport);
  DefaultSourceOpener sources(spool_transport, config->spool_token);

  auto producer = kafka::KafkaProducer::create(config->kafka.settings, config->publish_timeout,
                                               kafka::Linger::kBatch);
  if (!producer) return fatal(producer.error());
  if (auto ready =
          (*producer)->prepare({config->kafka.topics.status, config->kafka.topics.dead_letters},
                               std::chrono::seconds(10));
      !ready) {
    // Not fatal: topics may be created after the process starts; until then publishing fails.
    log::error("kafka topic missing", {{"error", ready.error().message}});
  }
  kafka::KafkaStatusSink kafka_statuses(**producer, config->kafka.topics.status);

  // Multipart uploads in progress, from the status topic: redelivered jobs resume them. The
  // worker's own events go into the index as they are confirmed, so the reader only has to
  // bring other workers' events, which matter at assignment (wait_current below): it fetches
  // in batches instead of once per status event, which spares the broker a fetch per job.
  CheckpointIndex checkpoints;
  CheckpointingStatusSink statuses(kafka_statuses, checkpoints);
  auto status_reader = kafka::KafkaTopicReader::start(
      config->kafka.settings, config->kafka.topics.status,
      [&checkpoints](const kafka::TopicRecord& record) {
        if (record.tombstone) return;
        if (auto event = parse_status_event(record.value)) checkpoints.apply(*event);
      },
      std::chrono::seconds(30), kStatusReaderFetch);
  if (!status_reader) return fatal(status_reader.error());
  if (!(*status_reader)->wait_caught_up(std::chrono::seconds(120))) {
    log::warn("status topic not read to its end after 120s; some uploads may not resume");
  }
  UploadJobHandler uploads(store, sources, config->default_bucket, clock,
                           UploadProgress{&statuses,
                                          [&checkpoints](const std::string& upload_id) {
                                            return checkpoints.find(upload_id);
                                          }},
                           config->existing_check);
  kafka::KafkaDeadLetterSink dead_letters(**producer, config->kafka.topics.dead_letters);
  WorkerMetrics metrics(std::make_shared<prometheus::Registry>());
  std::unique_ptr<MetricsEndpoint> metrics_endpoint;
  if (!config->metrics_listen.empty()) {
    auto endpoint = MetricsEndpoint::start(config->metrics_listen, metrics.shared_registry());
    if (!endpoint) return fatal(endpoint.error());
    metrics_endpoint = std::move(*endpoint);
  }

  kafka::KafkaJobSourceOptions consumer_options = config->consumer;
  consumer_options.on_lag = [&metrics](int32_t partition, int64_t lag) {
    metrics.set_consumer_lag(partition, lag);
  };
  auto source = kafka::KafkaJobSource::create(config->kafka.settings, consumer_options);
  if (!source) return fatal(source.error());

  JobRunner runner(
      uploads, store, statuses, dead_letters, metrics, config->retry, config->default_bucket, clock,
      [&checkpoints](const std::string& upload_id) { return checkpoints.is_stored(upload_id); });
  JobLoopOptions loop_options = config->loop;
  loop_options.before_assigned_work = [&status_reader] {
    if (!(*status_reader)->wait_current(std::chrono::seconds(10))) {
      log::warn("status topic not current; finished jobs may run again");
    }
  };
  JobLoop loop(**source, runner, metrics, loop_options, clock);
  std::thread consumer([&loop] { loop.run(); });
  std::jthread gauges([&](std::stop_token stop) {
    for (int tick = 1; !stop.stop_requested(); ++tick) {
      metrics.buffer_bytes.Set(static_cast<double>(budget.in_use()));
      // Buffers kept for reuse go back to the system after 10 s without a new lease.
      if (tick % 20 == 0) budget.trim_if_idle();
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });
  log::info("started", {{"worker_id", config->worker_id},
                        {"group", config->consumer.group_id},
                        {"ordering", to_string(config->loop.scheduler.ordering)},
                        {"concurrency", config->loop.scheduler.workers},
                        {"topic", config->consumer.topic},
                        {"metrics", config->metrics_listen}});

  const std::string signal_name = wait_for_termination();
  log::info("shutting down", {{"signal", signal_name}});
  // Jobs in flight get worker.shutdown_grace to finish, then are cancelled (a multipart upload
  // keeps its parts for the next owner); what finished is committed before leaving the group.
  loop.stop();
  consumer.join();
  (*source)->close();
  (*producer)->flush(std::chrono::seconds(5));
  log::info("stopped");
  return 0;
}
