// ListGroups: every group the coordinator knows, also those that only
// commit offsets (a `cat 0@group=NAME` group, protocol type "").

#include "kafka/broker/group_apis.h"
#include "kafka/protocol/list_groups.h"

namespace topicfs::kafka {

void GroupApis::HandleListGroups(Answer& answer, ByteReader& in) {
  ListGroupsRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  std::vector<std::string> states(request.states_filter.begin(), request.states_filter.end());
  ListGroupsResponse response;
  for (auto& g : coordinator_->ListGroups(states)) {
    response.groups.push_back({std::move(g.group_id), std::move(g.protocol_type), std::move(g.state)});
  }
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
