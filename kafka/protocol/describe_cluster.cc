#include "kafka/protocol/describe_cluster.h"

#include <climits>

#include "kafka/protocol/byte_writer.h"
#include "kafka/protocol/nullable.h"

namespace topicfs::kafka {

bool DescribeClusterRequest::Decode(ByteReader& in, int16_t version) {
  include_cluster_authorized_operations = in.Bool();
  if (version >= 1) endpoint_type = in.Int8();
  in.SkipTaggedFields();
  return in.ok();
}

void DescribeClusterResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  w.Int32(throttle_time_ms);
  w.Int16(error_code);
  w.NullableString(AsView(error_message), true);
  if (version >= 1) w.Int8(endpoint_type);
  w.String(cluster_id, true);
  w.Int32(controller_id);
  w.ArrayLength(static_cast<int32_t>(brokers.size()), true);
  for (const auto& b : brokers) {
    w.Int32(b.broker_id);
    w.String(b.host, true);
    w.Int32(b.port);
    w.NullableString(std::nullopt, true);  // rack
    w.EmptyTaggedFields();
  }
  w.Int32(INT32_MIN);  // authorized operations: not computed
  w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
