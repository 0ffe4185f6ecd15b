#include "common/kafka/kafka_producer.h"

#include <condition_variable>
#include <mutex>

#include "common/log.h"

namespace upfleet::kafka {
namespace {

// Shared between the producing thread and the delivery-report callback. Reference-counted
// because the producing thread may give up waiting before the report arrives.
struct Delivery {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  auto* holder = static_cast<std::shared_ptr<Delivery>*>(message->_private);
  if (holder == nullptr) return;
  {
    std::lock_guard lock((*holder)->mutex);
    (*holder)->done = true;
    (*holder)->error = message->err;
  }
  (*holder)->done_cv.notify_all();
  delete holder;
}

void on_error(rd_kafka_t* handle, int code, const char* reason, void* opaque) {
  auto* fatal = static_cast<std::atomic<bool>*>(opaque);
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    char detail[512];
    rd_kafka_fatal_error(handle, detail, sizeof detail);
    fatal->store(true);
    log::error("kafka producer fatal error", {{"reason", detail}});
    return;
  }
  log::warn(
      "kafka producer error",
      {{"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(code))}, {"reason", reason}});
}

}  // namespace

Result<std::unique_ptr<KafkaProducer>> KafkaProducer::create(
    const KafkaSettings& settings, std::chrono::milliseconds delivery_timeout, Linger linger) {
  // Required: no duplicates or reordering on retries, nothing acknowledged before every
  // in-sync replica has it, keys placed like the Java clients do, and the delivery deadline
  // from kafka.publish_timeout. Tunable: linger.ms by the caller's role (Linger); what
  // arrives while a request is in flight is batched even without it.
  auto conf = make_conf(settings,
                        {{"enable.idempotence", "true"},
                         {"acks", "all"},
                         {"partitioner", "murmur2_random"},
                         {"message.timeout.ms", std::to_string(delivery_timeout.count())}},
                        {{"linger.ms", linger == Linger::kNone ? "0" : "5"},
                         {"socket.connection.setup.timeout.ms",
                          std::to_string(std::max<int64_t>(1000, delivery_timeout.count()))}});
  if (!conf) return fail(conf.error());
  rd_kafka_conf_set_dr_msg_cb(conf->get(), on_delivery);
  char errstr[512];
  std::unique_ptr<KafkaProducer> producer(new KafkaProducer(KafkaHandle{}, delivery_timeout));
  rd_kafka_conf_set_opaque(conf->get(), &producer->fatal_);
  rd_kafka_conf_set_error_cb(conf->get(), on_error);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), errstr, sizeof errstr);
  if (handle == nullptr) {
    return fail(Error::invalid(std::string("cannot create kafka producer: ") + errstr));
  }
  (void)conf->release();  // rd_kafka_new took ownership (only on success)
  producer->handle_.reset(handle);
  producer->poller_ = std::thread([p = producer.get()] { p->poll_loop(); });
  return producer;
}

KafkaProducer::KafkaProducer(KafkaHandle handle, std::chrono::milliseconds delivery_timeout)
    : handle_(std::move(handle)), delivery_timeout_(delivery_timeout) {}

KafkaProducer::~KafkaProducer() {
  stop_ = true;
  if (poller_.joinable()) poller_.join();
  for (rd_kafka_topic_t* topic : prepared_topics_) rd_kafka_topic_destroy(topic);
  if (handle_) {
    rd_kafka_flush(handle_.get(), 5000);
    // Remaining delivery reports fire (with errors) inside destroy.
    rd_kafka_purge(handle_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(handle_.get(), 0);
  }
}

void KafkaProducer::poll_loop() {
  while (!stop_.load()) rd_kafka_poll(handle_.get(), 100);
}

Status KafkaProducer::produce(std::string_view topic, std::string_view key, std::string_view value,
                              const MessageHeaders& headers, Deadline caller_deadline) {
  if (fatal_.load()) {
    return fail(Error::transient(ErrorCode::kUnavailable,
                                 "kafka producer is in a fatal state; restart the process"));
  }
  // librdkafka reports every message by message.timeout.ms; the margin only guards against a
  // report that never comes (a bug), so the outcome is definite in practice.
  const auto deadline = std::min(caller_deadline, std::chrono::steady_clock::now() +
                                                      delivery_timeout_ + std::chrono::seconds(5));
  auto delivery = std::make_shared<Delivery>();
  for (;;) {
    HeadersHandle message_headers(rd_kafka_headers_new(headers.size()));
    for (const auto& [name, header_value] : headers) {
      rd_kafka_header_add(message_headers.get(), name.data(), static_cast<ssize_t>(name.size()),
                          header_value.data(), static_cast<ssize_t>(header_value.size()));
    }
    auto* opaque = new std::shared_ptr<Delivery>(delivery);
    const std::string topic_name(topic);
    rd_kafka_resp_err_t err = rd_kafka_producev(
        handle_.get(), RD_KAFKA_V_TOPIC(topic_name.c_str()),
        RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(message_headers.get()),
        RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      (void)message_headers.release();  // owned by the message now
      break;
    }
    delete opaque;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || std::chrono::steady_clock::now() >= deadline) {
      return fail(kafka_error(err, "producing to " + topic_name));
    }
    // The local queue is full: let delivery reports drain it, then try again.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::unique_lock lock(delivery->mutex);
  if (!delivery->done_cv.wait_until(lock, deadline, [&] { return delivery->done; })) {
    return fail(Error::transient(ErrorCode::kTimeout, "kafka did not confirm the message to " +
                                                          std::string(topic) +
                                                          " in time; is the broker reachable?"));
  }
  if (delivery->error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(kafka_error(delivery->error, "delivering to " + std::string(topic)));
  }
  return {};
}

Status KafkaProducer::prepare(const std::vector<std::string>& topics,
                              std::chrono::milliseconds timeout) {
  for (const std::string& topic : topics) {
    rd_kafka_topic_t* handle = rd_kafka_topic_new(handle_.get(), topic.c_str(), nullptr);
    if (handle == nullptr) continue;
    prepared_topics_.push_back(handle);
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(handle_.get(), 0, handle, &metadata, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log::warn("no metadata for topic yet", {{"topic", topic}, {"error", rd_kafka_err2str(err)}});
      continue;
    }
    const bool missing = metadata->topic_cnt == 1 &&
                         metadata->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    rd_kafka_metadata_destroy(metadata);
    if (missing) {
      return fail(Error::permanent(
          ErrorCode::kNotFound,
          "kafka topic " + topic +
              " does not exist (create it, or check kafka.topics.*; scripts/services up creates "
              "the default topics locally)"));
    }
  }
  return {};
}

void KafkaProducer::flush(std::chrono::milliseconds timeout) {
  rd_kafka_flush(handle_.get(), static_cast<int>(timeout.count()));
}

}  // namespace upfleet::kafka
