#pragma once
// A compressed RecordBatch v2 and its inflated twin. Kafka compresses the
// records section only (everything after the 61-byte header); the header,
// its offsets, timestamps and record count stay readable. Readers walk a
// compressed batch's records through its inflated twin: the same header
// with the codec bits cleared and the records decompressed, a batch
// RecordReader walks like any uncompressed one. The twin lives in memory
// only (its CRC is not recomputed) and is never written.

#include <cstdint>
#include <string>
#include <string_view>

#include "store/base/status.h"
#include "store/format/codec.h"

namespace topicfs::store {

// A compressed batch inflates to at most this many bytes: Kafka's batches
// are bounded by max.message.bytes (at most 2 GiB); this bound keeps a
// damaged size claim from taking the daemon's memory.
inline constexpr int64_t kMaxInflatedBatchBytes = int64_t{256} << 20;

// The codec a batch's attributes name. REQUIRES: batch.size() >= 23.
Codec BatchCodec(std::string_view batch);

// *out = `plain` (a whole uncompressed batch) with its records compressed
// by `codec` at `level`: attributes name the codec, length and CRC-32C fit
// the new bytes. codec kNone copies the batch.
Status CompressBatch(std::string_view plain, Codec codec, int level, std::string* out);

// *out = the inflated twin of `batch` (a whole, framed batch of any codec;
// an uncompressed one is copied). kCorruption when the records do not
// decompress.
// The ByteBuffer form is the read path's (no zero fill before decoding).
Status InflateBatch(std::string_view batch, ByteBuffer* out);
Status InflateBatch(std::string_view batch, std::string* out);

// What a RecordReader walks for `batch`: the batch itself when it is not
// compressed, else its inflated twin, built in *twin. The view lives as
// long as batch and *twin.
Result<std::string_view> ReadableBatch(std::string_view batch, std::string* twin);

}  // namespace topicfs::store
