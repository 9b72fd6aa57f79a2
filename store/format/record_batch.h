#pragma once
// Kafka RecordBatch v2 (magic 2): the 61-byte header, CRC-32C over
// attributes..end, and varint-framed records. docs/format.md shows the bytes.
// Magic 0/1 and compressed batches are recognised and refused, never misread.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "store/base/format.h"
#include "store/base/status.h"
#include "store/base/types.h"
#include "store/base/varint.h"

namespace topicfs::store {

// The fixed fields of a batch, decoded.
struct BatchHeader {
  Offset base_offset;
  int32_t length = 0;  // bytes after the length field
  int32_t partition_leader_epoch = -1;
  int8_t magic = 2;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  Timestamp base_timestamp;
  Timestamp max_timestamp;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t records_count = 0;

  int64_t size() const { return int64_t{length} + 12; }  // whole batch in bytes
  Offset last_offset() const { return base_offset + last_offset_delta; }
  bool is_control() const { return (attributes & format::kControlBit) != 0; }
  bool log_append_time() const { return (attributes & format::kTimestampTypeBit) != 0; }
  bool has_delete_horizon() const;
};

// Reads the first 17 bytes (offset, length, epoch, magic) of what may be a
// batch of any magic: enough to frame it while scanning a file.
struct BatchFrame {
  Offset base_offset;
  int32_t length = 0;
  int8_t magic = 0;
  int64_t size() const { return int64_t{length} + 12; }
};
// bytes.size() must be >= 17.
BatchFrame PeekFrame(std::string_view bytes);

// Decodes the 61-byte header. Refuses magic != 2 and compressed batches with
// kUnsupported, a length below the v2 header with kCorruption. Does not check
// the CRC (VerifyBatch does).
Result<BatchHeader> ParseBatchHeader(std::string_view bytes);

// Checks a whole batch: size >= 61, length consistent with bytes.size(), magic,
// compression, CRC-32C. The first check a recovering reader makes.
Status VerifyBatch(std::string_view batch);

// One record of a batch, pointing into the batch's bytes.
struct RecordView {
  Offset offset;
  Timestamp timestamp;
  std::optional<std::string_view> key;    // nullopt = null key
  std::optional<std::string_view> value;  // nullopt = tombstone
  std::string_view headers;               // the raw header section
  int32_t header_count = 0;

  // The value of the first header named `name`, nullopt if absent or null.
  std::optional<std::string_view> FindHeader(std::string_view name) const;
};

// Walks the records of one batch whose bytes were verified. Usage:
//   RecordReader r(batch_bytes); RecordView rec;
//   while (r.Next(&rec)) {...}  then check r.status().
class RecordReader {
 public:
  explicit RecordReader(std::string_view batch);
  // Resumes a walk of the same batch bytes at the record `record_position`
  // bytes into the batch, with `remaining` records left: the position() and
  // remaining() an earlier reader reported. Out-of-range values are an
  // error (status()), never a read outside the batch.
  RecordReader(std::string_view batch, int64_t record_position, int32_t remaining);
  bool Next(RecordView* out) {
    if (remaining_ > 0 && NextPlain(out)) return true;
    return NextChecked(out);
  }
  // A sequential read's loop: copies the records from the next one on, each
  // as its value and "\n", into out[0, room) while they are of the shape
  // Next decodes inline (a value, no headers) and fit whole. Stops before
  // the first other record, one that does not fit, or at the batch end,
  // where Next takes over. Returns the bytes copied and sets *end to the
  // offset just past the last record copied (untouched when none). It may
  // write anywhere in out[0, room), not only the bytes it returns.
  int64_t CopyPlainValues(char* out, int64_t room, Offset* end);
  // Skips records whose successor in the batch starts at or before target:
  // such a record ends before target, since a record ends at or before the
  // next one's offset. Reads only lengths and offset deltas; a malformed
  // record stops the skip and is left for Next to report.
  void SkipBefore(Offset target);
  const Status& status() const { return status_; }
  const BatchHeader& header() const { return header_; }
  // Where the next record starts, in bytes from the batch start, and how
  // many records are left: what a resumed reader starts from.
  int64_t position() const { return p_ - begin_; }
  int32_t remaining() const { return remaining_; }

 private:
  // The shape of record topicfs writes (no headers, varints of at most
  // three bytes), decoded inline without a word of error reporting. False,
  // with nothing consumed, for anything else: NextChecked decodes that and
  // says what is wrong with it.
  bool NextPlain(RecordView* out);
  bool NextChecked(RecordView* out);

  BatchHeader header_;
  const char* begin_ = nullptr;
  const char* p_ = nullptr;
  const char* limit_ = nullptr;
  int32_t remaining_ = 0;
  Status status_;
};

namespace record_internal {

// Offsets and timestamps come from disk: a corrupt delta must wrap, not be UB.
inline int64_t WrappingAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

// A varint of at most three bytes (|value| < 2^20, so an int) in [p, limit);
// nullptr if it is longer or runs past limit.
inline const char* DecodeShortVarint(const char* p, const char* limit, int64_t* out) {
  if (p >= limit) return nullptr;
  uint32_t v = static_cast<uint8_t>(p[0]);
  if (v < 0x80) {
    *out = varint::UnZigZag(v);
    return p + 1;
  }
  if (p + 1 >= limit) return nullptr;
  uint32_t b = static_cast<uint8_t>(p[1]);
  v = (v & 0x7f) | (b & 0x7f) << 7;
  if (b < 0x80) {
    *out = varint::UnZigZag(v);
    return p + 2;
  }
  if (p + 2 >= limit) return nullptr;
  b = static_cast<uint8_t>(p[2]);
  if (b >= 0x80) return nullptr;
  *out = varint::UnZigZag(v | b << 14);
  return p + 3;
}

// The fields of a record of the shape topicfs writes (varints of at most
// three bytes, a value, no headers) at [p, limit). False, with *out
// undefined, for any other shape or a record running past limit: the
// checked decoder says what is wrong with it. Next and CopyPlainValues
// both decode through this, so they accept the same records.
struct PlainRecord {
  const char* end;  // just past the record
  int64_t timestamp_delta;
  int64_t offset_delta;
  const char* key;
  int64_t key_size;  // negative: a null key
  const char* value;
  int64_t value_size;
};

inline bool DecodePlainRecord(const char* p, const char* limit, PlainRecord* out) {
  int64_t body_size;
  p = DecodeShortVarint(p, limit, &body_size);
  if (p == nullptr || body_size < 1 || body_size > limit - p) return false;
  const char* const end = p + body_size;
  ++p;  // record attributes
  if ((p = DecodeShortVarint(p, end, &out->timestamp_delta)) == nullptr) return false;
  if ((p = DecodeShortVarint(p, end, &out->offset_delta)) == nullptr) return false;
  if ((p = DecodeShortVarint(p, end, &out->key_size)) == nullptr) return false;
  out->key = p;
  if (out->key_size >= 0) {
    if (out->key_size > end - p) return false;
    p += out->key_size;
  }
  int64_t value_size;
  if ((p = DecodeShortVarint(p, end, &value_size)) == nullptr) return false;
  // A tombstone (null value) or any header goes the checked way.
  if (value_size < 0 || value_size != end - p - 1 || p[value_size] != 0) return false;
  out->value = p;
  out->value_size = value_size;
  out->end = end;
  return true;
}

}  // namespace record_internal

inline bool RecordReader::NextPlain(RecordView* out) {
  record_internal::PlainRecord r;
  if (!record_internal::DecodePlainRecord(p_, limit_, &r)) return false;
  if (r.key_size >= 0) {
    out->key = std::string_view(r.key, static_cast<size_t>(r.key_size));
  } else {
    out->key = std::nullopt;
  }
  out->value = std::string_view(r.value, static_cast<size_t>(r.value_size));
  using record_internal::WrappingAdd;
  out->offset = Offset(WrappingAdd(header_.base_offset.value, r.offset_delta));
  out->timestamp = header_.log_append_time()
                       ? header_.max_timestamp
                       : Timestamp(WrappingAdd(header_.base_timestamp.value, r.timestamp_delta));
  out->headers = std::string_view(r.end, 0);  // empty, but pointing into the batch like any other
  out->header_count = 0;
  p_ = r.end;
  --remaining_;
  return true;
}

// A header to attach to a record when building a batch.
struct RecordHeader {
  std::string_view key;
  std::optional<std::string_view> value;
};

// Builds one uncompressed v2 batch in an owned buffer. Reuse it: Reset keeps
// the buffer's capacity. Records must be added in increasing offset order.
class BatchBuilder {
 public:
  // Starts a batch; records' deltas are relative to these.
  void Reset(Offset base_offset, Timestamp base_timestamp);

  void Add(Offset offset, Timestamp timestamp, const std::optional<std::string_view>& key,
           const std::optional<std::string_view>& value,
           std::initializer_list<RecordHeader> headers = {});

  // Add(offset, timestamp, nullopt, line) without headers for each
  // newline-terminated line of text, the newline left out: the records plain
  // lines become. The first is at `offset`, each next one where its
  // predecessor's newline ends. text must end with a newline. Returns the
  // offset after the last line. One pass finds each newline and copies the
  // line into the batch, as bulk appends add thousands of lines per write.
  Offset AddLines(Offset offset, Timestamp timestamp, std::string_view text);

  // Adds a copy of a record read from another batch (its offset, timestamp,
  // key, value and raw headers), as the cleaner rewrites batches.
  void AddCopy(const RecordView& record);

  // Bytes the batch would take if a record with these sizes were added:
  // what a caller checks against max.message.bytes before Add.
  int64_t SizeWith(Offset offset, Timestamp timestamp, size_t key_size, bool has_key,
                   size_t value_size, size_t headers_size) const;

  // The batch bytes so far, header and CRC filled in. Valid until the next
  // Reset or Add.
  std::string_view Finish();

  // Overrides LastOffsetDelta (Kafka's overrideLastOffset, used by the
  // cleaner to keep a batch's offset span). Call before Finish.
  void SetLastOffset(Offset last) { last_offset_override_ = last; }
  // Sets attribute bits and fields a cleaner rewrite must preserve.
  void SetAttributes(int16_t attributes) { attributes_ = attributes; }
  void SetProducer(int64_t id, int16_t epoch, int32_t base_sequence);

  int32_t records() const { return count_; }
  bool empty() const { return count_ == 0; }
  int64_t size() const { return static_cast<int64_t>(used_); }
  Offset base_offset() const { return base_offset_; }
  Offset last_offset() const { return last_offset_; }
  Timestamp max_timestamp() const { return max_timestamp_; }

 private:
  char* AppendRecordUpToHeaders(Offset offset, Timestamp timestamp,
                                const std::optional<std::string_view>& key,
                                const std::optional<std::string_view>& value, int64_t header_count,
                                int64_t headers_size);

  std::string buf_;
  size_t used_ = 0;  // bytes of buf_ this batch holds
  Offset base_offset_;
  Offset last_offset_;
  std::optional<Offset> last_offset_override_;
  Timestamp base_timestamp_;
  Timestamp max_timestamp_;
  int16_t attributes_ = 0;
  int64_t producer_id_ = -1;
  int16_t producer_epoch_ = -1;
  int32_t base_sequence_ = -1;
  int32_t count_ = 0;
};

}  // namespace topicfs::store
