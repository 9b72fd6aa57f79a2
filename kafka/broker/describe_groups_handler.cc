// DescribeGroups: state, protocol and members of each group asked; a
// group not known is "Dead" with no error (the versions served are below
// 6, where Kafka answers GROUP_ID_NOT_FOUND).

#include "kafka/broker/group_apis.h"
#include "kafka/protocol/describe_groups.h"

namespace topicfs::kafka {

void GroupApis::HandleDescribeGroups(Answer& answer, ByteReader& in) {
  DescribeGroupsRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  std::vector<std::string> ids(request.groups.begin(), request.groups.end());
  DescribeGroupsResponse response;
  for (auto& g : coordinator_->DescribeGroups(ids, answer.version())) {
    DescribeGroupsResponse::Group& group = response.groups.emplace_back();
    group.error_code = static_cast<int16_t>(g.error);
    group.group_id = std::move(g.group_id);
    group.group_state = std::move(g.state);
    group.protocol_type = std::move(g.protocol_type);
    group.protocol_data = std::move(g.protocol_data);
    for (auto& m : g.members) {
      group.members.push_back({std::move(m.member_id), std::move(m.group_instance_id), std::move(m.client_id),
                               std::move(m.client_host), std::move(m.metadata), std::move(m.assignment)});
    }
  }
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
