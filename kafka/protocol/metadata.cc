#include "kafka/protocol/metadata.h"

#include <climits>

#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {

bool MetadataRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 9;
  int32_t n = in.ArrayLength(flexible);
  if (n >= 0) {
    topics.emplace();
    for (int32_t i = 0; i < n && in.ok(); ++i) {
      if (version >= 10) in.ReadUuid();
      // A null name (a topic asked by id, v12) names no topic we know.
      auto name = version >= 10 ? in.NullableString(flexible) : in.String(flexible);
      if (name) topics->push_back(*name);
      if (flexible) in.SkipTaggedFields();
    }
  } else if (version == 0) {
    in.Fail("null topic array in Metadata v0");
  }
  // v0 asks for every topic with an empty array.
  if (version == 0 && topics && topics->empty()) topics.reset();
  if (version >= 4) allow_auto_topic_creation = in.Bool();
  if (version >= 8 && version <= 10) include_cluster_authorized_operations = in.Bool();
  if (version >= 8) include_topic_authorized_operations = in.Bool();
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void MetadataResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 9;
  if (version >= 3) w.Int32(throttle_time_ms);
  w.ArrayLength(static_cast<int32_t>(brokers.size()), flexible);
  for (const auto& b : brokers) {
    w.Int32(b.node_id);
    w.String(b.host, flexible);
    w.Int32(b.port);
    if (version >= 1) w.NullableString(std::nullopt, flexible);  // rack
    if (flexible) w.EmptyTaggedFields();
  }
  if (version >= 2) {
    w.NullableString(cluster_id ? std::optional<std::string_view>(*cluster_id) : std::nullopt,
                     flexible);
  }
  if (version >= 1) w.Int32(controller_id);
  w.ArrayLength(static_cast<int32_t>(topics.size()), flexible);
  for (const auto& t : topics) {
    w.Int16(t.error_code);
    w.String(t.name, flexible);
    if (version >= 10) w.WriteUuid(t.topic_id);
    if (version >= 1) w.Bool(t.is_internal);
    w.ArrayLength(static_cast<int32_t>(t.partitions.size()), flexible);
    for (const auto& p : t.partitions) {
      w.Int16(p.error_code);
      w.Int32(p.partition_index);
      w.Int32(p.leader_id);
      if (version >= 7) w.Int32(p.leader_epoch);
      w.ArrayLength(static_cast<int32_t>(p.replica_nodes.size()), flexible);
      for (int32_t r : p.replica_nodes) w.Int32(r);
      w.ArrayLength(static_cast<int32_t>(p.isr_nodes.size()), flexible);
      for (int32_t r : p.isr_nodes) w.Int32(r);
      if (version >= 5) w.ArrayLength(0, flexible);  // offline replicas
      if (flexible) w.EmptyTaggedFields();
    }
    if (version >= 8) w.Int32(INT32_MIN);  // authorized operations: not computed
    if (flexible) w.EmptyTaggedFields();
  }
  if (version >= 8 && version <= 10) w.Int32(INT32_MIN);
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
