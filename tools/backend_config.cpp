#include "tools/backend_config.h"

namespace upfleet::ctl {

Result<BackendConfig> load_backend_config(const std::optional<std::filesystem::path>& file,
                                          bool needs_s3) {
  auto loaded = ConfigReader::load(file, process_env());
  if (!loaded) return fail(loaded.error());
  ConfigReader& reader = *loaded;
  BackendConfig config;
  config.kafka = read_kafka_section(reader, "upfleetctl");
  config.bucket = reader.get_string("s3.bucket", "upfleet");
  config.publish_timeout = reader.get_duration("kafka.publish_timeout", std::chrono::seconds(10),
                                               std::chrono::milliseconds(100));
  if (needs_s3) config.s3 = read_s3_section(reader);
  // upfleetctl shares config files with the binaries: keys it does not use are fine here.
  reader.get_map("");
  if (auto finished = reader.finish(); !finished) return fail(finished.error());
  return config;
}

}  // namespace upfleet::ctl
