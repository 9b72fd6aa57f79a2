// Kafka's producer state snapshot files (store/format/producer_snapshot.h),
// byte for byte.

#include "store/format/producer_snapshot.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/base/big_endian.h"
#include "store/base/crc32c.h"

namespace topicfs::store {
namespace {

// Kafka's ProducerStateManager layout, byte by byte: version 1, CRC-32C of
// what follows it, count, then per producer id, epoch, last sequence, last
// offset, offset delta, timestamp, coordinator epoch, txn first offset.
TEST(ProducerSnapshotTest, BytesAreKafkasFormat) {
  ProducerSnapshotEntry e;
  e.producer_id = 0x0102030405060708;
  e.producer_epoch = 0x0a0b;
  e.last_sequence = 0x11121314;
  e.last_offset = 0x2122232425262728;
  e.offset_delta = 0x31323334;
  e.timestamp = 0x4142434445464748;
  const std::string bytes = EncodeProducerSnapshot(std::vector<ProducerSnapshotEntry>{e});
  const std::string after_crc(
      "\x00\x00\x00\x01"                  // count
      "\x01\x02\x03\x04\x05\x06\x07\x08"  // producer_id
      "\x0a\x0b"                          // producer_epoch
      "\x11\x12\x13\x14"                  // last_sequence
      "\x21\x22\x23\x24\x25\x26\x27\x28"  // last_offset
      "\x31\x32\x33\x34"                  // offset_delta
      "\x41\x42\x43\x44\x45\x46\x47\x48"  // timestamp
      "\xff\xff\xff\xff"                  // coordinator_epoch -1
      "\xff\xff\xff\xff\xff\xff\xff\xff",  // current_txn_first_offset -1
      50);
  ASSERT_EQ(56u, bytes.size());
  EXPECT_EQ(std::string("\x00\x01", 2), bytes.substr(0, 2));  // version 1
  EXPECT_EQ(after_crc, bytes.substr(6));
  EXPECT_EQ(crc32c::Value(after_crc.data(), after_crc.size()), be::Load<uint32_t>(bytes.data() + 2));
  // Kafka's empty snapshot: version, CRC, count 0 (the CRC of four zero bytes).
  const std::string empty = EncodeProducerSnapshot({});
  EXPECT_EQ(std::string("\x00\x01\x48\x67\x4b\xc7\x00\x00\x00\x00", 10), empty);

  auto decoded = DecodeProducerSnapshot(bytes);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(1u, decoded->size());
  EXPECT_EQ(e, (*decoded)[0]);
}

TEST(ProducerSnapshotTest, DamagedBytesAreCorruption) {
  ProducerSnapshotEntry e;
  e.producer_id = 7;
  std::string bytes = EncodeProducerSnapshot(std::vector<ProducerSnapshotEntry>{e});
  EXPECT_EQ(Code::kCorruption, DecodeProducerSnapshot(bytes.substr(0, 9)).status().code());
  EXPECT_EQ(Code::kCorruption, DecodeProducerSnapshot(bytes.substr(0, bytes.size() - 1)).status().code());
  std::string version = bytes;
  version[1] = 2;
  EXPECT_EQ(Code::kCorruption, DecodeProducerSnapshot(version).status().code());
  std::string flipped = bytes;
  flipped[20] ^= 1;
  EXPECT_EQ(Code::kCorruption, DecodeProducerSnapshot(flipped).status().code());
}

}  // namespace
}  // namespace topicfs::store
