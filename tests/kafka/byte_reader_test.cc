#include "kafka/protocol/byte_reader.h"

#include <gtest/gtest.h>

#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

TEST(ByteReaderTest, ReadsBigEndianIntegers) {
  ByteReader in("\x01\x02\x03\x04\x05\x06\x07\xff\xfe\x00\x00\x00\x00\x00\x00\x00\x01"sv);
  EXPECT_EQ(in.Int16(), 0x0102);
  EXPECT_EQ(in.Int32(), 0x03040506);
  EXPECT_EQ(in.Int8(), 7);
  EXPECT_EQ(in.Int16(), -2);
  EXPECT_EQ(in.Int64(), 1);
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.remaining(), 0u);
}

TEST(ByteReaderTest, ReadPastTheEndFailsAndStaysFailed) {
  ByteReader in("\x00\x01\x02"sv);
  EXPECT_EQ(in.Int32(), 0);
  EXPECT_FALSE(in.ok());
  EXPECT_NE(in.error().find("truncated int32"), std::string::npos);
  EXPECT_EQ(in.Int8(), 0);  // the bytes that were there are not read any more
  EXPECT_FALSE(in.ok());
}

TEST(ByteReaderTest, UnsignedVarintsAsKafkaWritesThem) {
  ByteReader in("\x00\x01\x7f\x80\x01\xff\xff\xff\xff\x0f"sv);
  EXPECT_EQ(in.UnsignedVarint(), 0u);
  EXPECT_EQ(in.UnsignedVarint(), 1u);
  EXPECT_EQ(in.UnsignedVarint(), 127u);
  EXPECT_EQ(in.UnsignedVarint(), 128u);
  EXPECT_EQ(in.UnsignedVarint(), 0xffffffffu);
  EXPECT_TRUE(in.ok());
}

TEST(ByteReaderTest, VarintLongerThanFiveBytesFails) {
  ByteReader in("\xff\xff\xff\xff\xff\x01"sv);
  in.UnsignedVarint();
  EXPECT_FALSE(in.ok());
}

TEST(ByteReaderTest, ZigZagVarintAndVarlong) {
  ByteReader in("\x01\x02\x03\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01"sv);
  EXPECT_EQ(in.Varint(), -1);
  EXPECT_EQ(in.Varint(), 1);
  EXPECT_EQ(in.Varint(), -2);
  EXPECT_EQ(in.Varlong(), INT64_MAX);
  EXPECT_TRUE(in.ok());
}

TEST(ByteReaderTest, StringsCompactAndNot) {
  ByteReader in("\x00\x03" "abc" "\xff\xff" "\x04" "xyz" "\x00"sv);
  EXPECT_EQ(in.String(false), "abc");
  EXPECT_EQ(in.NullableString(false), std::nullopt);
  EXPECT_EQ(in.String(true), "xyz");
  EXPECT_EQ(in.NullableString(true), std::nullopt);
  EXPECT_TRUE(in.ok());
}

TEST(ByteReaderTest, NullWhereAStringIsRequiredFails) {
  ByteReader in("\xff\xff"sv);
  in.String(false);
  EXPECT_FALSE(in.ok());
}

TEST(ByteReaderTest, StringLongerThanTheRequestFails) {
  ByteReader in("\x00\x10" "abc"sv);
  EXPECT_EQ(in.String(false), "");
  EXPECT_FALSE(in.ok());
}

TEST(ByteReaderTest, ArrayCountOverTheBytesLeftFailsWithoutAllocating) {
  ByteReader in("\x7f\xff\xff\xff\x00"sv);
  EXPECT_EQ(in.ArrayLength(false), 0);
  EXPECT_FALSE(in.ok());
  ByteReader negative("\xff\xff\xff\xfe"sv);
  negative.ArrayLength(false);
  EXPECT_FALSE(negative.ok());
  ByteReader null_array("\xff\xff\xff\xff"sv);
  EXPECT_EQ(null_array.ArrayLength(false), -1);
  EXPECT_TRUE(null_array.ok());
}

TEST(ByteReaderTest, SkipsTaggedFields) {
  ByteReader in("\x02\x00\x01" "a" "\x05\x02" "bc" "\x2a"sv);
  in.SkipTaggedFields();
  EXPECT_EQ(in.Int8(), 0x2a);
  EXPECT_TRUE(in.ok());
  ByteReader truncated("\x01\x00\x05" "ab"sv);
  truncated.SkipTaggedFields();
  EXPECT_FALSE(truncated.ok());
}

TEST(ByteWriterTest, WritesWhatTheReaderReads) {
  ByteWriter w;
  w.Int16(-3);
  w.Int32(70000);
  w.Int64(-5);
  w.UnsignedVarint(300);
  w.Varint(-64);
  w.Varlong(1LL << 40);
  w.String("topic", true);
  w.NullableString(std::nullopt, false);
  w.NullableBytes("xy", true);
  w.ArrayLength(2, true);
  ByteReader in(w.buffer());
  EXPECT_EQ(in.Int16(), -3);
  EXPECT_EQ(in.Int32(), 70000);
  EXPECT_EQ(in.Int64(), -5);
  EXPECT_EQ(in.UnsignedVarint(), 300u);
  EXPECT_EQ(in.Varint(), -64);
  EXPECT_EQ(in.Varlong(), 1LL << 40);
  EXPECT_EQ(in.String(true), "topic");
  EXPECT_EQ(in.NullableString(false), std::nullopt);
  EXPECT_EQ(in.NullableBytes(true), "xy");
  EXPECT_EQ(in.UnsignedVarint(), 3u);
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.remaining(), 0u);
}

}  // namespace
}  // namespace topicfs::kafka
