#include "common/kafka/kafka_job_publisher.h"

namespace upfleet::kafka {

Status KafkaJobPublisher::publish(const Job& job, Deadline deadline) {
  const MessageHeaders headers = {{"upfleet-job-type", std::string(to_string(job.type))},
                                  {"upfleet-upload-id", job.upload_id}};
  return producer_.produce(topic_, job.key, to_json(job), headers, deadline);
}

Status KafkaStatusSink::publish(const StatusEvent& event, Deadline deadline) {
  return producer_.produce(topic_, event.upload_id, to_json(event), {}, deadline);
}

}  // namespace upfleet::kafka
