// Kafka's transaction index entries (store/format/aborted_txn.h), byte for
// byte, and what Kafka's reader refuses.

#include "store/format/aborted_txn.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/base/big_endian.h"

namespace topicfs::store {
namespace {

// Kafka's AbortedTxn: version 0, producer id, first offset, last offset,
// last stable offset, big-endian, 34 bytes.
TEST(AbortedTxnTest, BytesAreKafkasFormat) {
  const AbortedTxn e{0x0102030405060708, Offset(0x1112131415161718), Offset(0x2122232425262728),
                     Offset(0x3132333435363738)};
  const std::string bytes = EncodeAbortedTxns(std::vector<AbortedTxn>{e});
  const std::string want(
      "\x00\x00"                          // version 0
      "\x01\x02\x03\x04\x05\x06\x07\x08"  // producer id
      "\x11\x12\x13\x14\x15\x16\x17\x18"  // first offset
      "\x21\x22\x23\x24\x25\x26\x27\x28"  // last offset
      "\x31\x32\x33\x34\x35\x36\x37\x38",  // last stable offset
      kAbortedTxnSize);
  EXPECT_EQ(want, bytes);
}

TEST(AbortedTxnTest, EntriesRoundTripInOrder) {
  const std::vector<AbortedTxn> entries{{7, Offset(100), Offset(180), Offset(181)},
                                        {9, Offset(150), Offset(300), Offset(150)},
                                        {7, Offset(400), Offset(400), Offset(401)}};
  const std::string bytes = EncodeAbortedTxns(entries);
  ASSERT_EQ(3 * kAbortedTxnSize, bytes.size());
  auto decoded = DecodeAbortedTxns(bytes, Offset(100));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(entries, *decoded);
}

TEST(AbortedTxnTest, AnEmptyIndexHasNoEntries) {
  auto decoded = DecodeAbortedTxns("", Offset(0));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->empty());
}

TEST(AbortedTxnTest, AnotherVersionIsCorruption) {
  std::string bytes = EncodeAbortedTxns(std::vector<AbortedTxn>{{7, Offset(1), Offset(2), Offset(3)}});
  be::Store<int16_t>(bytes.data(), 1);
  EXPECT_EQ(Code::kCorruption, DecodeAbortedTxns(bytes, Offset(0)).status().code());
}

// Kafka's sanityCheck: an aborted transaction ending below the segment's
// base offset names no marker of the segment.
TEST(AbortedTxnTest, AnEntryEndingBelowTheSegmentBaseIsCorruption) {
  const std::string bytes = EncodeAbortedTxns(std::vector<AbortedTxn>{{7, Offset(10), Offset(99), Offset(100)}});
  EXPECT_TRUE(DecodeAbortedTxns(bytes, Offset(99)).ok());
  EXPECT_EQ(Code::kCorruption, DecodeAbortedTxns(bytes, Offset(100)).status().code());
}

TEST(AbortedTxnTest, ATornEntryIsCorruption) {
  const std::string bytes = EncodeAbortedTxns(std::vector<AbortedTxn>{{7, Offset(1), Offset(2), Offset(3)},
                                                                      {8, Offset(4), Offset(5), Offset(6)}});
  for (size_t n : {size_t{1}, kAbortedTxnSize - 1, kAbortedTxnSize + 20, bytes.size() - 1}) {
    EXPECT_EQ(Code::kCorruption, DecodeAbortedTxns(bytes.substr(0, n), Offset(0)).status().code()) << n;
  }
}

// ControlRecordType: int16 version, int16 type.
TEST(AbortedTxnTest, ControlKeysSayAbortOrCommit) {
  auto key = [](int16_t type) {
    std::string k(4, '\0');
    be::Store<int16_t>(k.data() + 2, type);
    return k;
  };
  const std::string abort = key(0), commit = key(1), other = key(3);
  EXPECT_EQ(ControlType::kAbort, ControlTypeOfKey(std::string_view(abort)));
  EXPECT_EQ(ControlType::kCommit, ControlTypeOfKey(std::string_view(commit)));
  EXPECT_EQ(std::nullopt, ControlTypeOfKey(std::string_view(other)));
  EXPECT_EQ(std::nullopt, ControlTypeOfKey(std::string_view(abort).substr(0, 3)));
  EXPECT_EQ(std::nullopt, ControlTypeOfKey(std::nullopt));
}

}  // namespace
}  // namespace topicfs::store
