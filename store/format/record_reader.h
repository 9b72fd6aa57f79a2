#pragma once
// The records of a RecordBatch v2: a view of one record, and the reader
// that walks a batch's records, with the fast paths of a sequential read.
// docs/format.md shows the bytes.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "store/base/status.h"
#include "store/base/types.h"
#include "store/base/varint.h"
#include "store/format/batch_header.h"

namespace topicfs::store {

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
  // Whether a header named `name` is there, null or not.
  bool HasHeader(std::string_view name) const;
};

// Walks the records of one uncompressed batch (or a compressed one's
// inflated twin, store/format/batch_compression.h) whose bytes were
// verified. Usage:
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
  // Bytes of the batch from the next record to its end.
  int64_t bytes_left() const { return limit_ - p_; }

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

}  // namespace topicfs::store
