#include "store/format/record_reader.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "store/base/big_endian.h"
#include "store/base/format.h"
#include "store/base/varint.h"

namespace topicfs::store {
namespace {

using record_internal::WrappingAdd;

// Most varints in a record are one byte; skip the general loop for those.
inline const char* ReadInt(const char* p, const char* limit, int64_t* out) {
  if (p < limit && (static_cast<uint8_t>(*p) & 0x80) == 0) {
    *out = varint::UnZigZag(static_cast<uint8_t>(*p));
    return p + 1;
  }
  return varint::DecodeInt(p, limit, out);
}
inline const char* ReadLong(const char* p, const char* limit, int64_t* out) {
  if (p < limit && (static_cast<uint8_t>(*p) & 0x80) == 0) {
    *out = varint::UnZigZag(static_cast<uint8_t>(*p));
    return p + 1;
  }
  return varint::DecodeLong(p, limit, out);
}

// Reads a length-prefixed byte field ending no later than limit. A negative
// length is null, as Kafka reads it. Returns nullptr if malformed.
const char* ReadField(const char* p, const char* limit, std::optional<std::string_view>* out) {
  int64_t len;
  p = ReadInt(p, limit, &len);
  if (p == nullptr) return nullptr;
  if (len < 0) {
    *out = std::nullopt;
    return p;
  }
  if (len > limit - p) return nullptr;
  *out = std::string_view(p, static_cast<size_t>(len));
  return p + len;
}

// Walks one header within [p, limit); the key must not be null.
const char* ReadHeader(const char* p, const char* limit, std::string_view* key,
                       std::optional<std::string_view>* value) {
  std::optional<std::string_view> k;
  p = ReadField(p, limit, &k);
  if (p == nullptr || !k) return nullptr;
  *key = *k;
  return ReadField(p, limit, value);
}

}  // namespace

// ---- RecordView ----

namespace {

// Looks for the first header named `name`: true and its value (nullopt if
// null) in *value when found.
bool LookUpHeader(const RecordView& r, std::string_view name, std::optional<std::string_view>* value) {
  const char* p = r.headers.data();
  const char* limit = p + r.headers.size();
  for (int32_t i = 0; i < r.header_count; ++i) {
    std::string_view header_key;
    p = ReadHeader(p, limit, &header_key, value);
    if (p == nullptr) return false;
    if (header_key == name) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string_view> RecordView::FindHeader(std::string_view name) const {
  std::optional<std::string_view> found;
  return LookUpHeader(*this, name, &found) ? found : std::nullopt;
}

bool RecordView::HasHeader(std::string_view name) const {
  std::optional<std::string_view> found;
  return LookUpHeader(*this, name, &found);
}

// ---- RecordReader ----

RecordReader::RecordReader(std::string_view batch) {
  auto header = ParseBatchHeader(batch);
  if (!header.ok()) {
    status_ = header.status();
    return;
  }
  header_ = *header;
  if (header_.is_compressed()) {
    // Its records section is compressed bytes: walking it as records
    // would misread them.
    status_ = Status::InvalidArgument(fmt::format(
        "batch at offset {} is compressed: its records are read through ReadableBatch", header_.base_offset));
    return;
  }
  if (static_cast<uint64_t>(header_.size()) != batch.size()) {
    status_ = Status::Corruption(fmt::format("batch at offset {} declares {} bytes but {} are present",
                                             header_.base_offset, header_.size(), batch.size()));
    return;
  }
  begin_ = batch.data();
  p_ = batch.data() + format::kBatchHeaderSize;
  limit_ = batch.data() + batch.size();
  remaining_ = header_.records_count;
}

RecordReader::RecordReader(std::string_view batch, int64_t record_position, int32_t remaining)
    : RecordReader(batch) {
  if (!status_.ok()) return;
  if (record_position < format::kBatchHeaderSize || record_position > limit_ - begin_ ||
      remaining < 0 || remaining > header_.records_count) {
    status_ = Status::InvalidArgument(fmt::format(
        "batch at offset {}: no record to resume at position {} with {} left", header_.base_offset,
        record_position, remaining));
    remaining_ = 0;
    p_ = limit_;
    return;
  }
  p_ = begin_ + record_position;
  remaining_ = remaining;
}

bool RecordReader::NextChecked(RecordView* out) {
  if (remaining_ == 0) {
    if (p_ != limit_ && status_.ok()) {
      status_ = Status::Corruption(
          fmt::format("batch at offset {}: {} bytes left after its {} records", header_.base_offset,
                      limit_ - p_, header_.records_count));
    }
    return false;
  }
  // Any failure below ends the walk; the message says which field broke.
  auto fail = [this](std::string_view what) {
    status_ = Status::Corruption(fmt::format("batch at offset {}, record {}: {}", header_.base_offset,
                                             header_.records_count - remaining_, what));
    remaining_ = 0;
    p_ = limit_;
    return false;
  };

  int64_t body_size;
  const char* p = ReadInt(p_, limit_, &body_size);
  if (p == nullptr) return fail(p_ == limit_ ? "batch ends before its declared record count" :
                                               "bad record length varint");
  if (body_size < 0 || body_size > limit_ - p) return fail("record length runs past the batch");
  const char* end = p + body_size;

  if (p == end) return fail("record has no attributes byte");
  ++p;  // record attributes: unused by every Kafka version so far

  int64_t ts_delta, offset_delta, header_count;
  if ((p = ReadLong(p, end, &ts_delta)) == nullptr) return fail("bad timestamp delta");
  if ((p = ReadInt(p, end, &offset_delta)) == nullptr) return fail("bad offset delta");
  if ((p = ReadField(p, end, &out->key)) == nullptr) return fail("bad key");
  if ((p = ReadField(p, end, &out->value)) == nullptr) return fail("bad value");
  if ((p = ReadInt(p, end, &header_count)) == nullptr) return fail("bad header count");
  if (header_count < 0 || header_count > end - p) return fail("impossible header count");

  const char* headers_start = p;
  for (int64_t i = 0; i < header_count; ++i) {
    std::string_view key;
    std::optional<std::string_view> value;
    if ((p = ReadHeader(p, end, &key, &value)) == nullptr) return fail("bad header");
  }
  if (p != end) return fail("record length disagrees with its fields");

  out->offset = Offset(WrappingAdd(header_.base_offset.value, offset_delta));
  out->timestamp = header_.log_append_time()
                       ? header_.max_timestamp
                       : Timestamp(WrappingAdd(header_.base_timestamp.value, ts_delta));
  out->headers = std::string_view(headers_start, static_cast<size_t>(end - headers_start));
  out->header_count = static_cast<int32_t>(header_count);
  p_ = end;
  --remaining_;
  return true;
}

namespace {

// Copies a value in 32-byte blocks when whole blocks stay inside both the
// batch and the output: a line's copy is a few vector moves instead of a
// call. What lands past the value is overwritten by what follows it.
inline void CopyValue(char* dst, const char* src, size_t n, const char* src_limit,
                      const char* dst_limit) {
#if defined(__SSE2__)
  const size_t blocks = (n + 31) & ~size_t{31};
  if (blocks <= static_cast<size_t>(src_limit - src) && blocks <= static_cast<size_t>(dst_limit - dst)) {
    for (size_t i = 0; i < n; i += 32) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), a);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 16), b);
    }
    return;
  }
#endif
  std::memcpy(dst, src, n);
}

}  // namespace

int64_t RecordReader::CopyPlainValues(char* out, int64_t room, Offset* end_offset) {
  // Locals, not members: stores through `out` could alias the members, and
  // the loop would reload them for every record.
  const char* next = p_;
  const char* const limit = limit_;
  int32_t remaining = remaining_;
  int64_t copied = 0;
  int64_t last_end = 0;
  record_internal::PlainRecord r;
  while (remaining > 0) {
    // A segment read once is read from memory, through pages the read maps
    // as it goes, where the hardware prefetcher keeps restarting. Asking
    // 2 KiB ahead took a 1 GiB read from 36 to 28 us per 128 KiB (fresh
    // mapping, docs/fs-benchmark.md). A prefetch past the mapping does not
    // fault; the address is formed as an integer, never as a pointer past it.
    __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(next) + 2048));
    if (!record_internal::DecodePlainRecord(next, limit, &r)) break;
    if (r.value_size + 1 > room - copied) break;
    CopyValue(out + copied, r.value, static_cast<size_t>(r.value_size), limit, out + room);
    out[copied + r.value_size] = '\n';
    copied += r.value_size + 1;
    last_end = WrappingAdd(r.offset_delta, r.value_size + 1);
    next = r.end;
    --remaining;
  }
  if (copied > 0) *end_offset = Offset(WrappingAdd(header_.base_offset.value, last_end));
  p_ = next;
  remaining_ = remaining;
  return copied;
}

void RecordReader::SkipBefore(Offset target) {
  if (!status_.ok()) return;
  while (remaining_ > 1) {
    int64_t body_size;
    const char* body = ReadInt(p_, limit_, &body_size);
    if (body == nullptr || body_size < 0 || body_size > limit_ - body) return;
    const char* next = body + body_size;
    int64_t next_size;
    const char* q = ReadInt(next, limit_, &next_size);
    if (q == nullptr || next_size < 1 || next_size > limit_ - q) return;
    const char* next_end = q + next_size;
    ++q;  // attributes
    int64_t ts_delta, offset_delta;
    if ((q = ReadLong(q, next_end, &ts_delta)) == nullptr) return;
    if ((q = ReadInt(q, next_end, &offset_delta)) == nullptr) return;
    if (WrappingAdd(header_.base_offset.value, offset_delta) > target.value) return;
    p_ = next;
    --remaining_;
  }
}

}  // namespace topicfs::store
