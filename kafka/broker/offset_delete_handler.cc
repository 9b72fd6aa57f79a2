// OffsetDelete: forgets a group's positions of some partitions; the
// coordinator refuses (GROUP_SUBSCRIBED_TO_TOPIC) topics its members
// consume.

#include <map>

#include "kafka/broker/group_apis.h"
#include "kafka/protocol/offset_delete.h"

namespace topicfs::kafka {

void GroupApis::HandleOffsetDelete(Answer& answer, ByteReader& in) {
  OffsetDeleteRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  std::vector<store::TopicPartition> partitions;
  for (const auto& t : request.topics) {
    for (int32_t p : t.partitions) partitions.push_back({std::string(t.name), p});
  }
  store::OffsetDeleteResult result = coordinator_->OffsetDelete(std::string(request.group_id), partitions);
  std::map<store::TopicPartition, store::GroupError> errors;
  for (const auto& r : result.partitions) errors[r.tp] = r.error;
  OffsetDeleteResponse response;
  response.error_code = static_cast<int16_t>(result.error);
  if (result.error == store::GroupError::kNone) {
    for (const auto& t : request.topics) {
      OffsetDeleteResponse::Topic& topic = response.topics.emplace_back();
      topic.name = std::string(t.name);
      for (int32_t p : t.partitions) {
        auto it = errors.find({topic.name, p});
        topic.partitions.push_back({p, static_cast<int16_t>(it == errors.end() ? store::GroupError::kNone : it->second)});
      }
    }
  }
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
