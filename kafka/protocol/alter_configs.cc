#include "kafka/protocol/alter_configs.h"

#include "kafka/protocol/byte_writer.h"
#include "kafka/protocol/nullable.h"

namespace topicfs::kafka {

bool AlterConfigsRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 2;
  int32_t n = in.ArrayLength(flexible);
  if (n < 0) in.Fail("null AlterConfigs resources");
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    Resource& r = resources.emplace_back();
    r.resource_type = in.Int8();
    r.resource_name = in.String(flexible);
    int32_t c = in.ArrayLength(flexible);
    if (c < 0) in.Fail("null AlterConfigs configs");
    for (int32_t j = 0; j < c && in.ok(); ++j) {
      Config& config = r.configs.emplace_back();
      config.name = in.String(flexible);
      config.value = in.NullableString(flexible);
      if (flexible) in.SkipTaggedFields();
    }
    if (flexible) in.SkipTaggedFields();
  }
  validate_only = in.Bool();
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void EncodeAlterConfigsResults(std::string* out, int32_t throttle_time_ms,
                               const std::vector<AlterConfigsResourceResult>& responses, bool flexible) {
  ByteWriter w(out);
  w.Int32(throttle_time_ms);
  w.ArrayLength(static_cast<int32_t>(responses.size()), flexible);
  for (const auto& r : responses) {
    w.Int16(r.error_code);
    w.NullableString(AsView(r.error_message), flexible);
    w.Int8(r.resource_type);
    w.String(r.resource_name, flexible);
    if (flexible) w.EmptyTaggedFields();
  }
  if (flexible) w.EmptyTaggedFields();
}

void AlterConfigsResponse::Encode(std::string* out, int16_t version) const {
  EncodeAlterConfigsResults(out, throttle_time_ms, responses, version >= 2);
}

}  // namespace topicfs::kafka
