#pragma once
// Kafka's producer state snapshot (<20-digit offset>.snapshot beside the
// segments), as ProducerStateManager writes and reads it, version 1:
// int16 version, uint32 CRC-32C of every byte after the CRC field, int32
// entry count, then per producer 46 bytes (docs/format.md, "Producer
// snapshots"). Knows no log: Log writes and loads the files.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/base/status.h"

namespace topicfs::store {

inline constexpr int16_t kProducerSnapshotVersion = 1;
inline constexpr size_t kProducerSnapshotHeaderSize = 10;  // version, CRC, count
inline constexpr size_t kProducerSnapshotEntrySize = 46;

// One producer's entry: what Kafka keeps of its last batch.
struct ProducerSnapshotEntry {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t last_sequence = -1;
  int64_t last_offset = -1;  // the last batch's last offset
  // last_sequence - first_sequence of the last batch (Kafka's
  // offset_delta: in Kafka's offsets the two deltas are the same number).
  int32_t offset_delta = 0;
  int64_t timestamp = -1;  // the last batch's max timestamp
  int32_t coordinator_epoch = -1;          // no transactions: always -1
  int64_t current_txn_first_offset = -1;   // no transaction open: -1

  bool operator==(const ProducerSnapshotEntry&) const = default;
};

// The file's bytes for these entries, in the order given.
std::string EncodeProducerSnapshot(std::span<const ProducerSnapshotEntry> entries);
// The entries of a snapshot file. kCorruption for a version other than 1,
// a CRC-32C that does not match, a count that disagrees with the size.
Result<std::vector<ProducerSnapshotEntry>> DecodeProducerSnapshot(std::string_view bytes);

}  // namespace topicfs::store
