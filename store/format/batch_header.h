#pragma once
// The fixed 61-byte header of a Kafka RecordBatch v2 (magic 2) and its
// framing: decoding, the CRC-32C over attributes..end, and the check a
// recovering reader makes. docs/format.md shows the bytes. Magic 0/1
// batches are recognised and refused, never misread; a compressed batch's
// records are read after InflateBatch (store/format/batch_compression.h).

#include <cstdint>
#include <string_view>

#include "store/base/format.h"
#include "store/base/status.h"
#include "store/base/types.h"

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
  bool is_compressed() const { return (attributes & format::kCompressionMask) != 0; }
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

// Decodes the 61-byte header. Refuses magic != 2 with kUnsupported, a
// length below the v2 header or a codec Kafka does not define with
// kCorruption. Does not check
// the CRC (VerifyBatch does).
Result<BatchHeader> ParseBatchHeader(std::string_view bytes);

// Checks a whole batch: size >= 61, length consistent with bytes.size(), magic,
// codec, CRC-32C. The first check a recovering reader makes.
Status VerifyBatch(std::string_view batch);

// The CRC-32C a batch's header should hold: over attributes..end.
uint32_t BatchCrc(std::string_view batch);

}  // namespace topicfs::store
