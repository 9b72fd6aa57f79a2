// Heartbeat: keeps a member's session; REBALANCE_IN_PROGRESS tells it to
// rejoin.

#include "kafka/broker/group_apis.h"
#include "kafka/protocol/heartbeat.h"

namespace topicfs::kafka {

void GroupApis::HandleHeartbeat(Answer& answer, ByteReader& in) {
  HeartbeatRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  store::HeartbeatRequest beat;
  beat.group_id = std::string(request.group_id);
  beat.generation_id = request.generation_id;
  beat.member_id = std::string(request.member_id);
  if (request.group_instance_id) beat.group_instance_id = std::string(*request.group_instance_id);
  HeartbeatResponse response;
  response.error_code = static_cast<int16_t>(coordinator_->Heartbeat(beat));
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
