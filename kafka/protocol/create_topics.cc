#include "kafka/protocol/create_topics.h"

#include "kafka/protocol/byte_writer.h"
#include "kafka/protocol/nullable.h"

namespace topicfs::kafka {

bool CreateTopicsRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 5;
  int32_t n = in.ArrayLength(flexible);
  if (n < 0) in.Fail("null CreateTopics topics");
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    Topic& t = topics.emplace_back();
    t.name = in.String(flexible);
    t.num_partitions = in.Int32();
    t.replication_factor = in.Int16();
    int32_t a = in.ArrayLength(flexible);
    if (a < 0) in.Fail("null CreateTopics assignments");
    t.assignments = a;
    for (int32_t j = 0; j < a && in.ok(); ++j) {
      in.Int32();  // PartitionIndex
      int32_t b = in.ArrayLength(flexible);
      if (b < 0) in.Fail("null CreateTopics broker ids");
      for (int32_t k = 0; k < b && in.ok(); ++k) in.Int32();
      if (flexible) in.SkipTaggedFields();
    }
    int32_t c = in.ArrayLength(flexible);
    if (c < 0) in.Fail("null CreateTopics configs");
    for (int32_t j = 0; j < c && in.ok(); ++j) {
      Config& config = t.configs.emplace_back();
      config.name = in.String(flexible);
      config.value = in.NullableString(flexible);
      if (flexible) in.SkipTaggedFields();
    }
    if (flexible) in.SkipTaggedFields();
  }
  timeout_ms = in.Int32();
  if (version >= 1) validate_only = in.Bool();
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void CreateTopicsResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 5;
  if (version >= 2) w.Int32(throttle_time_ms);
  w.ArrayLength(static_cast<int32_t>(topics.size()), flexible);
  for (const auto& t : topics) {
    w.String(t.name, flexible);
    if (version >= 7) w.WriteUuid(t.topic_id);
    w.Int16(t.error_code);
    if (version >= 1) w.NullableString(AsView(t.error_message), flexible);
    if (version >= 5) {
      w.Int32(t.num_partitions);
      w.Int16(t.replication_factor);
      if (!t.configs) {
        w.ArrayLength(-1, flexible);
      } else {
        w.ArrayLength(static_cast<int32_t>(t.configs->size()), flexible);
        for (const auto& c : *t.configs) {
          w.String(c.name, flexible);
          w.NullableString(AsView(c.value), flexible);
          w.Bool(c.read_only);
          w.Int8(c.config_source);
          w.Bool(c.is_sensitive);
          w.EmptyTaggedFields();
        }
      }
    }
    if (flexible) w.EmptyTaggedFields();
  }
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
