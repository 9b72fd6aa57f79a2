#include "kafka/protocol/incremental_alter_configs.h"

namespace topicfs::kafka {

bool IncrementalAlterConfigsRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 1;
  int32_t n = in.ArrayLength(flexible);
  if (n < 0) in.Fail("null IncrementalAlterConfigs resources");
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    Resource& r = resources.emplace_back();
    r.resource_type = in.Int8();
    r.resource_name = in.String(flexible);
    int32_t c = in.ArrayLength(flexible);
    if (c < 0) in.Fail("null IncrementalAlterConfigs configs");
    for (int32_t j = 0; j < c && in.ok(); ++j) {
      Config& config = r.configs.emplace_back();
      config.name = in.String(flexible);
      config.config_operation = in.Int8();
      config.value = in.NullableString(flexible);
      if (flexible) in.SkipTaggedFields();
    }
    if (flexible) in.SkipTaggedFields();
  }
  validate_only = in.Bool();
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

}  // namespace topicfs::kafka
