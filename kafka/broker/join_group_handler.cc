// JoinGroup: a delayed response. The coordinator answers when the join
// phase completes (every member rejoined, or the rebalance timeout), on
// the thread that completes it; the worker that handled the request is
// free meanwhile, and later requests on the connection are handled, their
// answers held back until this one is written.

#include "kafka/broker/group_apis.h"
#include "kafka/protocol/join_group.h"

namespace topicfs::kafka {

void GroupApis::HandleJoinGroup(AnswerPtr answer, ByteReader& in) {
  const int16_t version = answer->version();
  JoinGroupRequest request;
  if (!request.Decode(in, version)) return answer->Refuse(in.error());
  store::JoinGroupRequest join;
  join.group_id = std::string(request.group_id);
  join.member_id = std::string(request.member_id);
  if (request.group_instance_id) join.group_instance_id = std::string(*request.group_instance_id);
  join.client_id = answer->client_id();
  join.client_host = "/127.0.0.1";
  join.session_timeout_ms = request.session_timeout_ms;
  join.rebalance_timeout_ms = request.rebalance_timeout_ms;
  join.protocol_type = std::string(request.protocol_type);
  for (const auto& p : request.protocols) join.protocols.push_back({std::string(p.name), std::string(p.metadata)});
  join.api_version = version;
  coordinator_->JoinGroup(std::move(join), [answer, version](store::JoinGroupResult result) {
    JoinGroupResponse response;
    response.error_code = static_cast<int16_t>(result.error);
    response.generation_id = result.generation_id;
    response.protocol_type = std::move(result.protocol_type);
    response.protocol_name = std::move(result.protocol_name);
    response.leader = std::move(result.leader);
    response.member_id = std::move(result.member_id);
    for (auto& m : result.members) {
      response.members.push_back({std::move(m.member_id), std::move(m.group_instance_id), std::move(m.metadata)});
    }
    std::string body;
    response.Encode(&body, version);
    answer->Send(std::move(body));
  });
}

}  // namespace topicfs::kafka
