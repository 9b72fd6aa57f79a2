#include "store/format/batch_header.h"

#include "store/base/big_endian.h"
#include "store/base/crc32c.h"

namespace topicfs::store {
namespace {

// A batch's length field may not be smaller than its own v2 header.
constexpr int32_t kMinV2Length = format::kBatchHeaderSize - format::kLogOverhead;

}  // namespace

uint32_t BatchCrc(std::string_view batch) {
  return crc32c::Value(batch.data() + format::kAttributesPos,
                       batch.size() - format::kAttributesPos);
}

bool BatchHeader::has_delete_horizon() const {
  return (attributes & format::kDeleteHorizonBit) != 0;
}

BatchFrame PeekFrame(std::string_view bytes) {
  const char* p = bytes.data();
  BatchFrame f;
  f.base_offset = Offset(be::Load<int64_t>(p + format::kBaseOffsetPos));
  f.length = be::Load<int32_t>(p + format::kLengthPos);
  f.magic = static_cast<int8_t>(p[format::kMagicPos]);
  return f;
}

Result<BatchHeader> ParseBatchHeader(std::string_view bytes) {
  if (bytes.size() < static_cast<size_t>(format::kHeaderSizeUpToMagic)) {
    return Status::Corruption(fmt::format("batch truncated: {} bytes, not even a frame", bytes.size()));
  }
  // Magic first: a legacy message set is shorter than a v2 header and must be
  // reported as what it is, not as a short v2 batch.
  BatchFrame frame = PeekFrame(bytes);
  if (frame.magic == 0 || frame.magic == 1) {
    return Status::Unsupported(fmt::format(
        "magic {} batch (legacy message format) at offset {} is not supported", frame.magic,
        frame.base_offset));
  }
  if (frame.magic != format::kMagicV2) {
    return Status::Unsupported(
        fmt::format("magic {} batch (unknown format) at offset {}", frame.magic, frame.base_offset));
  }
  if (frame.length < kMinV2Length) {
    return Status::Corruption(fmt::format("batch at offset {} has length {}, below the {} of a header",
                                          frame.base_offset, frame.length, kMinV2Length));
  }
  if (bytes.size() < static_cast<size_t>(format::kBatchHeaderSize)) {
    return Status::Corruption(
        fmt::format("batch at offset {} truncated inside its header ({} bytes)", frame.base_offset,
                    bytes.size()));
  }

  const char* p = bytes.data();
  BatchHeader h;
  h.base_offset = frame.base_offset;
  h.length = frame.length;
  h.partition_leader_epoch = be::Load<int32_t>(p + format::kLeaderEpochPos);
  h.magic = frame.magic;
  h.crc = be::Load<uint32_t>(p + format::kCrcPos);
  h.attributes = be::Load<int16_t>(p + format::kAttributesPos);
  h.last_offset_delta = be::Load<int32_t>(p + format::kLastOffsetDeltaPos);
  h.base_timestamp = Timestamp(be::Load<int64_t>(p + format::kBaseTimestampPos));
  h.max_timestamp = Timestamp(be::Load<int64_t>(p + format::kMaxTimestampPos));
  h.producer_id = be::Load<int64_t>(p + format::kProducerIdPos);
  h.producer_epoch = be::Load<int16_t>(p + format::kProducerEpochPos);
  h.base_sequence = be::Load<int32_t>(p + format::kBaseSequencePos);
  h.records_count = be::Load<int32_t>(p + format::kRecordsCountPos);

  int codec = h.attributes & format::kCompressionMask;
  if (codec > 4) {
    // Kafka defines no codec above zstd, so this is damage, not a feature.
    return Status::Corruption(
        fmt::format("batch at offset {} names unknown compression codec {}", h.base_offset, codec));
  }
  if (h.records_count < 0) {
    return Status::Corruption(
        fmt::format("batch at offset {} has negative record count {}", h.base_offset, h.records_count));
  }
  return h;
}

Status VerifyBatch(std::string_view batch) {
  auto header = ParseBatchHeader(batch);
  if (!header.ok()) return header.status();
  if (static_cast<uint64_t>(header->size()) != batch.size()) {
    return Status::Corruption(fmt::format("batch at offset {} declares {} bytes but {} are present",
                                          header->base_offset, header->size(), batch.size()));
  }
  uint32_t computed = BatchCrc(batch);
  if (computed != header->crc) {
    return Status::Corruption(fmt::format("batch at offset {}: CRC-32C {:#010x}, stored {:#010x}",
                                          header->base_offset, computed, header->crc));
  }
  return Status::Ok();
}

}  // namespace topicfs::store
