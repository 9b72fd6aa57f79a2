#pragma once
// The records of Kafka's internal topic `__consumer_offsets` that hold a
// consumer group's committed position (docs/format.md, "Consumer offsets").
// Key and value are Kafka's non-flexible message encodings: an int16 version
// first, then the fields; strings are int16 length + UTF-8 bytes; integers
// big-endian. A null value (tombstone) forgets the key.
//
// topicfs writes key version 1 and value version 3, as a broker does. It
// reads key versions 0 and 1 and value versions 0 to 4 (4, flexible, is
// what Kafka 4's group coordinator writes); keys of the other
// coordinator record types (2 = group metadata, 3.. = the new protocols)
// decode as "not an offset commit" so a log written by Kafka still loads.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/base/status.h"

namespace topicfs::store::consumer_offsets {

inline constexpr std::string_view kTopic = "__consumer_offsets";
// offsets.topic.num.partitions and offsets.topic.segment.bytes.
inline constexpr int32_t kDefaultPartitions = 50;
inline constexpr int32_t kSegmentBytes = 104'857'600;

inline constexpr int16_t kOffsetCommitKeyVersion = 1;
inline constexpr int16_t kOffsetCommitValueVersion = 3;
// Bytes of a version 3 value with empty metadata.
inline constexpr size_t kValueV3SizeEmptyMetadata = 2 + 8 + 4 + 2 + 8;

// OffsetCommitKey: which group's position in which partition.
struct OffsetCommitKey {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const OffsetCommitKey&) const = default;
};

// OffsetCommitValue, any version 0..4. Fields a version lacks keep their
// defaults (leader_epoch -1, expire_timestamp absent).
struct OffsetCommitValue {
  int16_t version = kOffsetCommitValueVersion;
  int64_t offset = 0;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp = 0;
  std::optional<int64_t> expire_timestamp;  // version 1 only
};

// Key version 1. REQUIRES: group and topic shorter than 32768 bytes.
std::string EncodeKey(const OffsetCommitKey& key);
// Value version 3: offset, leader_epoch, metadata, commit_timestamp (the
// version and expire_timestamp fields are not written). REQUIRES: metadata
// shorter than 32768 bytes.
std::string EncodeValue(const OffsetCommitValue& value);

// nullopt for a well-formed key of another record type (version >= 2);
// kCorruption for a truncated key, a negative version or a negative string
// length. Bytes after the last field are ignored, as Kafka's readers do.
Result<std::optional<OffsetCommitKey>> DecodeKey(std::string_view bytes);
// kUnsupported for a version above 4, kCorruption for a truncated value.
Result<OffsetCommitValue> DecodeValue(std::string_view bytes);

// ---- group metadata (key version 2) ------------------------------------
// A classic group's generation and members, written by the coordinator on
// every completed rebalance and when the group becomes Empty; a tombstone
// when it is deleted. Key: `int16 version = 2 | int16 length + group`.
// Value (GroupMetadataValue, non-flexible versions 0..3): protocol type,
// generation, protocol (nullable), leader (nullable), current state
// timestamp (v2+), then an int32 count of members, each: member id, group
// instance id (v3+, nullable), client id, client host, rebalance timeout
// (v1+), session timeout, subscription and assignment (int32 length +
// bytes).

inline constexpr int16_t kGroupMetadataKeyVersion = 2;
// What Kafka 4 writes (and reads back in every broker since 2.3).
inline constexpr int16_t kGroupMetadataValueVersion = 3;

struct GroupMemberMetadata {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = -1;  // v1+; v0 members take the session timeout
  int32_t session_timeout_ms = 0;
  std::string subscription;  // the selected protocol's metadata
  std::string assignment;
  auto operator<=>(const GroupMemberMetadata&) const = default;
};

struct GroupMetadataValue {
  int16_t version = kGroupMetadataValueVersion;
  std::string protocol_type;
  int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t current_state_timestamp = -1;  // v2+
  std::vector<GroupMemberMetadata> members;
  auto operator<=>(const GroupMetadataValue&) const = default;
};

// Key version 2. REQUIRES: group shorter than 32768 bytes.
std::string EncodeGroupMetadataKey(std::string_view group);
// The group of a group metadata key, nullopt for a key of another record
// type; kCorruption for a truncated one.
Result<std::optional<std::string>> DecodeGroupMetadataKey(std::string_view bytes);
// Value version 3 (value.version is not consulted). REQUIRES: strings
// shorter than 32768 bytes.
std::string EncodeGroupMetadataValue(const GroupMetadataValue& value);
// Versions 0 to 3; kUnsupported above (4 is flexible), kCorruption for a
// truncated value or a negative member count.
Result<GroupMetadataValue> DecodeGroupMetadataValue(std::string_view bytes);

// The partition of __consumer_offsets that holds a group's records:
// Utils.abs(group.hashCode()) % partitions, with Java's String.hashCode
// over the UTF-16 code units of the name decoded from UTF-8. Bytes that
// are not UTF-8 count as U+FFFD, one per maximal ill-formed subpart, as
// Java's decoder replaces them. REQUIRES: partitions > 0.
int32_t PartitionForGroup(std::string_view group, int32_t partitions);
// Java's String.hashCode of the UTF-8 text (exposed for tests).
int32_t JavaStringHashCode(std::string_view utf8);

}  // namespace topicfs::store::consumer_offsets
