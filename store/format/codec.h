#pragma once
// Kafka's compression codecs, framed byte for byte as Kafka's Java producer
// frames them (docs/format.md, "Compression"): what a compressed
// RecordBatch v2 holds after its 61-byte header. Reading accepts what
// Kafka's Java client accepts (and what librdkafka and kafka-python write).
//
//   gzip    one member, header 1f8b 0800 00000000 00ff, raw deflate, CRC32
//           and size trailer; reads concatenated members
//   snappy  xerial framing (magic, version 1, 32 KiB blocks each behind a
//           big-endian length); reads raw snappy too
//   lz4     LZ4 frame: independent 64 KiB blocks, no checksums, no content
//           size, end mark (header 04224d18 6040 82); reads any LZ4 frame
//   zstd    one frame with its content size, no checksum; reads
//           concatenated frames

#include <cstdint>
#include <string>
#include <string_view>

#include "store/base/byte_buffer.h"
#include "store/base/status.h"

namespace topicfs::store {

// The values of a batch's attribute bits 0-2.
enum class Codec : int8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };

std::string_view CodecName(Codec codec);

// Each codec's levels as Kafka's `compression.<codec>.level` takes them.
struct CodecLevels {
  static constexpr int kGzipDefault = -1, kGzipMin = 1, kGzipMax = 9;  // or -1
  static constexpr int kLz4Default = 9, kLz4Min = 1, kLz4Max = 17;      // 9 fast, else HC
  static constexpr int kZstdDefault = 3, kZstdMin = -131072, kZstdMax = 22;
};
// The default level of `codec` (0 for kNone and snappy, which has none).
int DefaultLevel(Codec codec);

// Appends `input` compressed with `codec` at `level` to *out. REQUIRES:
// codec != kNone, level valid for codec (snappy ignores it).
Status Compress(Codec codec, int level, std::string_view input, std::string* out);

// Appends the bytes `input` decompresses to *out; kCorruption when it does
// not decode or would exceed `limit` bytes, kUnsupported for a valid frame
// feature Kafka refuses too. The ByteBuffer form is the one reads take: it
// decodes in place without first zero-filling the output.
Status Decompress(Codec codec, std::string_view input, int64_t limit, ByteBuffer* out);
Status Decompress(Codec codec, std::string_view input, int64_t limit, std::string* out);

}  // namespace topicfs::store
