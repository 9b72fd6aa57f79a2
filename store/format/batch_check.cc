#include "store/format/batch_check.h"

#include <limits>

#include "store/base/big_endian.h"
#include "store/base/crc32c.h"
#include "store/base/format.h"
#include "store/format/batch_compression.h"
#include "store/format/legacy_batch.h"
#include "store/format/presented_record.h"

namespace topicfs::store {
namespace {

constexpr int64_t kMaxRelativeOffset = std::numeric_limits<int32_t>::max();

}  // namespace

Result<BatchLocation> LocateBatch(const char* data, int64_t size, int64_t pos) {
  // Positions come from index files, which may hold anything after a crash.
  if (pos < 0) return Status::Corruption(fmt::format("negative batch position {}", pos));
  if (size - pos < format::kBatchHeaderSize) {
    return Status::Corruption(
        fmt::format("{} bytes at position {} are too few for a batch header", size - pos, pos));
  }
  auto header = ParseBatchHeader(std::string_view(data + pos, static_cast<size_t>(size - pos)));
  if (!header.ok()) return header.status().Annotate(fmt::format("at position {}", pos));
  if (pos + header->size() > size) {
    return Status::Corruption(fmt::format("batch at position {} of {} bytes runs past the end ({})",
                                          pos, header->size(), size));
  }
  BatchLocation loc;
  loc.position = FilePosition(pos);
  loc.size = header->size();
  loc.base_offset = header->base_offset;
  loc.last_offset = header->last_offset();
  loc.records = header->records_count;
  loc.max_timestamp = header->max_timestamp;
  loc.control = header->is_control();
  loc.transactional = (header->attributes & format::kTransactionalBit) != 0;
  loc.compressed = header->is_compressed();
  loc.producer_id = header->producer_id;
  loc.producer_epoch = header->producer_epoch;
  loc.base_sequence = header->base_sequence;
  return loc;
}

Result<Offset> BatchPresentedEnd(std::string_view batch, const BatchLocation& loc) {
  if (loc.records == 0 || loc.control) return loc.last_offset + 1;
  std::string twin;
  ASSIGN_OR_RETURN(std::string_view records, ReadableBatch(batch, &twin));
  RecordReader reader(records);
  RecordView rec;
  Offset end = loc.last_offset + 1;
  while (reader.Next(&rec)) end = rec.offset + PresentedSize(rec);
  if (!reader.status().ok()) return reader.status();
  return end;
}

bool IsIntactButUnreadable(std::string_view batch) {
  if (batch.size() <= static_cast<size_t>(format::kMagicPos)) return false;
  if (static_cast<int8_t>(batch[format::kMagicPos]) != format::kMagicV2) {
    return IsValidLegacyEntry(batch);
  }
  if (batch.size() < static_cast<size_t>(format::kBatchHeaderSize)) return false;
  uint32_t stored = be::Load<uint32_t>(batch.data() + format::kCrcPos);
  uint32_t actual = crc32c::Value(batch.data() + format::kAttributesPos,
                                  batch.size() - format::kAttributesPos);
  return stored == actual && VerifyBatch(batch).code() == Code::kUnsupported;
}

BatchCheck CheckBatch(std::string_view batch, int64_t pos, Offset previous_end, Offset segment_base) {
  BatchCheck check;
  if (!VerifyBatch(batch).ok()) return check;
  auto loc = LocateBatch(batch.data(), static_cast<int64_t>(batch.size()), 0);
  if (!loc.ok()) return check;
  loc->position = FilePosition(pos);
  check.location = *loc;
  if (loc->last_offset < loc->base_offset || loc->base_offset < segment_base ||
      loc->last_offset - segment_base > kMaxRelativeOffset) {
    return check;  // kDamaged: no batch of this segment says so
  }
  // Records, in order: each where the previous one's presented bytes end,
  // or later. The deltas are covered by the CRC, so a break here is how the
  // batch was written.
  Offset end = loc->base_offset;
  bool follows = true;
  if (loc->records > 0 && !loc->control) {
    // A compressed batch that does not inflate is damaged like one whose
    // records do not parse: the CRC holds, but it cannot be what a
    // producer meant (docs/recovery.md).
    std::string twin;
    auto records = ReadableBatch(batch, &twin);
    if (!records.ok()) return check;
    RecordReader reader(*records);
    RecordView rec;
    while (reader.Next(&rec)) {
      if (rec.offset < end) follows = false;
      end = rec.offset + PresentedSize(rec);
    }
    if (!reader.status().ok()) return check;
  } else {
    end = loc->last_offset + 1;
  }
  check.presented_end = end;
  if (!follows) {
    check.verdict = BatchVerdict::kForeign;
  } else if (loc->base_offset < previous_end) {
    check.verdict = BatchVerdict::kMisplaced;
  } else {
    check.verdict = BatchVerdict::kValid;
  }
  return check;
}

}  // namespace topicfs::store
