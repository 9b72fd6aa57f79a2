#include "store/base/varint.h"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace topicfs::store {
namespace {

std::string Encoded(int64_t n) {
  std::string out;
  varint::Append(&out, n);
  return out;
}

// Decodes all of `bytes` as one varint; false if malformed or not all used.
bool DecodeAll(const std::string& bytes, bool as_int, int64_t* out) {
  const char* limit = bytes.data() + bytes.size();
  const char* next = as_int ? varint::DecodeInt(bytes.data(), limit, out)
                            : varint::DecodeLong(bytes.data(), limit, out);
  return next == limit;
}

TEST(Varint, EncodesKafkaDocumentedExamples) {
  EXPECT_EQ(std::string("\x01", 1), Encoded(-1));
  EXPECT_EQ(std::string("\x00", 1), Encoded(0));
  EXPECT_EQ(std::string("\x02", 1), Encoded(1));
  EXPECT_EQ(std::string("\x10", 1), Encoded(8));
}

TEST(Varint, ZigZagInterleavesSigns) {
  EXPECT_EQ(0u, varint::ZigZag(0));
  EXPECT_EQ(1u, varint::ZigZag(-1));
  EXPECT_EQ(2u, varint::ZigZag(1));
  EXPECT_EQ(3u, varint::ZigZag(-2));
  EXPECT_EQ(std::numeric_limits<uint64_t>::max(), varint::ZigZag(std::numeric_limits<int64_t>::min()));
}

TEST(Varint, SixtyFourAndMinusSixtyFiveTakeASecondByte) {
  EXPECT_EQ(1u, Encoded(63).size());
  EXPECT_EQ(2u, Encoded(64).size());
  EXPECT_EQ(1u, Encoded(-64).size());
  EXPECT_EQ(2u, Encoded(-65).size());
  EXPECT_EQ(std::string("\x80\x01", 2), Encoded(64));
}

TEST(Varint, LongsRoundTripIncludingExtremes) {
  const int64_t values[] = {0,          1,          -1,         63,
                            64,         -64,        -65,        300,
                            -300,       INT32_MAX,  INT32_MIN,  int64_t{INT32_MAX} + 1,
                            INT64_MAX,  INT64_MIN,  INT64_MAX - 1, INT64_MIN + 1};
  for (int64_t v : values) {
    std::string bytes = Encoded(v);
    EXPECT_EQ(static_cast<size_t>(varint::EncodedSize(v)), bytes.size()) << v;
    int64_t back = 0;
    ASSERT_TRUE(DecodeAll(bytes, false, &back)) << v;
    EXPECT_EQ(v, back);
  }
  EXPECT_EQ(10u, Encoded(INT64_MIN).size());
  EXPECT_EQ(10u, Encoded(INT64_MAX).size());
}

TEST(Varint, IntsRoundTripIncludingExtremes) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1000000}, int64_t{INT32_MAX}, int64_t{INT32_MIN}}) {
    int64_t back = 0;
    ASSERT_TRUE(DecodeAll(Encoded(v), true, &back)) << v;
    EXPECT_EQ(v, back);
  }
  EXPECT_EQ(5u, Encoded(INT32_MIN).size());
}

TEST(Varint, IntOutsideInt32RangeIsRejected) {
  int64_t out;
  EXPECT_FALSE(DecodeAll(Encoded(int64_t{INT32_MAX} + 1), true, &out));
  EXPECT_FALSE(DecodeAll(Encoded(int64_t{INT32_MIN} - 1), true, &out));
}

TEST(Varint, SixByteIntIsRejected) {
  // Zero written with five continuation bytes: six bytes in all.
  const std::string six("\x80\x80\x80\x80\x80\x00", 6);
  int64_t out;
  EXPECT_EQ(nullptr, varint::DecodeInt(six.data(), six.data() + six.size(), &out));
  // The same bytes are a fine long.
  EXPECT_TRUE(DecodeAll(six, false, &out));
  EXPECT_EQ(0, out);
}

TEST(Varint, ElevenByteLongIsRejected) {
  const std::string eleven = std::string(10, '\x80') + std::string("\x00", 1);
  int64_t out;
  EXPECT_EQ(nullptr, varint::DecodeLong(eleven.data(), eleven.data() + eleven.size(), &out));
}

TEST(Varint, TruncatedInputIsRejected) {
  int64_t out;
  const std::string cut = Encoded(INT64_MAX).substr(0, 9);
  EXPECT_EQ(nullptr, varint::DecodeLong(cut.data(), cut.data() + cut.size(), &out));
  const std::string lone("\x80", 1);
  EXPECT_EQ(nullptr, varint::DecodeInt(lone.data(), lone.data() + 1, &out));
  EXPECT_EQ(nullptr, varint::DecodeInt(lone.data(), lone.data(), &out));
}

TEST(Varint, DecodeStopsAtTheEndOfTheVarint) {
  const std::string two = Encoded(300) + Encoded(-7);
  int64_t a = 0, b = 0;
  const char* p = varint::DecodeInt(two.data(), two.data() + two.size(), &a);
  ASSERT_NE(nullptr, p);
  p = varint::DecodeInt(p, two.data() + two.size(), &b);
  EXPECT_EQ(two.data() + two.size(), p);
  EXPECT_EQ(300, a);
  EXPECT_EQ(-7, b);
}

}  // namespace
}  // namespace topicfs::store
