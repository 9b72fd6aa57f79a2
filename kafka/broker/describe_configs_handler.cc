// DescribeConfigs: a topic's configs as `getfattr -d` lists them, each
// with its source (TOPIC_CONFIG when set on the topic,
// DYNAMIC_DEFAULT_BROKER_CONFIG when set on the mount root, DEFAULT_CONFIG
// otherwise); the broker resource ("" or this node's id) lists the
// defaults. Synonyms, when asked, name the value's own source.

#include <algorithm>

#include "kafka/broker/admin_apis.h"
#include "kafka/broker/config_entries.h"
#include "kafka/protocol/describe_configs.h"
#include "kafka/protocol/error_codes.h"

namespace topicfs::kafka {

void AdminApis::HandleDescribeConfigs(Answer& answer, ByteReader& in) {
  DescribeConfigsRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  DescribeConfigsResponse response;
  for (const auto& res : request.resources) {
    DescribeConfigsResponse::Result& r = response.results.emplace_back();
    r.resource_type = res.resource_type;
    r.resource_name = std::string(res.resource_name);
    store::ConfigOverrides defaults = logs_.DefaultOverrides();
    std::optional<store::ConfigOverrides> overrides;
    store::Result<store::LogConfig> config = store::Status::NotFound("");
    if (res.resource_type == kResourceTopic) {
      auto topic = logs_.TopicOverrides(res.resource_name);
      if (!topic.ok()) {
        r.error_code = error::kUnknownTopicOrPartition;
        r.error_message = topic.status().message();
        continue;
      }
      overrides = std::move(topic).value();
      config = logs_.TopicConfig(res.resource_name);
    } else if (res.resource_type == kResourceBroker && IsThisBroker(res.resource_name)) {
      config = store::ResolveConfig(defaults, {});
    } else {
      r.error_code = error::kInvalidRequest;
      r.error_message = "only topics and this broker have configs";
      continue;
    }
    if (!config.ok()) {
      r.error_code = error::kKafkaStorageError;
      r.error_message = config.status().message();
      continue;
    }
    for (auto& e : DescribeConfigEntries(*config, defaults, overrides)) {
      if (res.configuration_keys && std::find(res.configuration_keys->begin(), res.configuration_keys->end(),
                                              e.name) == res.configuration_keys->end()) {
        continue;
      }
      DescribeConfigsResponse::Config& c = r.configs.emplace_back();
      c.name = e.name;
      c.value = e.value;
      c.config_source = e.source;
      c.config_type = e.type;
      if (request.include_synonyms) c.synonyms.push_back({e.name, e.value, e.source});
    }
  }
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
