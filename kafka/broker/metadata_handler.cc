// Metadata: this node is the one broker, the controller, and the leader
// (and only replica) of every partition. A topic asked for that does not
// exist is created with the data directory's defaults when the client
// allows it and auto.create.topics.enable is on (Broker::Options), as
// Kafka's auto-creation does.

#include <spdlog/spdlog.h>

#include "kafka/broker/broker.h"
#include "kafka/protocol/error_codes.h"
#include "kafka/protocol/metadata.h"
#include "store/base/types.h"

namespace topicfs::kafka {

void Broker::HandleMetadata(Call& call, ByteReader& in) {
  const int16_t version = call.header.api_version;
  MetadataRequest request;
  if (!request.Decode(in, version)) return Refuse(call, "Metadata request: " + in.error());

  MetadataResponse response;
  response.brokers.push_back({options_.node_id, options_.advertised_host, options_.advertised_port});
  response.cluster_id = options_.cluster_id;
  response.controller_id = options_.node_id;

  std::vector<std::string> names;
  if (request.topics) {
    names.assign(request.topics->begin(), request.topics->end());
  } else {
    names = logs_->ListTopics();
  }
  for (const std::string& name : names) {
    MetadataResponse::Topic& topic = response.topics.emplace_back();
    topic.name = name;
    topic.is_internal = name.rfind("__", 0) == 0;
    auto count = logs_->PartitionCount(name);
    if (!count.ok() && request.topics && request.allow_auto_topic_creation &&
        options_.auto_create_topics) {
      store::Status created = logs_->CreateTopic(name);
      if (created.ok()) {
        spdlog::info("kafka: created topic {} (auto.create.topics.enable)", name);
      } else if (created.code() != store::Code::kAlreadyExists) {
        spdlog::warn("kafka: could not create topic {}: {}", name, created.message());
        topic.error_code = created.code() == store::Code::kInvalidArgument
                               ? error::kInvalidTopicException
                               : error::kUnknownServerError;
        continue;
      }
      count = logs_->PartitionCount(name);
    }
    if (!count.ok()) {
      topic.error_code = error::kUnknownTopicOrPartition;
      continue;
    }
    for (int32_t p = 0; p < *count; ++p) {
      // The leader epoch is the one topicfs stamps on every batch it writes,
      // so a client's position (the epoch of the last batch it read) never
      // runs ahead of the leader's. OffsetForLeaderEpoch is not listed in
      // ApiVersions, so the Java consumer skips validating positions.
      topic.partitions.push_back({error::kNone, p, options_.node_id,
                                  store::kTopicfsLeaderEpoch, {options_.node_id},
                                  {options_.node_id}});
    }
  }
  std::string body;
  response.Encode(&body, version);
  Reply(call, std::move(body));
}

}  // namespace topicfs::kafka
