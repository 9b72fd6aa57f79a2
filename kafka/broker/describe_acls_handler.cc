// DescribeAcls: topicfs has no authorizer and no ACLs (no authentication
// yet), so every filter matches nothing: an empty answer, which a client
// that copies ACLs between clusters (MirrorMaker 2's topic ACL sync) takes
// as "nothing to copy". A Kafka broker without an authorizer answers
// SECURITY_DISABLED instead; an empty list says the same without an error
// in the client's log every refresh.

#include "kafka/broker/admin_apis.h"
#include "kafka/protocol/describe_acls.h"

namespace topicfs::kafka {

void AdminApis::HandleDescribeAcls(Answer& answer, ByteReader& in) {
  DescribeAclsRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  DescribeAclsResponse response;
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
