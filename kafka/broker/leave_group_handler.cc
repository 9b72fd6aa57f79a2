// LeaveGroup: the members go and the group rebalances. v0-2 name one
// member and answer only the group's error (a member's error, if any,
// becomes it, as Kafka answers old versions).

#include "kafka/broker/group_apis.h"
#include "kafka/protocol/leave_group.h"

namespace topicfs::kafka {

void GroupApis::HandleLeaveGroup(Answer& answer, ByteReader& in) {
  const int16_t version = answer.version();
  LeaveGroupRequest request;
  if (!request.Decode(in, version)) return answer.Refuse(in.error());
  std::vector<store::LeaveGroupMember> members;
  for (const auto& m : request.members) {
    store::LeaveGroupMember& leaving = members.emplace_back();
    leaving.member_id = std::string(m.member_id);
    if (m.group_instance_id) leaving.group_instance_id = std::string(*m.group_instance_id);
  }
  store::LeaveGroupResult result = coordinator_->LeaveGroup(std::string(request.group_id), members);
  LeaveGroupResponse response;
  response.error_code = static_cast<int16_t>(result.error);
  for (auto& m : result.members) {
    response.members.push_back({std::move(m.member_id), std::move(m.group_instance_id),
                                static_cast<int16_t>(m.error)});
  }
  if (version <= 2 && response.error_code == 0 && !response.members.empty()) {
    response.error_code = response.members.front().error_code;
  }
  std::string body;
  response.Encode(&body, version);
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
