#include "store/base/crc32c.h"

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace topicfs::store {
namespace {

uint32_t Crc(const std::vector<uint8_t>& bytes) { return crc32c::Value(bytes.data(), bytes.size()); }

// RFC 3720, appendix B.4: the published CRC32C examples.
TEST(Crc32c, ThirtyTwoZeroBytesMatchRfc3720) {
  EXPECT_EQ(0x8A9136AAu, Crc(std::vector<uint8_t>(32, 0x00)));
}

TEST(Crc32c, ThirtyTwoOnesBytesMatchRfc3720) {
  EXPECT_EQ(0x62A8AB43u, Crc(std::vector<uint8_t>(32, 0xFF)));
}

TEST(Crc32c, AscendingBytesMatchRfc3720) {
  std::vector<uint8_t> data(32);
  for (int i = 0; i < 32; ++i) data[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(0x46DD794Eu, Crc(data));
}

TEST(Crc32c, DescendingBytesMatchRfc3720) {
  std::vector<uint8_t> data(32);
  for (int i = 0; i < 32; ++i) data[i] = static_cast<uint8_t>(31 - i);
  EXPECT_EQ(0x113FDB5Cu, Crc(data));
}

TEST(Crc32c, IscsiReadCommandMatchesRfc3720) {
  const std::vector<uint8_t> pdu = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  EXPECT_EQ(0xD9963A56u, Crc(pdu));
}

TEST(Crc32c, CheckStringGivesCatalogueValue) {
  EXPECT_EQ(0xE3069283u, crc32c::Value("123456789", 9));
  EXPECT_EQ(0xE3069283u, crc32c::ExtendPortable(0, "123456789", 9));
}

TEST(Crc32c, EmptyInputIsZeroAndExtendsNothing) {
  EXPECT_EQ(0u, crc32c::Value(nullptr, 0));
  EXPECT_EQ(0x12345678u, crc32c::Extend(0x12345678u, nullptr, 0));
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(Crc32c, HardwareAndPortableAgreeOnEveryLengthAndAlignment) {
  if (!crc32c::HardwareAvailable()) GTEST_SKIP() << "no SSE4.2: Extend is the portable path";
  std::mt19937_64 rng(20240611);
  std::string buf = RandomBytes(rng, 300 + 8);
  for (size_t align = 0; align < 8; ++align) {
    for (size_t n = 0; n <= 300; ++n) {
      const char* p = buf.data() + align;
      ASSERT_EQ(crc32c::ExtendPortable(0, p, n), crc32c::Value(p, n)) << "n=" << n << " align=" << align;
    }
  }
}

TEST(Crc32c, HardwareAndPortableAgreeOnBuffersUsingTheInterleavedPaths) {
  std::mt19937_64 rng(7);
  // Sizes around the three-stream block boundaries (3 x 256 and 3 x 8192).
  for (size_t n : {767u, 768u, 769u, 1536u, 5000u, 24575u, 24576u, 24577u, 49152u + 771u, 1u << 20}) {
    std::string buf = RandomBytes(rng, n + 1);
    for (size_t align : {0u, 1u}) {
      ASSERT_EQ(crc32c::ExtendPortable(0, buf.data() + align, n),
                crc32c::Value(buf.data() + align, n))
          << "n=" << n << " align=" << align;
    }
  }
}

TEST(Crc32c, FoldedAndPortableAgreeAroundTheFoldingBlocks) {
  // Lengths around the folding path's 1 KiB minimum and 256-byte steps, at
  // every alignment, from a zero and a non-zero starting CRC.
  std::mt19937_64 rng(11);
  std::string buf = RandomBytes(rng, 5000);
  for (size_t n : {1023u, 1024u, 1025u, 1100u, 1279u, 1280u, 1281u, 1535u, 1536u, 2047u, 4093u}) {
    for (size_t align = 0; align < 8; ++align) {
      const char* p = buf.data() + align;
      for (uint32_t start : {0u, 0xDEADBEEFu}) {
        ASSERT_EQ(crc32c::ExtendPortable(start, p, n), crc32c::Extend(start, p, n))
            << "n=" << n << " align=" << align << " start=" << start;
      }
    }
  }
}

TEST(Crc32c, ExtendOverSplitInputEqualsValueOfWhole) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 500; ++trial) {
    size_t n = rng() % 2000;
    std::string buf = RandomBytes(rng, n);
    size_t split = n == 0 ? 0 : rng() % (n + 1);
    uint32_t whole = crc32c::Value(buf.data(), n);
    uint32_t first = crc32c::Value(buf.data(), split);
    ASSERT_EQ(whole, crc32c::Extend(first, buf.data() + split, n - split)) << "n=" << n;
    uint32_t first_portable = crc32c::ExtendPortable(0, buf.data(), split);
    ASSERT_EQ(whole, crc32c::ExtendPortable(first_portable, buf.data() + split, n - split));
  }
}

TEST(Crc32c, SingleBitFlipChangesValue) {
  std::string buf(4096, 'x');
  uint32_t before = crc32c::Value(buf.data(), buf.size());
  buf[2000] ^= 0x10;
  EXPECT_NE(before, crc32c::Value(buf.data(), buf.size()));
}

}  // namespace
}  // namespace topicfs::store
