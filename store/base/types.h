#pragma once
// Strong types for the three numbers the store juggles, so that a byte
// position in a .log file cannot be passed where a Kafka offset belongs.
//
//   Offset        a record's Kafka offset, which in topicfs is also the byte
//                 position of the record's first byte in the partition file
//                 as presented to readers ("one coordinate", docs/format.md).
//   FilePosition  a byte position inside one segment's .log file.
//   Timestamp     milliseconds since the Unix epoch (Kafka's CreateTime).

#include <compare>
#include <cstdint>
#include <functional>
#include <limits>

#include <fmt/format.h>

namespace topicfs::store {

template <typename Tag, typename Rep>
struct NamedNumber {
  Rep value = 0;

  constexpr NamedNumber() = default;
  constexpr explicit NamedNumber(Rep v) : value(v) {}

  constexpr auto operator<=>(const NamedNumber&) const = default;

  constexpr NamedNumber operator+(Rep delta) const { return NamedNumber(value + delta); }
  constexpr NamedNumber operator-(Rep delta) const { return NamedNumber(value - delta); }
  constexpr Rep operator-(NamedNumber other) const { return value - other.value; }
  constexpr NamedNumber& operator+=(Rep delta) {
    value += delta;
    return *this;
  }

  static constexpr NamedNumber Max() { return NamedNumber(std::numeric_limits<Rep>::max()); }
};

using Offset = NamedNumber<struct OffsetTag, int64_t>;
using FilePosition = NamedNumber<struct FilePositionTag, int64_t>;
using Timestamp = NamedNumber<struct TimestampTag, int64_t>;

// Kafka's "no timestamp".
inline constexpr Timestamp kNoTimestamp{-1};

// The PartitionLeaderEpoch topicfs stamps on every batch it writes: each
// partition has one leader, never replaced, whose epoch is 0 as a new Kafka
// partition's first leader's is. The listener answers it for every
// partition, and `topicfs export-kafka` writes the leader-epoch-checkpoint
// that matches (docs/format.md, "Record batch").
inline constexpr int32_t kTopicfsLeaderEpoch = 0;

}  // namespace topicfs::store

template <typename Tag, typename Rep>
struct std::hash<topicfs::store::NamedNumber<Tag, Rep>> {
  size_t operator()(const topicfs::store::NamedNumber<Tag, Rep>& n) const noexcept {
    return std::hash<Rep>()(n.value);
  }
};

template <typename Tag, typename Rep>
struct fmt::formatter<topicfs::store::NamedNumber<Tag, Rep>> : fmt::formatter<Rep> {
  auto format(const topicfs::store::NamedNumber<Tag, Rep>& n, format_context& ctx) const {
    return fmt::formatter<Rep>::format(n.value, ctx);
  }
};
