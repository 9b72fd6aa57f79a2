#pragma once
// Constants of Kafka's on-disk format. docs/format.md shows every byte.

#include <cstdint>

namespace topicfs::store::format {

// RecordBatch v2 header (docs/format.md, "Record batch").
inline constexpr int kBaseOffsetPos = 0;
inline constexpr int kLengthPos = 8;
inline constexpr int kLeaderEpochPos = 12;
inline constexpr int kMagicPos = 16;
inline constexpr int kCrcPos = 17;
inline constexpr int kAttributesPos = 21;
inline constexpr int kLastOffsetDeltaPos = 23;
inline constexpr int kBaseTimestampPos = 27;
inline constexpr int kMaxTimestampPos = 35;
inline constexpr int kProducerIdPos = 43;
inline constexpr int kProducerEpochPos = 51;
inline constexpr int kBaseSequencePos = 53;
inline constexpr int kRecordsCountPos = 57;
inline constexpr int kBatchHeaderSize = 61;  // RECORD_BATCH_OVERHEAD
inline constexpr int kLogOverhead = 12;      // base offset + length: size = length + 12
inline constexpr int kMinLegacyEntrySize = 14;  // the smallest "length" any magic allows
inline constexpr int kHeaderSizeUpToMagic = 17;
inline constexpr int8_t kMagicV2 = 2;

// Attribute bits.
inline constexpr int16_t kCompressionMask = 0x07;
inline constexpr int16_t kTimestampTypeBit = 0x08;  // 1 = LogAppendTime
inline constexpr int16_t kTransactionalBit = 0x10;
inline constexpr int16_t kControlBit = 0x20;
inline constexpr int16_t kDeleteHorizonBit = 0x40;

// Worst-case bytes a record adds beyond key, value and headers.
inline constexpr int kMaxRecordOverhead = 21;

// Index entries (docs/format.md, "Offset index", "Time index").
inline constexpr int kOffsetIndexEntrySize = 8;
inline constexpr int kTimeIndexEntrySize = 12;

// Record header naming the key separator of a tombstone line, so that reading
// it presents key + separator + "\n", the bytes that were written.
inline constexpr const char* kSeparatorHeader = "topicfs.sep";

}  // namespace topicfs::store::format
