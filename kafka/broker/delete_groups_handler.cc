// DeleteGroups: empty groups go, with their offsets (tombstones in
// __consumer_offsets); NON_EMPTY_GROUP for a group with members.

#include "kafka/broker/group_apis.h"
#include "kafka/protocol/delete_groups.h"

namespace topicfs::kafka {

void GroupApis::HandleDeleteGroups(Answer& answer, ByteReader& in) {
  DeleteGroupsRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  std::vector<std::string> ids(request.groups_names.begin(), request.groups_names.end());
  DeleteGroupsResponse response;
  for (auto& r : coordinator_->DeleteGroups(ids)) {
    response.results.push_back({std::move(r.group_id), static_cast<int16_t>(r.error)});
  }
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
