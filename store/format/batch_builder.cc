#include "store/format/batch_builder.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "store/base/big_endian.h"
#include "store/base/format.h"
#include "store/base/varint.h"
#include "store/format/batch_header.h"

namespace topicfs::store {
namespace {

using record_internal::WrappingAdd;

int64_t WrappingSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

// ---- Varints on the hot paths ----

inline int VarintSize(int64_t n) { return varint::FastEncodedSize(n); }

// Bytes a length-prefixed field takes: the length varint plus the bytes, or
// the single byte of -1 when the field is null.
inline int64_t FieldSize(std::optional<std::string_view> field) {
  if (!field) return 1;
  return VarintSize(static_cast<int64_t>(field->size())) + static_cast<int64_t>(field->size());
}

inline char* EncodeField(char* p, std::optional<std::string_view> field) {
  if (!field) return varint::Encode(p, -1);
  p = varint::Encode(p, static_cast<int64_t>(field->size()));
  if (!field->empty()) std::memcpy(p, field->data(), field->size());
  return p + field->size();
}

}  // namespace

// ---- BatchBuilder ----
//
// Offsets and timestamps are kept as given; deltas are taken when a record is
// encoded. REQUIRES: Reset before the first Add (a builder never reset acts as
// one reset at offset 0, time 0), and offset - base_offset fits an int32 (in
// topicfs a batch never spans more than max.message.bytes of offsets).

void BatchBuilder::Reset(Offset base_offset, Timestamp base_timestamp) {
  begin_ = 0;
  StartBatch(base_offset, base_timestamp);
}

void BatchBuilder::ResetAfterFinished(Offset base_offset, Timestamp base_timestamp) {
  begin_ = used_;
  StartBatch(base_offset, base_timestamp);
}

void BatchBuilder::StartBatch(Offset base_offset, Timestamp base_timestamp) {
  // Every batch-level setting belongs to one batch: a reused builder starts
  // from Kafka's defaults again.
  // The buffer keeps its size (and capacity) across batches; used_ says how
  // much of it the batches hold, so records are never zero-filled first.
  used_ = begin_ + format::kBatchHeaderSize;
  if (buf_.size() < used_) buf_.resize(std::max(used_, buf_.size() * 2));
  base_offset_ = base_offset;
  last_offset_ = base_offset;
  last_offset_override_.reset();
  base_timestamp_ = base_timestamp;
  max_timestamp_ = kNoTimestamp;
  attributes_ = 0;
  leader_epoch_ = kTopicfsLeaderEpoch;
  producer_id_ = -1;
  producer_epoch_ = -1;
  base_sequence_ = -1;
  count_ = 0;
}

void BatchBuilder::SetProducer(int64_t id, int16_t epoch, int32_t base_sequence) {
  producer_id_ = id;
  producer_epoch_ = epoch;
  base_sequence_ = base_sequence;
}

void BatchBuilder::Add(Offset offset, Timestamp timestamp, const std::optional<std::string_view>& key,
                       const std::optional<std::string_view>& value,
                       std::initializer_list<RecordHeader> headers) {
  int64_t headers_size = 0;
  for (const RecordHeader& h : headers) headers_size += FieldSize(h.key) + FieldSize(h.value);
  char* p = AppendRecordUpToHeaders(offset, timestamp, key, value,
                                    static_cast<int64_t>(headers.size()), headers_size);
  for (const RecordHeader& h : headers) {
    p = EncodeField(p, h.key);
    p = EncodeField(p, h.value);
  }
  assert(p == buf_.data() + used_);
}

void BatchBuilder::AddCopy(const RecordView& record) {
  char* p = AppendRecordUpToHeaders(record.offset, record.timestamp, record.key, record.value,
                                    record.header_count, static_cast<int64_t>(record.headers.size()));
  std::memcpy(p, record.headers.data(), record.headers.size());
  assert(p + record.headers.size() == buf_.data() + used_);
}

void BatchBuilder::AddCopyWithHeader(const RecordView& record, const RecordHeader& extra) {
  const int64_t extra_size = FieldSize(extra.key) + FieldSize(extra.value);
  char* p = AppendRecordUpToHeaders(record.offset, record.timestamp, record.key, record.value,
                                    int64_t{record.header_count} + 1,
                                    static_cast<int64_t>(record.headers.size()) + extra_size);
  std::memcpy(p, record.headers.data(), record.headers.size());
  p = EncodeField(p + record.headers.size(), extra.key);
  p = EncodeField(p, extra.value);
  assert(p == buf_.data() + used_);
}

// Encodes a record up to and including its header count, leaving
// headers_size bytes at the end of the buffer for the caller to fill.
char* BatchBuilder::AppendRecordUpToHeaders(Offset offset, Timestamp timestamp,
                                            const std::optional<std::string_view>& key,
                                            const std::optional<std::string_view>& value,
                                            int64_t header_count, int64_t headers_size) {
  if (used_ < begin_ + format::kBatchHeaderSize) used_ = begin_ + format::kBatchHeaderSize;
  const int64_t offset_delta = offset - base_offset_;
  const int64_t ts_delta = WrappingSub(timestamp.value, base_timestamp_.value);
  assert(offset_delta >= INT32_MIN && offset_delta <= INT32_MAX);
  const int64_t body = 1 + VarintSize(ts_delta) + VarintSize(offset_delta) + FieldSize(key) +
                       FieldSize(value) + VarintSize(header_count) + headers_size;

  const size_t start = used_;
  used_ = start + static_cast<size_t>(VarintSize(body) + body);
  if (buf_.size() < used_) buf_.resize(std::max(used_, buf_.size() * 2));
  char* p = buf_.data() + start;
  p = varint::Encode(p, body);
  *p++ = 0;  // record attributes
  p = varint::Encode(p, ts_delta);
  p = varint::Encode(p, offset_delta);
  p = EncodeField(p, key);
  p = EncodeField(p, value);
  p = varint::Encode(p, header_count);

  last_offset_ = offset;
  if (count_ == 0 || timestamp > max_timestamp_) max_timestamp_ = timestamp;
  ++count_;
  return p;
}

int64_t BatchBuilder::SizeWith(Offset offset, Timestamp timestamp, size_t key_size, bool has_key,
                               size_t value_size, size_t headers_size) const {
  const int64_t offset_delta = offset - base_offset_;
  const int64_t ts_delta = WrappingSub(timestamp.value, base_timestamp_.value);
  const int64_t key_field = has_key ? VarintSize(static_cast<int64_t>(key_size)) +
                                          static_cast<int64_t>(key_size)
                                    : 1;
  // A null value and an empty one both take one byte, so value_size covers
  // tombstones. The header count is taken to fit one byte (< 64 headers).
  const int64_t value_field =
      VarintSize(static_cast<int64_t>(value_size)) + static_cast<int64_t>(value_size);
  const int64_t body = 1 + VarintSize(ts_delta) + VarintSize(offset_delta) + key_field +
                       value_field + 1 + static_cast<int64_t>(headers_size);
  const int64_t current = std::max<int64_t>(size(), format::kBatchHeaderSize);
  return current + VarintSize(body) + body;
}

std::string_view BatchBuilder::Finish() {
  if (used_ < begin_ + format::kBatchHeaderSize) used_ = begin_ + format::kBatchHeaderSize;
  if (buf_.size() < used_) buf_.resize(used_);
  char* p = buf_.data() + begin_;
  const std::string_view batch(p, used_ - begin_);
  const Offset last = last_offset_override_.value_or(last_offset_);
  be::Store<int64_t>(p + format::kBaseOffsetPos, base_offset_.value);
  be::Store<int32_t>(p + format::kLengthPos, static_cast<int32_t>(batch.size() - format::kLogOverhead));
  be::Store<int32_t>(p + format::kLeaderEpochPos, leader_epoch_);
  p[format::kMagicPos] = format::kMagicV2;
  be::Store<int16_t>(p + format::kAttributesPos, attributes_);
  be::Store<int32_t>(p + format::kLastOffsetDeltaPos, static_cast<int32_t>(last - base_offset_));
  be::Store<int64_t>(p + format::kBaseTimestampPos, base_timestamp_.value);
  be::Store<int64_t>(p + format::kMaxTimestampPos, count_ == 0 ? kNoTimestamp.value : max_timestamp_.value);
  be::Store<int64_t>(p + format::kProducerIdPos, producer_id_);
  be::Store<int16_t>(p + format::kProducerEpochPos, producer_epoch_);
  be::Store<int32_t>(p + format::kBaseSequencePos, base_sequence_);
  be::Store<int32_t>(p + format::kRecordsCountPos, count_);
  be::Store<uint32_t>(p + format::kCrcPos, BatchCrc(batch));
  return batch;
}

namespace {

// How far CopyLine may write past a line's newline.
constexpr size_t kCopyLineOverrun = 32;

// Copies the line at src, which has a newline before end, to dst and returns
// its length without the newline. It copies in 32-byte blocks, so it may
// write up to kCopyLineOverrun bytes past the newline into dst; it never
// reads past end. Finding the newline and copying in the same pass reads
// each byte once, where memchr then memcpy would read it twice.
inline size_t CopyLine(const char* src, const char* end, char* dst) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i newline = _mm_set1_epi8('\n');
  for (; src + i + 32 <= end; i += 32) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), a);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 16), b);
    const unsigned found =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(a, newline))) |
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(b, newline))) << 16;
    if (found != 0) return i + static_cast<size_t>(__builtin_ctz(found));
  }
#endif
  // The last few bytes of text, or a machine without SSE2.
  const char* nl = static_cast<const char*>(std::memchr(src + i, '\n', static_cast<size_t>(end - src - i)));
  const size_t size = static_cast<size_t>(nl - src);
  std::memcpy(dst + i, src + i, size - i);
  return size;
}

// The size of a non-negative varint, by comparisons: lines are short, and
// this runs twice per line.
inline int64_t LengthVarintSize(int64_t n) {
  return n < 64 ? 1 : n < 8192 ? 2 : n < (1 << 20) ? 3 : varint::FastEncodedSize(n);
}

// Writes a non-negative varint of `size` bytes (as LengthVarintSize says).
inline char* EncodeLength(char* p, int64_t n, int64_t size) {
  if (size == 1) {
    *p = static_cast<char>(n << 1);
    return p + 1;
  }
  if (size == 2) {
    const uint64_t z = static_cast<uint64_t>(n) << 1;
    p[0] = static_cast<char>(z | 0x80);
    p[1] = static_cast<char>(z >> 7);
    return p + 2;
  }
  return varint::Encode(p, n);
}

}  // namespace

Offset BatchBuilder::AddLines(Offset offset, Timestamp timestamp, std::string_view text, int64_t stop_at) {
  using varint::FastEncodedSize;
  const size_t batch_header = static_cast<size_t>(format::kBatchHeaderSize);
  if (used_ < begin_ + batch_header) used_ = begin_ + batch_header;
  if (text.empty()) return offset;
  if (count_ == 0 || timestamp > max_timestamp_) max_timestamp_ = timestamp;
  // Wrapping, as Add computes it: timestamps may come from anywhere.
  const int64_t ts_delta = static_cast<int64_t>(static_cast<uint64_t>(timestamp.value) -
                                                static_cast<uint64_t>(base_timestamp_.value));
  char ts_bytes[10];
  const int64_t ts_size = varint::Encode(ts_bytes, ts_delta) - ts_bytes;
  // Length, attributes, timestamp and offset deltas, null key, value length.
  constexpr size_t kMaxRecordHeader = 10 + 1 + 10 + 10 + 1 + 10;

  const char* p = text.data();
  const char* const end = p + text.size();
  size_t used = used_;
  int32_t count = count_;
  // The offset delta only grows: its varint size is recomputed when it
  // reaches the next size's range, not per line (and always while negative).
  int64_t offset_delta = offset - base_offset_;
  int64_t off_size = FastEncodedSize(offset_delta);
  int64_t off_limit = off_size >= 9 ? INT64_MAX : (int64_t{1} << (7 * off_size - 1));
  // The record header goes before the value, but its size depends on the
  // value's, known only once the line is copied. The copy starts where the
  // header ended for the last line, which for similar lines is nearly
  // always right; otherwise the value moves.
  int64_t guessed = 0;
  while (p < end) {
    if (count > 0 && static_cast<int64_t>(used - begin_) >= stop_at) break;
    const size_t room = used + kMaxRecordHeader + static_cast<size_t>(end - p) + kCopyLineOverrun;
    if (buf_.size() < room) buf_.resize(std::max(room, buf_.size() * 2));
    if (offset_delta >= off_limit || offset_delta < 0) {
      off_size = FastEncodedSize(offset_delta);
      off_limit = off_size >= 9 ? INT64_MAX : (int64_t{1} << (7 * off_size - 1));
    }
    char* const record = buf_.data() + used;
    const int64_t vsize = static_cast<int64_t>(CopyLine(p, end, record + guessed));
    const int64_t vsize_size = LengthVarintSize(vsize);
    // attributes, timestamp delta, offset delta, null key, value length
    const int64_t fields = 1 + ts_size + off_size + 1 + vsize_size;
    const int64_t body = fields + vsize + 1;  // and the header count
    const int64_t body_size = LengthVarintSize(body);
    const int64_t header = body_size + fields;
    if (header != guessed) std::memmove(record + header, record + guessed, static_cast<size_t>(vsize));
    char* h = EncodeLength(record, body, body_size);
    *h++ = 0;  // record attributes
    if (ts_size == 1) {
      *h++ = ts_bytes[0];
    } else {
      std::memcpy(h, ts_bytes, static_cast<size_t>(ts_size));
      h += ts_size;
    }
    h = varint::Encode(h, offset_delta);
    *h++ = 1;  // -1: null key
    EncodeLength(h, vsize, vsize_size);
    record[header + vsize] = 0;  // no headers
    used += static_cast<size_t>(header + vsize + 1);
    last_offset_ = offset;
    offset += vsize + 1;
    offset_delta += vsize + 1;
    p += vsize + 1;
    guessed = header;
    ++count;
  }
  used_ = used;
  count_ = count;
  return offset;
}

}  // namespace topicfs::store
