// Kafka's codecs: each round-trips at its levels, writes the frame Kafka's
// Java producer writes, reads what other writers write (raw snappy,
// concatenated gzip members and zstd frames), and refuses damage.

#include "store/format/codec.h"

#include <gtest/gtest.h>
#include <lz4frame.h>

#include <string>

#include "store/format/batch_builder.h"
#include "store/format/batch_compression.h"
#include "store/format/batch_header.h"
#include "store/format/record_reader.h"

namespace topicfs::store {
namespace {

std::string LogLines(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) text += "2026-12-06T10:00:00Z INFO request " + std::to_string(i * 7919 % 1000) + " served\n";
  return text;
}

std::string Compressed(Codec codec, int level, std::string_view in) {
  std::string out;
  EXPECT_TRUE(Compress(codec, level, in, &out).ok());
  return out;
}

std::string Decompressed(Codec codec, std::string_view in) {
  std::string out;
  Status s = Decompress(codec, in, int64_t{1} << 30, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(CodecTest, EveryCodecRoundTripsAtItsLevelsAndEmptyInput) {
  const std::string text = LogLines(20000);  // > 1 MiB: many lz4 and snappy blocks
  const std::pair<Codec, std::vector<int>> cases[] = {{Codec::kGzip, {-1, 1, 9}},
                                                      {Codec::kSnappy, {0}},
                                                      {Codec::kLz4, {1, 9, 17}},
                                                      {Codec::kZstd, {-5, 1, 3, 19}}};
  for (const auto& [codec, levels] : cases) {
    for (int level : levels) {
      SCOPED_TRACE(fmt::format("{} level {}", CodecName(codec), level));
      const std::string packed = Compressed(codec, level, text);
      EXPECT_LT(packed.size() * 3, text.size());
      EXPECT_EQ(Decompressed(codec, packed), text);
      EXPECT_EQ(Decompressed(codec, Compressed(codec, level, "")), "");
    }
  }
}

TEST(CodecTest, FramesStartAsKafkasJavaProducerWritesThem) {
  EXPECT_EQ(Compressed(Codec::kGzip, -1, "x").substr(0, 10), std::string("\x1f\x8b\x08\0\0\0\0\0\0\xff", 10));
  EXPECT_EQ(Compressed(Codec::kLz4, 9, "x").substr(0, 7), std::string("\x04\x22\x4d\x18\x60\x40\x82", 7));
  // Empty lz4 input: header and end mark, 11 bytes, as Kafka writes.
  EXPECT_EQ(Compressed(Codec::kLz4, 9, ""), std::string("\x04\x22\x4d\x18\x60\x40\x82\0\0\0\0", 11));
  EXPECT_EQ(Compressed(Codec::kSnappy, 0, "x").substr(0, 16),
            std::string("\x82SNAPPY\0\0\0\0\x01\0\0\0\x01", 16));
  EXPECT_EQ(Compressed(Codec::kZstd, 3, "x").substr(0, 4), std::string("\x28\xb5\x2f\xfd", 4));
}

TEST(CodecTest, Lz4BatchesCompressedInTwoHalvesAreTheBytesOfOnePass) {
  // Each 64 KiB block alone makes the frame one block at a time would:
  // a large input is split between two threads, a small one is not.
  const std::string text = LogLines(30000);
  for (int level : {9, 3}) {
    std::string expected(reinterpret_cast<const char*>("\x04\x22\x4d\x18\x60\x40\x82"), 7);
    for (size_t pos = 0; pos < text.size(); pos += 64 << 10) {
      const std::string one = Compressed(Codec::kLz4, level, text.substr(pos, 64 << 10));
      expected += one.substr(7, one.size() - 11);
    }
    expected.append(4, '\0');
    EXPECT_EQ(Compressed(Codec::kLz4, level, text), expected) << "level " << level;
  }
}

TEST(CodecTest, IncompressibleLz4BlocksAreStoredRaw) {
  std::string noise;
  uint32_t x = 12345;
  for (int i = 0; i < 70000; ++i) noise.push_back(static_cast<char>((x = x * 1103515245 + 12345) >> 24));
  const std::string packed = Compressed(Codec::kLz4, 9, noise);
  EXPECT_EQ(static_cast<uint8_t>(packed[10]) & 0x80, 0x80);  // first block word's high bit
  EXPECT_EQ(Decompressed(Codec::kLz4, packed), noise);
}

TEST(CodecTest, ReadsConcatenatedGzipMembersAndZstdFramesAndRawSnappy) {
  const std::string a = LogLines(100), b = LogLines(50);
  EXPECT_EQ(Decompressed(Codec::kGzip, Compressed(Codec::kGzip, 6, a) + Compressed(Codec::kGzip, 6, b)), a + b);
  EXPECT_EQ(Decompressed(Codec::kZstd, Compressed(Codec::kZstd, 3, a) + Compressed(Codec::kZstd, 3, b)), a + b);
  // Raw snappy (librdkafka writes it): the xerial stream minus its header
  // and block length is one raw block when the input fits one block.
  const std::string xerial = Compressed(Codec::kSnappy, 0, b);
  EXPECT_EQ(Decompressed(Codec::kSnappy, xerial.substr(20)), b);
}

TEST(CodecTest, DamageAndOversizeAreCorruption) {
  const std::string text = LogLines(3000);
  for (Codec codec : {Codec::kGzip, Codec::kSnappy, Codec::kLz4, Codec::kZstd}) {
    SCOPED_TRACE(std::string(CodecName(codec)));
    const std::string packed = Compressed(codec, DefaultLevel(codec), text);
    std::string out;
    EXPECT_EQ(Decompress(codec, packed.substr(0, packed.size() / 2), 1 << 30, &out).code(), Code::kCorruption);
    out.clear();
    EXPECT_EQ(Decompress(codec, packed, 1000, &out).code(), Code::kCorruption);
  }
}

TEST(CodecTest, DecodingExactlyAtTheLimitSucceedsAndOneByteUnderFails) {
  const std::string text = LogLines(3000);
  for (Codec codec : {Codec::kGzip, Codec::kSnappy, Codec::kLz4, Codec::kZstd}) {
    SCOPED_TRACE(std::string(CodecName(codec)));
    const std::string packed = Compressed(codec, DefaultLevel(codec), text);
    const int64_t size = static_cast<int64_t>(text.size());
    ByteBuffer out;
    out.Append("kept");  // decoded output is appended after what is there
    ASSERT_TRUE(Decompress(codec, packed, size, &out).ok());
    EXPECT_EQ(out.view(), "kept" + text);
    out.clear();
    EXPECT_EQ(Decompress(codec, packed, size - 1, &out).code(), Code::kCorruption);
  }
}

TEST(CodecTest, Lz4FramesOtherThanKafkasDecodeToo) {
  // librdkafka and the lz4 tools write other frames: a content size,
  // block and content checksums, larger blocks.
  const std::string text = LogLines(20000);
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max256KB;
  prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
  prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  prefs.frameInfo.contentSize = text.size();
  std::string frame(LZ4F_compressFrameBound(text.size(), &prefs), '\0');
  const size_t n = LZ4F_compressFrame(frame.data(), frame.size(), text.data(), text.size(), &prefs);
  ASSERT_FALSE(LZ4F_isError(n));
  frame.resize(n);
  EXPECT_EQ(Decompressed(Codec::kLz4, frame), text);
}

TEST(CodecTest, Lz4KafkaFrameWithABlockOverItsSizeOrCutShortIsCorruption) {
  const std::string text = LogLines(3000);
  std::string packed = Compressed(Codec::kLz4, 9, text);
  std::string out;
  // The first block's length word claims more than the 64 KiB blocks hold.
  std::string oversized = packed;
  oversized[7] = 0x01, oversized[8] = 0x00, oversized[9] = 0x01, oversized[10] = 0x00;
  EXPECT_EQ(Decompress(Codec::kLz4, oversized, 1 << 30, &out).code(), Code::kCorruption);
  // Without its end mark.
  EXPECT_EQ(Decompress(Codec::kLz4, packed.substr(0, packed.size() - 4), 1 << 30, &out).code(), Code::kCorruption);
  // A block whose bytes are garbage.
  std::string garbled = packed;
  for (size_t i = 11; i < 400; ++i) garbled[i] = static_cast<char>(0xff);
  EXPECT_EQ(Decompress(Codec::kLz4, garbled, 1 << 30, &out).code(), Code::kCorruption);
}

TEST(BatchCompressionTest, ACompressedBatchInflatesToTheSameRecords) {
  BatchBuilder builder;
  builder.Reset(Offset(100), Timestamp(5000));
  Offset end = builder.AddLines(Offset(100), Timestamp(5000), LogLines(500));
  const std::string plain(builder.Finish());
  for (Codec codec : {Codec::kGzip, Codec::kSnappy, Codec::kLz4, Codec::kZstd}) {
    SCOPED_TRACE(std::string(CodecName(codec)));
    std::string packed, twin;
    ASSERT_TRUE(CompressBatch(plain, codec, DefaultLevel(codec), &packed).ok());
    ASSERT_TRUE(VerifyBatch(packed).ok());
    auto header = ParseBatchHeader(packed);
    ASSERT_TRUE(header.ok());
    EXPECT_EQ(BatchCodec(packed), codec);
    EXPECT_EQ(header->records_count, 500);
    EXPECT_LT(packed.size() * 3, plain.size());
    ASSERT_TRUE(InflateBatch(packed, &twin).ok());
    EXPECT_EQ(twin.substr(61), plain.substr(61));
    ByteBuffer buffer;  // the read path's form, into a buffer used before
    buffer.Append("an earlier twin");
    ASSERT_TRUE(InflateBatch(packed, &buffer).ok());
    EXPECT_EQ(buffer.view(), twin);
    RecordReader reader(twin);
    RecordView rec;
    int n = 0;
    Offset last;
    while (reader.Next(&rec)) {
      ++n;
      last = rec.offset + static_cast<int64_t>(rec.value->size()) + 1;
    }
    EXPECT_TRUE(reader.status().ok());
    EXPECT_EQ(n, 500);
    EXPECT_EQ(last, end);
  }
}

}  // namespace
}  // namespace topicfs::store
