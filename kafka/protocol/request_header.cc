#include "kafka/protocol/request_header.h"

#include "kafka/protocol/api_keys.h"
#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {

bool RequestHeader::Decode(ByteReader& in) {
  api_key = in.Int16();
  api_version = in.Int16();
  correlation_id = in.Int32();
  client_id = in.NullableString(/*compact=*/false);
  if (in.ok() && IsFlexible(api_key, api_version)) in.SkipTaggedFields();
  return in.ok();
}

void EncodeResponseHeader(std::string* out, int16_t api_key, int16_t api_version,
                          int32_t correlation_id) {
  ByteWriter w(out);
  w.Int32(correlation_id);
  if (api_key != static_cast<int16_t>(ApiKey::kApiVersions) && IsFlexible(api_key, api_version)) {
    w.EmptyTaggedFields();
  }
}

}  // namespace topicfs::kafka
