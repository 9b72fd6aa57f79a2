// FindCoordinator: this node coordinates every group and every
// transactional id (a transactional producer then learns at
// InitProducerId that transactions are not served).

#include "kafka/broker/group_apis.h"
#include "kafka/protocol/find_coordinator.h"

namespace topicfs::kafka {

void GroupApis::HandleFindCoordinator(Answer& answer, ByteReader& in) {
  FindCoordinatorRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  FindCoordinatorResponse response;
  for (std::string_view key : request.keys) {
    response.coordinators.push_back(
        {std::string(key), options_.node_id, options_.host, options_.port, 0, std::nullopt});
  }
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
