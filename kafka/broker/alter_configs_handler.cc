// AlterConfigs: replaces a topic's (or the broker's default) configs with
// those given, as a sequence of setfattr and setfattr -x: names not given
// return to their default, except `partitions`, which only grows and is
// kept. Everything is validated first (each value and the config as a
// whole, through store/log/log_config), so a refused request changes
// nothing.

#include <spdlog/spdlog.h>

#include "kafka/broker/admin_apis.h"
#include "kafka/broker/config_entries.h"
#include "kafka/protocol/alter_configs.h"
#include "kafka/protocol/describe_configs.h"
#include "kafka/protocol/error_codes.h"

namespace topicfs::kafka {

void AdminApis::HandleAlterConfigs(Answer& answer, ByteReader& in) {
  AlterConfigsRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  AlterConfigsResponse response;
  for (const auto& res : request.resources) {
    AlterConfigsResourceResult& r = response.responses.emplace_back();
    r.resource_type = res.resource_type;
    r.resource_name = std::string(res.resource_name);
    const bool topic = res.resource_type == kResourceTopic;
    if (!topic && !(res.resource_type == kResourceBroker && IsThisBroker(res.resource_name))) {
      r.error_code = error::kInvalidRequest;
      r.error_message = "only topics and this broker have configs";
      continue;
    }
    store::ConfigOverrides defaults = logs_.DefaultOverrides();
    store::ConfigOverrides current;
    if (topic) {
      auto o = logs_.TopicOverrides(res.resource_name);
      if (!o.ok()) {
        r.error_code = error::kUnknownTopicOrPartition;
        r.error_message = o.status().message();
        continue;
      }
      current = std::move(o).value();
    } else {
      current = defaults;
    }
    store::ConfigOverrides next;
    if (auto p = current.find("partitions"); p != current.end()) next.insert(*p);
    store::Status valid;
    for (const auto& c : res.configs) {
      if (!c.value) continue;
      valid = store::ValidateConfigValue(c.name, *c.value);
      if (!valid.ok()) break;
      next[std::string(c.name)] = std::string(*c.value);
    }
    if (valid.ok()) {
      auto resolved = topic ? store::ResolveConfig(defaults, next) : store::ResolveConfig(next, {});
      if (!resolved.ok()) valid = resolved.status();
    }
    if (valid.ok() && !request.validate_only) {
      for (const auto& [name, value] : current) {
        if (next.contains(name)) continue;
        valid = topic ? logs_.RemoveTopicConfig(res.resource_name, name) : logs_.RemoveDefault(name);
        if (!valid.ok()) break;
      }
      for (const auto& [name, value] : next) {
        if (!valid.ok()) break;
        if (auto it = current.find(name); it != current.end() && it->second == value) continue;
        valid = topic ? logs_.SetTopicConfig(res.resource_name, name, value) : logs_.SetDefault(name, value);
      }
      if (valid.ok()) spdlog::info("kafka: AlterConfigs of {} '{}'", topic ? "topic" : "broker", res.resource_name);
    }
    if (!valid.ok()) {
      r.error_code = KafkaErrorForConfig(valid);
      r.error_message = valid.message();
    }
  }
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
