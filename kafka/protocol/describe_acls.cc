#include "kafka/protocol/describe_acls.h"

#include "kafka/protocol/byte_writer.h"
#include "kafka/protocol/nullable.h"

namespace topicfs::kafka {

bool DescribeAclsRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 2;
  resource_type_filter = in.Int8();
  resource_name_filter = in.NullableString(flexible);
  pattern_type_filter = in.Int8();  // v1+, and v0 is not served
  principal_filter = in.NullableString(flexible);
  host_filter = in.NullableString(flexible);
  operation = in.Int8();
  permission_type = in.Int8();
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void DescribeAclsResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 2;
  w.Int32(throttle_time_ms);
  w.Int16(error_code);
  w.NullableString(AsView(error_message), flexible);
  w.ArrayLength(0, flexible);  // resources
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
