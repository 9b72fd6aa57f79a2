// SyncGroup: a delayed response, like JoinGroup: a follower waits for the
// leader's assignment (or the sync timeout).

#include "kafka/broker/group_apis.h"
#include "kafka/protocol/sync_group.h"

namespace topicfs::kafka {

void GroupApis::HandleSyncGroup(AnswerPtr answer, ByteReader& in) {
  const int16_t version = answer->version();
  SyncGroupRequest request;
  if (!request.Decode(in, version)) return answer->Refuse(in.error());
  store::SyncGroupRequest sync;
  sync.group_id = std::string(request.group_id);
  sync.generation_id = request.generation_id;
  sync.member_id = std::string(request.member_id);
  if (request.group_instance_id) sync.group_instance_id = std::string(*request.group_instance_id);
  if (request.protocol_type) sync.protocol_type = std::string(*request.protocol_type);
  if (request.protocol_name) sync.protocol_name = std::string(*request.protocol_name);
  for (const auto& a : request.assignments) {
    sync.assignments.push_back({std::string(a.member_id), std::string(a.assignment)});
  }
  coordinator_->SyncGroup(std::move(sync), [answer, version](store::SyncGroupResult result) {
    SyncGroupResponse response;
    response.error_code = static_cast<int16_t>(result.error);
    response.protocol_type = std::move(result.protocol_type);
    response.protocol_name = std::move(result.protocol_name);
    response.assignment = std::move(result.assignment);
    std::string body;
    response.Encode(&body, version);
    answer->Send(std::move(body));
  });
}

}  // namespace topicfs::kafka
