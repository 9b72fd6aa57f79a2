// DescribeCluster: one broker, this node, also the controller. Asked for
// controllers (endpoint type 2), it answers UNSUPPORTED_ENDPOINT_TYPE's
// neighbour INVALID_REQUEST: no controller listener exists.

#include "kafka/broker/admin_apis.h"
#include "kafka/protocol/describe_cluster.h"
#include "kafka/protocol/error_codes.h"

namespace topicfs::kafka {

void AdminApis::HandleDescribeCluster(Answer& answer, ByteReader& in) {
  DescribeClusterRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  DescribeClusterResponse response;
  response.endpoint_type = request.endpoint_type;
  response.cluster_id = options_.cluster_id;
  response.controller_id = options_.node_id;
  if (request.endpoint_type != 1) {
    response.error_code = error::kInvalidRequest;
    response.error_message = "only broker endpoints are served";
  } else {
    response.brokers.push_back({options_.node_id, options_.host, options_.port});
  }
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
