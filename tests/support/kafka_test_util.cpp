#include "tests/support/kafka_test_util.h"

#include <mutex>

#include "common/kafka/kafka_holders.h"
#include "common/kafka/kafka_topic_reader.h"
#include "tests/support/test_env.h"

namespace upfleet::testing {

Status create_topics(const std::string& brokers, const std::vector<TopicSpec>& topics) {
  kafka::KafkaSettings settings{brokers, "upfleet-test-admin", {}};
  auto conf = kafka::make_conf(settings, {});
  if (!conf) return fail(conf.error());
  char errstr[512];
  kafka::KafkaHandle handle(rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), errstr, sizeof errstr));
  if (!handle) return fail(Error::invalid(errstr));
  (void)conf->release();

  std::vector<rd_kafka_NewTopic_t*> new_topics;
  for (const auto& spec : topics) {
    rd_kafka_NewTopic_t* topic =
        rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions, 1, errstr, sizeof errstr);
    if (spec.compacted) rd_kafka_NewTopic_set_config(topic, "cleanup.policy", "compact");
    new_topics.push_back(topic);
  }
  kafka::QueueHandle queue(rd_kafka_queue_new(handle.get()));
  rd_kafka_CreateTopics(handle.get(), new_topics.data(), new_topics.size(), nullptr, queue.get());
  kafka::EventHandle event(rd_kafka_queue_poll(queue.get(), 30'000));
  rd_kafka_NewTopic_destroy_array(new_topics.data(), new_topics.size());
  if (!event) return fail(Error::transient(ErrorCode::kTimeout, "CreateTopics timed out"));
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
  if (result == nullptr) return fail(Error::invalid(rd_kafka_event_error_string(event.get())));
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
  for (size_t i = 0; i < count; ++i) {
    const auto err = rd_kafka_topic_result_error(results[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      return fail(Error::invalid(std::string("creating ") + rd_kafka_topic_result_name(results[i]) +
                                 ": " + rd_kafka_err2str(err)));
    }
  }
  return {};
}

kafka::Topics create_test_topics(const std::string& brokers, int job_partitions) {
  const std::string base = "upfleet-test-" + unique_suffix();
  kafka::Topics topics{base + ".jobs", base + ".status", base + ".dlq"};
  auto created = create_topics(brokers, {{topics.jobs, job_partitions, false},
                                         {topics.status, 3, true},
                                         {topics.dead_letters, 1, false}});
  if (!created) std::fprintf(stderr, "create_test_topics: %s\n", created.error().message.c_str());
  return topics;
}

Result<std::vector<ReadRecord>> read_topic(const std::string& brokers, const std::string& topic,
                                           std::chrono::milliseconds timeout) {
  std::mutex mutex;
  std::vector<ReadRecord> records;
  kafka::KafkaSettings settings{brokers, "upfleet-test-reader", {}};
  auto reader = kafka::KafkaTopicReader::start(
      settings, topic,
      [&](const kafka::TopicRecord& record) {
        std::lock_guard lock(mutex);
        records.push_back(
            {record.partition, record.offset, std::string(record.key), std::string(record.value)});
      },
      timeout);
  if (!reader) return fail(reader.error());
  if (!(*reader)->wait_caught_up(timeout)) {
    return fail(Error::transient(ErrorCode::kTimeout, "reading " + topic + " timed out"));
  }
  reader->reset();
  return records;
}

}  // namespace upfleet::testing
