// CreateTopics: a topic with num_partitions (-1: the data directory's
// default) and configs, validated as the xattrs are (LogManager's
// CreateTopic, all or nothing). One node holds every replica, so the
// replication factor is 1 or -1 (the default, 1); anything else, and
// manual assignments, are refused. Internal ("__") names are the store's.

#include <spdlog/spdlog.h>

#include "kafka/broker/admin_apis.h"
#include "kafka/broker/config_entries.h"
#include "kafka/protocol/admin_error_codes.h"
#include "kafka/protocol/create_topics.h"
#include "kafka/protocol/error_codes.h"
#include "store/format/topic_name.h"

namespace topicfs::kafka {

void AdminApis::HandleCreateTopics(Answer& answer, ByteReader& in) {
  const int16_t version = answer.version();
  CreateTopicsRequest request;
  if (!request.Decode(in, version)) return answer.Refuse(in.error());
  CreateTopicsResponse response;
  for (const auto& t : request.topics) {
    CreateTopicsResponse::Topic& topic = response.topics.emplace_back();
    topic.name = std::string(t.name);
    auto fail = [&topic](int16_t code, std::string why) {
      topic.error_code = code;
      topic.error_message = std::move(why);
    };
    store::ConfigOverrides overrides;
    for (const auto& c : t.configs) {
      if (!c.value) continue;  // null: the default
      overrides[std::string(c.name)] = std::string(*c.value);
    }
    if (t.replication_factor != -1 && t.replication_factor != 1) {
      fail(error::kInvalidReplicationFactor,
           fmt::format("replication factor {}: a single node keeps one replica (1 or -1)", t.replication_factor));
      continue;
    }
    if (t.assignments > 0) {
      fail(error::kInvalidReplicaAssignment, "manual replica assignments are not served");
      continue;
    }
    if (t.num_partitions == 0 || t.num_partitions < -1) {
      fail(error::kInvalidPartitions, fmt::format("number of partitions {}", t.num_partitions));
      continue;
    }
    if (t.num_partitions > 0) overrides["partitions"] = std::to_string(t.num_partitions);
    if (t.name.starts_with("__")) {
      fail(error::kInvalidTopicException, "names starting with __ are internal");
      continue;
    }
    if (logs_.TopicExists(t.name)) {
      fail(error::kTopicAlreadyExists, fmt::format("topic '{}' already exists", t.name));
      continue;
    }
    // Validate first (also for validate_only): names, values, the config as a whole.
    store::Status valid = store::ValidateTopicName(t.name);
    if (!valid.ok()) {
      fail(error::kInvalidTopicException, valid.message());
      continue;
    }
    for (const auto& [name, value] : overrides) {
      valid = store::ValidateConfigValue(name, value);
      if (!valid.ok()) break;
    }
    store::ConfigOverrides defaults = logs_.DefaultOverrides();
    auto config = valid.ok() ? store::ResolveConfig(defaults, overrides) : store::Result<store::LogConfig>(valid);
    if (!config.ok()) {
      fail(error::kInvalidConfig, config.status().message());
      continue;
    }
    if (!request.validate_only) {
      store::Status created = logs_.CreateTopic(t.name, overrides);
      if (!created.ok()) {
        fail(created.code() == store::Code::kAlreadyExists      ? error::kTopicAlreadyExists
             : created.code() == store::Code::kInvalidArgument ? error::kInvalidTopicException
                                                                : error::kUnknownServerError,
             created.message());
        continue;
      }
      spdlog::info("kafka: created topic {} ({} partitions)", t.name, config->partitions);
    }
    topic.num_partitions = config->partitions;
    topic.replication_factor = 1;
    topic.configs.emplace();
    for (auto& e : DescribeConfigEntries(*config, defaults, overrides)) {
      topic.configs->push_back({std::move(e.name), std::move(e.value), false, e.source, false});
    }
  }
  std::string body;
  response.Encode(&body, version);
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
