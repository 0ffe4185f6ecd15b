#include "common/kafka/kafka_topic_reader.h"

#include <set>

#include "common/kafka/message_headers.h"
#include "common/log.h"

namespace upfleet::kafka {

Result<int> partition_count(rd_kafka_t* handle, const std::string& topic,
                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_error = "no answer";
  do {
    const rd_kafka_metadata_t* metadata = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(handle, 0, nullptr, &metadata, 2000);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      int count = -1;
      for (int i = 0; i < metadata->topic_cnt; ++i) {
        if (topic == metadata->topics[i].topic && metadata->topics[i].err == 0) {
          count = metadata->topics[i].partition_cnt;
        }
      }
      rd_kafka_metadata_destroy(metadata);
      if (count > 0) return count;
      last_error = "topic does not exist";
    } else {
      last_error = rd_kafka_err2str(err);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (std::chrono::steady_clock::now() < deadline);
  return fail(Error::transient(ErrorCode::kUnavailable,
                               "kafka topic " + topic + ": " + last_error +
                                   " (check kafka.brokers and that the topic was created)"));
}

Result<std::unique_ptr<KafkaTopicReader>> KafkaTopicReader::start(
    const KafkaSettings& settings, std::string topic, Handler on_message,
    std::chrono::milliseconds metadata_timeout, const Properties& fetch_defaults) {
  auto conf = make_conf(settings,
                        {{"group.id", "upfleet-reader-unused"},
                         {"enable.auto.commit", "false"},
                         {"enable.auto.offset.store", "false"},
                         {"enable.partition.eof", "true"},
                         {"auto.offset.reset", "earliest"}},
                        fetch_defaults);
  if (!conf) return fail(conf.error());
  char errstr[512];
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), errstr, sizeof errstr);
  if (raw == nullptr) return fail(Error::invalid(std::string("kafka consumer: ") + errstr));
  (void)conf->release();
  KafkaHandle handle(raw);
  auto partitions = partition_count(handle.get(), topic, metadata_timeout);
  if (!partitions) return fail(partitions.error());
  PartitionListHandle list(rd_kafka_topic_partition_list_new(*partitions));
  for (int p = 0; p < *partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  if (auto err = rd_kafka_assign(handle.get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(kafka_error(err, "assigning " + topic));
  }
  std::unique_ptr<KafkaTopicReader> reader(new KafkaTopicReader(
      std::move(handle), std::move(topic), *partitions, std::move(on_message)));
  reader->thread_ = std::thread([r = reader.get()] { r->run(); });
  return reader;
}

KafkaTopicReader::KafkaTopicReader(KafkaHandle handle, std::string topic, int partitions,
                                   Handler handler)
    : handle_(std::move(handle)),
      topic_(std::move(topic)),
      partitions_(partitions),
      handler_(std::move(handler)) {}

KafkaTopicReader::~KafkaTopicReader() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  rd_kafka_consumer_close(handle_.get());
}

bool KafkaTopicReader::wait_caught_up(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!caught_up_.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return caught_up_.load();
}

bool KafkaTopicReader::wait_current(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::map<int32_t, int64_t> ends;
  for (int32_t p = 0; p < partitions_; ++p) {
    int64_t low = 0;
    int64_t high = 0;
    if (rd_kafka_query_watermark_offsets(handle_.get(), topic_.c_str(), p, &low, &high,
                                         static_cast<int>(timeout.count())) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      return false;
    }
    if (high > low) ends[p] = high;
  }
  std::unique_lock lock(positions_mutex_);
  return positions_changed_.wait_until(lock, deadline, [&] {
    for (const auto& [partition, end] : ends) {
      auto it = positions_.find(partition);
      if (it == positions_.end() || it->second < end) return false;
    }
    return true;
  });
}

void KafkaTopicReader::run() {
  std::set<int32_t> at_end;
  while (!stop_.load()) {
    MessageHandle message(rd_kafka_consumer_poll(handle_.get(), 100));
    if (!message) continue;
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      {
        std::lock_guard lock(positions_mutex_);
        positions_[message->partition] = std::max(positions_[message->partition], message->offset);
      }
      positions_changed_.notify_all();
      at_end.insert(message->partition);
      if (static_cast<int>(at_end.size()) >= partitions_) caught_up_ = true;
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log::warn("kafka reader error",
                {{"topic", topic_}, {"error", rd_kafka_message_errstr(message.get())}});
      continue;
    }
    TopicRecord record;
    record.partition = message->partition;
    record.offset = message->offset;
    record.key = std::string_view(static_cast<const char*>(message->key), message->key_len);
    record.tombstone = message->payload == nullptr;
    if (!record.tombstone) {
      record.value = std::string_view(static_cast<const char*>(message->payload), message->len);
    }
    record.headers = read_headers(message.get());
    handler_(record);
    {
      std::lock_guard lock(positions_mutex_);
      positions_[message->partition] = message->offset + 1;
    }
    positions_changed_.notify_all();
  }
}

}  // namespace upfleet::kafka
