// IncrementalAlterConfigs: SET is setfattr, DELETE setfattr -x (a name not
// set is no error, as in Kafka), APPEND and SUBTRACT edit a list value
// (cleanup.policy) from its current value. The resource's changes are
// validated together first, so a refused request changes nothing.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

#include "kafka/broker/admin_apis.h"
#include "kafka/broker/config_entries.h"
#include "kafka/protocol/describe_configs.h"
#include "kafka/protocol/error_codes.h"
#include "kafka/protocol/incremental_alter_configs.h"

namespace topicfs::kafka {

namespace {

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> items;
  std::stringstream in{std::string(text)};
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

}  // namespace

void AdminApis::HandleIncrementalAlterConfigs(Answer& answer, ByteReader& in) {
  IncrementalAlterConfigsRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  IncrementalAlterConfigsResponse response;
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
    store::Result<store::LogConfig> config = store::Status::NotFound("");
    if (topic) {
      auto o = logs_.TopicOverrides(res.resource_name);
      if (!o.ok()) {
        r.error_code = error::kUnknownTopicOrPartition;
        r.error_message = o.status().message();
        continue;
      }
      current = std::move(o).value();
      config = logs_.TopicConfig(res.resource_name);
    } else {
      current = defaults;
      config = store::ResolveConfig(defaults, {});
    }
    store::Status valid = config.status();
    store::ConfigOverrides next = current;
    for (const auto& c : res.configs) {
      if (!valid.ok()) break;
      std::string name(c.name);
      if (!store::IsConfigName(name)) {
        valid = store::Status::InvalidArgument(fmt::format("unknown config '{}'", name));
        break;
      }
      switch (c.config_operation) {
        case kOpSet:
          if (!c.value) {
            valid = store::Status::InvalidArgument(fmt::format("SET of '{}' without a value", name));
          } else {
            next[name] = std::string(*c.value);
          }
          break;
        case kOpDelete:
          next.erase(name);
          break;
        case kOpAppend:
        case kOpSubtract: {
          if (name != "cleanup.policy") {
            valid = store::Status::InvalidArgument(fmt::format("'{}' is not a list", name));
            break;
          }
          auto items = SplitList(store::ConfigValueText(*config, name));
          for (const auto& v : SplitList(c.value.value_or(""))) {
            auto at = std::find(items.begin(), items.end(), v);
            if (c.config_operation == kOpAppend && at == items.end()) items.push_back(v);
            if (c.config_operation == kOpSubtract && at != items.end()) items.erase(at);
          }
          next[name] = JoinList(items);
          break;
        }
        default:
          valid = store::Status::InvalidArgument(fmt::format("config operation {}", c.config_operation));
      }
    }
    for (const auto& [name, value] : next) {
      if (!valid.ok()) break;
      valid = store::ValidateConfigValue(name, value);
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
      if (valid.ok()) {
        spdlog::info("kafka: IncrementalAlterConfigs of {} '{}'", topic ? "topic" : "broker", res.resource_name);
      }
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
