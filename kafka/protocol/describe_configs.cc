#include "kafka/protocol/describe_configs.h"

#include "kafka/protocol/byte_writer.h"
#include "kafka/protocol/nullable.h"

namespace topicfs::kafka {

bool DescribeConfigsRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 4;
  int32_t n = in.ArrayLength(flexible);
  if (n < 0) in.Fail("null DescribeConfigs resources");
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    Resource& r = resources.emplace_back();
    r.resource_type = in.Int8();
    r.resource_name = in.String(flexible);
    int32_t k = in.ArrayLength(flexible);
    if (k >= 0) {
      r.configuration_keys.emplace();
      for (int32_t j = 0; j < k && in.ok(); ++j) r.configuration_keys->push_back(in.String(flexible));
    }
    if (flexible) in.SkipTaggedFields();
  }
  if (version >= 1) include_synonyms = in.Bool();
  if (version >= 3) include_documentation = in.Bool();
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void DescribeConfigsResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 4;
  w.Int32(throttle_time_ms);
  w.ArrayLength(static_cast<int32_t>(results.size()), flexible);
  for (const auto& r : results) {
    w.Int16(r.error_code);
    w.NullableString(AsView(r.error_message), flexible);
    w.Int8(r.resource_type);
    w.String(r.resource_name, flexible);
    w.ArrayLength(static_cast<int32_t>(r.configs.size()), flexible);
    for (const auto& c : r.configs) {
      w.String(c.name, flexible);
      w.NullableString(AsView(c.value), flexible);
      w.Bool(c.read_only);
      if (version == 0) w.Bool(c.config_source == kSourceDefault);  // IsDefault
      if (version >= 1) w.Int8(c.config_source);
      w.Bool(c.is_sensitive);
      if (version >= 1) {
        w.ArrayLength(static_cast<int32_t>(c.synonyms.size()), flexible);
        for (const auto& s : c.synonyms) {
          w.String(s.name, flexible);
          w.NullableString(AsView(s.value), flexible);
          w.Int8(s.source);
          if (flexible) w.EmptyTaggedFields();
        }
      }
      if (version >= 3) {
        w.Int8(c.config_type);
        w.NullableString(AsView(c.documentation), flexible);
      }
      if (flexible) w.EmptyTaggedFields();
    }
    if (flexible) w.EmptyTaggedFields();
  }
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
