#include "common/kafka/kafka_job_source.h"

#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/kafka/message_headers.h"
#include "common/log.h"

namespace upfleet::kafka {

Result<std::unique_ptr<KafkaJobSource>> KafkaJobSource::create(const KafkaSettings& settings,
                                                               KafkaJobSourceOptions options) {
  auto conf = make_conf(
      settings, {{"group.id", options.group_id},
                 {"enable.auto.commit", "false"},
                 {"enable.auto.offset.store", "false"},
                 {"auto.offset.reset", "earliest"},
                 {"partition.assignment.strategy", "cooperative-sticky"},
                 {"max.poll.interval.ms", std::to_string(options.max_poll_interval.count())},
                 {"session.timeout.ms", std::to_string(options.session_timeout.count())},
                 {"statistics.interval.ms", std::to_string(options.stats_interval.count())}});
  if (!conf) return fail(conf.error());
  std::unique_ptr<KafkaJobSource> source(new KafkaJobSource());
  source->options_ = std::move(options);
  rd_kafka_conf_set_opaque(conf->get(), source.get());
  rd_kafka_conf_set_rebalance_cb(conf->get(), &KafkaJobSource::on_rebalance);
  if (source->options_.on_lag) rd_kafka_conf_set_stats_cb(conf->get(), &KafkaJobSource::on_stats);
  char errstr[512];
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), errstr, sizeof errstr);
  if (raw == nullptr) return fail(Error::invalid(std::string("kafka consumer: ") + errstr));
  (void)conf->release();  // owned by the handle now
  source->handle_.reset(raw);
  rd_kafka_poll_set_consumer(raw);
  PartitionListHandle topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), source->options_.topic.c_str(),
                                    RD_KAFKA_PARTITION_UA);
  if (auto err = rd_kafka_subscribe(raw, topics.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(kafka_error(err, "subscribing to " + source->options_.topic));
  }
  return source;
}

KafkaJobSource::~KafkaJobSource() {
  close();
}

namespace {

std::vector<TopicPartition> to_vector(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  for (int i = 0; i < list->cnt; ++i)
    out.push_back({list->elems[i].topic, list->elems[i].partition});
  return out;
}

PartitionListHandle to_list(const std::vector<TopicPartition>& partitions) {
  PartitionListHandle list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto& tp : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
  }
  return list;
}

}  // namespace

void KafkaJobSource::on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t err,
                                  rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<KafkaJobSource*>(opaque);
  self->rebalances_ += 1;
  const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE";
  const std::vector<TopicPartition> changed = to_vector(partitions);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    {
      std::lock_guard lock(self->mutex_);
      for (const auto& tp : changed) self->assigned_.insert(tp.partition);
    }
    if (cooperative) {
      KafkaErrorHandle error(rd_kafka_incremental_assign(handle, partitions));
      if (error) {
        log::error("incremental assign failed", {{"error", rd_kafka_error_string(error.get())}});
      }
    } else {
      rd_kafka_assign(handle, partitions);
    }
    if (self->listener_ != nullptr) self->listener_->on_assigned(changed);
  } else {
    // Jobs of these partitions finish (or stop) and their offsets are committed while the
    // partitions are still ours.
    if (self->listener_ != nullptr) {
      if (rd_kafka_assignment_lost(handle)) {
        self->listener_->on_lost(changed);
      } else {
        self->listener_->on_revoking(changed);
      }
    }
    {
      std::lock_guard lock(self->mutex_);
      for (const auto& tp : changed) self->assigned_.erase(tp.partition);
    }
    if (cooperative) {
      KafkaErrorHandle error(rd_kafka_incremental_unassign(handle, partitions));
      if (error) {
        log::error("incremental unassign failed", {{"error", rd_kafka_error_string(error.get())}});
      }
    } else {
      rd_kafka_assign(handle, nullptr);
    }
  }
  std::string numbers;  // "0,3,5": which partitions moved, for whoever reads the logs
  for (const auto& tp : changed) {
    if (!numbers.empty()) numbers.push_back(',');
    numbers += std::to_string(tp.partition);
  }
  std::lock_guard lock(self->mutex_);
  log::info(
      err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? "partitions assigned" : "partitions revoked",
      {{"count", partitions->cnt},
       {"partitions", numbers},
       {"now_assigned", self->assigned_.size()}});
}

int KafkaJobSource::on_stats(rd_kafka_t*, char* json, size_t json_len, void* opaque) {
  auto* self = static_cast<KafkaJobSource*>(opaque);
  auto stats = nlohmann::json::parse(std::string_view(json, json_len), nullptr, false);
  if (stats.is_discarded()) return 0;
  const auto topics = stats.find("topics");
  if (topics == stats.end() || !topics->contains(self->options_.topic)) return 0;
  const auto& partitions = (*topics)[self->options_.topic]["partitions"];
  if (!partitions.is_object()) return 0;
  for (const auto& [name, partition] : partitions.items()) {
    const int64_t lag = partition.value("consumer_lag", int64_t{-1});
    const int32_t number = std::atoi(name.c_str());
    if (number >= 0 && lag >= 0) self->options_.on_lag(number, lag);
  }
  return 0;  // librdkafka frees the JSON
}

Status KafkaJobSource::pause(const std::vector<TopicPartition>& partitions) {
  if (partitions.empty()) return {};
  auto list = to_list(partitions);
  if (auto err = rd_kafka_pause_partitions(handle_.get(), list.get()); err) {
    return fail(kafka_error(err, "pausing partitions"));
  }
  return {};
}

Status KafkaJobSource::resume(const std::vector<TopicPartition>& partitions) {
  if (partitions.empty()) return {};
  auto list = to_list(partitions);
  if (auto err = rd_kafka_resume_partitions(handle_.get(), list.get()); err) {
    return fail(kafka_error(err, "resuming partitions"));
  }
  return {};
}

Result<std::optional<JobMessage>> KafkaJobSource::poll(std::chrono::milliseconds timeout) {
  MessageHandle message(rd_kafka_consumer_poll(handle_.get(), static_cast<int>(timeout.count())));
  if (!message) return std::optional<JobMessage>();
  if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return std::optional<JobMessage>();
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(kafka_error(message->err,
                            std::string("consuming: ") + rd_kafka_message_errstr(message.get())));
  }
  JobMessage job;
  job.topic = rd_kafka_topic_name(message->rkt);
  job.partition = message->partition;
  job.offset = message->offset;
  if (message->key != nullptr)
    job.key.assign(static_cast<const char*>(message->key), message->key_len);
  if (message->payload != nullptr) {
    job.value.assign(static_cast<const char*>(message->payload), message->len);
  }
  job.headers = read_headers(message.get());
  return std::optional<JobMessage>(std::move(job));
}

Status KafkaJobSource::commit_offset(const TopicPartition& tp, int64_t next_offset,
                                     const std::string& metadata) {
  PartitionListHandle offsets(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_t* entry =
      rd_kafka_topic_partition_list_add(offsets.get(), tp.topic.c_str(), tp.partition);
  entry->offset = next_offset;
  if (!metadata.empty()) {
    // librdkafka frees the list's metadata with free(): give it malloc'd memory.
    entry->metadata = std::malloc(metadata.size());
    std::memcpy(entry->metadata, metadata.data(), metadata.size());
    entry->metadata_size = metadata.size();
  }
  const rd_kafka_resp_err_t err = rd_kafka_commit(handle_.get(), offsets.get(), /*async=*/0);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(kafka_error(err, "committing " + tp.topic + "[" + std::to_string(tp.partition) +
                                     "]@" + std::to_string(next_offset)));
  }
  return {};
}

std::map<TopicPartition, std::string> KafkaJobSource::committed_metadata(
    const std::vector<TopicPartition>& partitions) {
  std::map<TopicPartition, std::string> out;
  if (partitions.empty()) return out;
  auto list = to_list(partitions);
  if (auto err = rd_kafka_committed(handle_.get(), list.get(), 10'000); err) {
    log::warn("cannot read committed offsets; finished jobs above them may run again",
              {{"error", rd_kafka_err2str(err)}});
    return out;
  }
  for (int i = 0; i < list->cnt; ++i) {
    const auto& entry = list->elems[i];
    if (entry.err || entry.metadata == nullptr || entry.metadata_size == 0) continue;
    out[{entry.topic, entry.partition}] =
        std::string(static_cast<const char*>(entry.metadata), entry.metadata_size);
  }
  return out;
}

std::map<TopicPartition, int64_t> KafkaJobSource::high_watermarks(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) {
  std::map<TopicPartition, int64_t> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& tp : partitions) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    int64_t low = 0;
    int64_t high = 0;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        handle_.get(), tp.topic.c_str(), tp.partition, &low, &high, static_cast<int>(left.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log::warn("cannot read a partition's high watermark; its jobs keep every existence check",
                {{"partition", tp.partition}, {"error", rd_kafka_err2str(err)}});
      continue;
    }
    out[tp] = high;
  }
  return out;
}

std::vector<int32_t> KafkaJobSource::assigned_partitions() const {
  std::lock_guard lock(mutex_);
  return {assigned_.begin(), assigned_.end()};
}

void KafkaJobSource::close() {
  if (closed_ || !handle_) return;
  closed_ = true;
  rd_kafka_consumer_close(handle_.get());
}

}  // namespace upfleet::kafka
