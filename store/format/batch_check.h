#pragma once
// What the bytes at a position of a .log are: a batch and where it sits,
// where its presented bytes end, and whether it is a batch topicfs wrote
// (intact, and its offsets following the byte-position rule). Segment
// reads, the tail load and recovery (store/log/log_segment*.cc) share these so
// that they agree on what a valid batch is.

#include <cstdint>
#include <string_view>

#include "store/format/record_reader.h"
#include "store/base/status.h"
#include "store/base/types.h"

namespace topicfs::store {

// Where a batch sits in a segment, from its header alone.
struct BatchLocation {
  FilePosition position;
  int64_t size = 0;
  Offset base_offset;
  Offset last_offset;
  int32_t records = 0;
  Timestamp max_timestamp;
  bool control = false;
  // Part of a transaction (a marker, or records an ABORT may hide:
  // store/log/aborted_transactions.h).
  bool transactional = false;
  bool compressed = false;  // its records go through ReadableBatch
  // The idempotent producer that wrote it (-1: none), for producer state.
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
};

// Reads the header of the batch at pos of data[0, size). kCorruption for
// too few bytes, a batch running past size or a malformed header; the
// message leaves the file's name to the caller.
Result<BatchLocation> LocateBatch(const char* data, int64_t size, int64_t pos);

// The position after the last presented byte of a batch: its last record's
// offset plus that record's presented size. An empty batch (kept by the
// cleaner to remember its offsets) or a control batch ends after its last
// offset.
Result<Offset> BatchPresentedEnd(std::string_view batch, const BatchLocation& loc);

// A batch with a matching checksum in a format topicfs refuses to decode:
// magic 0/1 (CRC-32).
bool IsIntactButUnreadable(std::string_view batch);

// What a recovering walk makes of a framed batch.
enum class BatchVerdict {
  kValid,    // intact, records parse, offsets follow the rule
  kDamaged,  // size, CRC-32C or records wrong: not what was written
  kMisplaced,  // intact, but it starts before the previous batch ended: a
               // damaged base offset (not covered by the CRC), or another
               // Kafka's consecutive offsets
  kForeign,  // intact, but its own records break the rule: another Kafka's data
};
struct BatchCheck {
  BatchVerdict verdict = BatchVerdict::kDamaged;
  BatchLocation location;
  Offset presented_end;  // for kValid and kMisplaced
};
// Checks the batch `batch` (exactly one framed batch) found at pos, whose
// predecessor's presented bytes end at `previous_end`, in a segment based
// at `segment_base`. The rule: every record starts at or after the end of
// the presented bytes of the record before it (equal, unless compaction
// removed records in between), and the batch's offsets fit the segment's
// int32 relative offsets.
BatchCheck CheckBatch(std::string_view batch, int64_t pos, Offset previous_end, Offset segment_base);

}  // namespace topicfs::store
