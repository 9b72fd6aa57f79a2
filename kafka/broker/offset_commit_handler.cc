// OffsetCommit: positions go to __consumer_offsets through the
// coordinator, the same records `cat 0@group=NAME` resumes from. The
// answer keeps the request's topic and partition order.

#include <map>

#include "kafka/broker/group_apis.h"
#include "kafka/protocol/offset_commit.h"

namespace topicfs::kafka {

void GroupApis::HandleOffsetCommit(Answer& answer, ByteReader& in) {
  OffsetCommitRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  store::OffsetCommitRequest commit;
  commit.group_id = std::string(request.group_id);
  commit.generation_id = request.generation_id;
  commit.member_id = std::string(request.member_id);
  if (request.group_instance_id) commit.group_instance_id = std::string(*request.group_instance_id);
  for (const auto& t : request.topics) {
    for (const auto& p : t.partitions) {
      store::OffsetCommitPartition& part = commit.partitions.emplace_back();
      part.tp = {std::string(t.name), p.index};
      part.offset = store::Offset(p.committed_offset);
      part.leader_epoch = p.committed_leader_epoch;
      part.metadata = std::string(p.committed_metadata.value_or(""));
    }
  }
  std::map<store::TopicPartition, store::GroupError> errors;
  for (const auto& r : coordinator_->OffsetCommit(commit)) errors[r.tp] = r.error;
  OffsetCommitResponse response;
  for (const auto& t : request.topics) {
    OffsetCommitResponse::Topic& topic = response.topics.emplace_back();
    topic.name = std::string(t.name);
    for (const auto& p : t.partitions) {
      auto it = errors.find({topic.name, p.index});
      topic.partitions.push_back(
          {p.index, static_cast<int16_t>(it == errors.end() ? store::GroupError::kUnknownServerError : it->second)});
    }
  }
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
