#pragma once
// Kafka's transaction index (<20-digit base>.txnindex beside a segment's
// .log), as its TransactionIndex writes and reads it: back-to-back 34-byte
// AbortedTxn entries, big-endian: int16 version (0), int64 producer id,
// int64 first offset, int64 last offset, int64 last stable offset
// (docs/format.md, "Transaction index"). One entry per ABORT marker of the
// segment, in marker order. Knows no log: LogSegment writes and loads the
// file, Log decides what goes into it.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/base/status.h"
#include "store/base/types.h"

namespace topicfs::store {

inline constexpr int16_t kAbortedTxnVersion = 0;
inline constexpr size_t kAbortedTxnSize = 34;

// One aborted transaction: producer_id's records in [first_offset,
// last_offset] are not presented; last_offset is the ABORT marker's offset.
struct AbortedTxn {
  int64_t producer_id = -1;
  Offset first_offset;
  Offset last_offset;
  Offset last_stable_offset;  // the log's LSO when the marker was written

  bool operator==(const AbortedTxn&) const = default;
};

// The file's bytes for these entries, in the order given.
std::string EncodeAbortedTxns(std::span<const AbortedTxn> entries);
// The entries of a .txnindex of the segment based at segment_base.
// kCorruption, as Kafka's sanityCheck and reader refuse them, for a version
// other than 0 and an entry whose last offset is below the segment's base;
// and for a size that is no multiple of 34 (Kafka reads past a torn last
// entry; topicfs writes the file whole, so a torn one is damage).
Result<std::vector<AbortedTxn>> DecodeAbortedTxns(std::string_view bytes, Offset segment_base);

// What a control record's key says (ControlRecordType: int16 version,
// int16 type): kAbort (0), kCommit (1); nullopt for another type (KRaft's)
// or a key too short to say.
enum class ControlType { kAbort, kCommit };
std::optional<ControlType> ControlTypeOfKey(std::optional<std::string_view> key);

}  // namespace topicfs::store
