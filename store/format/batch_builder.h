#pragma once
// Building an uncompressed RecordBatch v2 in an owned buffer: records from
// keys and values, from lines of text in one pass, or copied from another
// batch. docs/format.md shows the bytes.

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "store/base/types.h"
#include "store/format/record_reader.h"

namespace topicfs::store {

// A header to attach to a record when building a batch.
struct RecordHeader {
  std::string_view key;
  std::optional<std::string_view> value;
};

// Builds uncompressed v2 batches in an owned buffer: one, or several in a
// row for one write (ResetAfterFinished). Reuse it: Reset keeps the
// buffer's capacity. Records must be added in increasing offset order.
class BatchBuilder {
 public:
  // Starts a batch, dropping any before; records' deltas are relative to
  // these.
  void Reset(Offset base_offset, Timestamp base_timestamp);
  // Starts a batch right after the one just finished, keeping the bytes of
  // every batch since Reset (Finished): an append of several batches
  // writes them as they were built, without gathering them in a copy.
  void ResetAfterFinished(Offset base_offset, Timestamp base_timestamp);
  // The batches finished since Reset, one after the other. Valid until the
  // next Reset, ResetAfterFinished or Add.
  std::string_view Finished() const { return std::string_view(buf_.data(), used_); }
  // Where the current batch starts in Finished().
  int64_t batch_start() const { return static_cast<int64_t>(begin_); }

  void Add(Offset offset, Timestamp timestamp, const std::optional<std::string_view>& key,
           const std::optional<std::string_view>& value,
           std::initializer_list<RecordHeader> headers = {});

  // Add(offset, timestamp, nullopt, line) without headers for each
  // newline-terminated line of text, the newline left out: the records plain
  // lines become. The first is at `offset`, each next one where its
  // predecessor's newline ends. text must end with a newline. Returns the
  // offset after the last line. One pass finds each newline and copies the
  // line into the batch, as bulk appends add thousands of lines per write.
  // With stop_at, a line is added only while the batch is smaller than
  // stop_at bytes (or empty): the lines left out start at the offset
  // returned, that many bytes of text after `offset`.
  Offset AddLines(Offset offset, Timestamp timestamp, std::string_view text,
                  int64_t stop_at = std::numeric_limits<int64_t>::max());

  // Adds a copy of a record read from another batch (its offset, timestamp,
  // key, value and raw headers), as the cleaner rewrites batches.
  void AddCopy(const RecordView& record);
  // The same with one more header after the record's own.
  void AddCopyWithHeader(const RecordView& record, const RecordHeader& extra);

  // Bytes the batch would take if a record with these sizes were added:
  // what a caller checks against max.message.bytes before Add.
  int64_t SizeWith(Offset offset, Timestamp timestamp, size_t key_size, bool has_key,
                   size_t value_size, size_t headers_size) const;

  // The batch bytes so far, header and CRC filled in. Valid until the next
  // Reset, ResetAfterFinished or Add.
  std::string_view Finish();

  // Overrides LastOffsetDelta, which is otherwise the last record's offset
  // delta (Kafka's overrideLastOffset). The log sets it to the batch's
  // presented end - 1, so that a Kafka consumer's next offset after the
  // batch is the log end after it; the cleaner keeps a batch's offset span
  // with it. Call before Finish; at least the last record's offset.
  void SetLastOffset(Offset last) { last_offset_override_ = last; }
  // Sets attribute bits and fields a cleaner rewrite must preserve.
  void SetAttributes(int16_t attributes) { attributes_ = attributes; }
  void SetProducer(int64_t id, int16_t epoch, int32_t base_sequence);
  // PartitionLeaderEpoch is topicfs's (kTopicfsLeaderEpoch, 0)
  // unless set: the cleaner keeps a rewritten batch's own, as Kafka's does.
  void SetPartitionLeaderEpoch(int32_t epoch) { leader_epoch_ = epoch; }

  int32_t records() const { return count_; }
  bool empty() const { return count_ == 0; }
  int64_t size() const { return static_cast<int64_t>(used_ - begin_); }
  Offset base_offset() const { return base_offset_; }
  // The offset of the last record added.
  Offset last_record_offset() const { return last_offset_; }
  // The batch's last offset as Finish writes it: SetLastOffset's, if set.
  Offset last_offset() const { return last_offset_override_.value_or(last_offset_); }
  Timestamp max_timestamp() const { return max_timestamp_; }

 private:
  void StartBatch(Offset base_offset, Timestamp base_timestamp);
  char* AppendRecordUpToHeaders(Offset offset, Timestamp timestamp,
                                const std::optional<std::string_view>& key,
                                const std::optional<std::string_view>& value, int64_t header_count,
                                int64_t headers_size);

  std::string buf_;
  size_t begin_ = 0;  // where this batch starts in buf_ (after those finished before it)
  size_t used_ = 0;   // bytes of buf_ the batches hold
  Offset base_offset_;
  Offset last_offset_;
  std::optional<Offset> last_offset_override_;
  Timestamp base_timestamp_;
  Timestamp max_timestamp_;
  int16_t attributes_ = 0;
  int32_t leader_epoch_ = kTopicfsLeaderEpoch;
  int64_t producer_id_ = -1;
  int16_t producer_epoch_ = -1;
  int32_t base_sequence_ = -1;
  int32_t count_ = 0;
};

}  // namespace topicfs::store
