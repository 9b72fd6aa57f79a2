// OffsetFetch: a group's committed positions, -1 where it has none; a
// null topic list (v2+) answers every position the group has. v8+ asks
// for several groups and is answered per group.

#include <map>

#include "kafka/broker/group_apis.h"
#include "kafka/protocol/offset_fetch.h"

namespace topicfs::kafka {

void GroupApis::HandleOffsetFetch(Answer& answer, ByteReader& in) {
  OffsetFetchRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  OffsetFetchResponse response;
  for (const auto& g : request.groups) {
    std::optional<std::vector<store::TopicPartition>> asked;
    if (g.topics) {
      asked.emplace();
      for (const auto& t : *g.topics) {
        for (int32_t p : t.partition_indexes) asked->push_back({std::string(t.name), p});
      }
    }
    store::OffsetFetchResult result = coordinator_->OffsetFetch(std::string(g.group_id), asked);
    OffsetFetchResponse::Group& group = response.groups.emplace_back();
    group.group_id = std::string(g.group_id);
    group.error_code = static_cast<int16_t>(result.error);
    // Topics in the order first met, partitions in the order answered.
    std::map<std::string, size_t> topic_index;
    for (auto& p : result.partitions) {
      auto [it, added] = topic_index.emplace(p.tp.topic, group.topics.size());
      if (added) group.topics.push_back({p.tp.topic, {}});
      OffsetFetchResponse::Partition& part = group.topics[it->second].partitions.emplace_back();
      part.index = p.tp.partition;
      part.committed_offset = p.offset;
      part.committed_leader_epoch = p.leader_epoch;
      part.metadata = std::move(p.metadata);
      part.error_code = static_cast<int16_t>(p.error);
    }
  }
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
