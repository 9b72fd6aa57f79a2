// Kafka's __consumer_offsets record layout (docs/format.md, "Consumer
// offsets"): OffsetCommitKey v0/v1, OffsetCommitValue v0..v3, and
// GroupMetadataKey v2 / GroupMetadataValue v0..v3, the group -> partition
// hash, against bytes and Java values worked out by
// hand (and checked with a JVM: String.hashCode, Utils.abs).

#include "store/format/consumer_offsets_format.h"

#include <gtest/gtest.h>

#include <string>

namespace topicfs::store::consumer_offsets {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

// ---- key ------------------------------------------------------------------

TEST(ConsumerOffsetsFormatTest, KeyIsVersionOneGroupTopicPartition) {
  std::string key = EncodeKey({"billing", "orders", 3});
  std::string want = Bytes({0x00, 0x01,                                      // version 1
                            0x00, 0x07, 'b', 'i', 'l', 'l', 'i', 'n', 'g',   // group
                            0x00, 0x06, 'o', 'r', 'd', 'e', 'r', 's',        // topic
                            0x00, 0x00, 0x00, 0x03});                        // partition
  EXPECT_EQ(key, want);
}

TEST(ConsumerOffsetsFormatTest, KeyRoundTripsAndVersionZeroReadsTheSame) {
  OffsetCommitKey k{"g", "t", 0x01020304};
  auto decoded = DecodeKey(EncodeKey(k));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_TRUE(decoded->has_value());
  EXPECT_EQ(**decoded, k);

  std::string v0 = EncodeKey(k);
  v0[1] = 0x00;  // version 0 has the same fields
  decoded = DecodeKey(v0);
  ASSERT_TRUE(decoded.ok());
  ASSERT_TRUE(decoded->has_value());
  EXPECT_EQ(**decoded, k);
}

TEST(ConsumerOffsetsFormatTest, GroupMetadataAndNewerKeysAreNotOffsetCommits) {
  // GroupMetadataKey: version 2, then the group.
  auto decoded = DecodeKey(Bytes({0x00, 0x02, 0x00, 0x01, 'g'}));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_FALSE(decoded->has_value());
  for (int version : {3, 8, 14, 100}) {
    decoded = DecodeKey(Bytes({0x00, version}));
    ASSERT_TRUE(decoded.ok()) << version;
    EXPECT_FALSE(decoded->has_value()) << version;
  }
}

TEST(ConsumerOffsetsFormatTest, MalformedKeysAreCorruption) {
  std::string good = EncodeKey({"group", "topic", 7});
  for (size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_EQ(DecodeKey(good.substr(0, cut)).status().code(), Code::kCorruption) << "cut at " << cut;
  }
  EXPECT_EQ(DecodeKey(Bytes({0xff, 0xff})).status().code(), Code::kCorruption);  // version -1
  EXPECT_EQ(DecodeKey(Bytes({0x00, 0x01, 0xff, 0xfe})).status().code(), Code::kCorruption);  // length -2
  EXPECT_EQ(DecodeKey(Bytes({0x00, 0x01, 0x00, 0x09, 'g'})).status().code(), Code::kCorruption);
}

// ---- value ----------------------------------------------------------------

TEST(ConsumerOffsetsFormatTest, ValueIsVersionThreeOf24BytesWithEmptyMetadata) {
  OffsetCommitValue v;
  v.offset = 0x1234;
  v.commit_timestamp = 1'764'064'800'000;  // 2025-11-25T10:00:00Z
  std::string value = EncodeValue(v);
  ASSERT_EQ(value.size(), 24u);
  ASSERT_EQ(value.size(), kValueV3SizeEmptyMetadata);
  // 1764064800000 = 0x0000_019A_BA74_AD00
  std::string want = Bytes({0x00, 0x03,                                        // version 3
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34,    // offset
                            0xff, 0xff, 0xff, 0xff,                            // leader epoch -1
                            0x00, 0x00,                                        // metadata ""
                            0x00, 0x00, 0x01, 0x9a, 0xba, 0x74, 0xad, 0x00});  // commit timestamp
  EXPECT_EQ(value, want);
}

TEST(ConsumerOffsetsFormatTest, ValueVersionThreeRoundTrips) {
  OffsetCommitValue v;
  v.offset = 987654321;
  v.leader_epoch = 5;
  v.metadata = "meta";
  v.commit_timestamp = 42;
  auto d = DecodeValue(EncodeValue(v));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->version, 3);
  EXPECT_EQ(d->offset, 987654321);
  EXPECT_EQ(d->leader_epoch, 5);
  EXPECT_EQ(d->metadata, "meta");
  EXPECT_EQ(d->commit_timestamp, 42);
  EXPECT_FALSE(d->expire_timestamp.has_value());
}

TEST(ConsumerOffsetsFormatTest, ValueVersionsZeroAndTwoHaveOffsetMetadataTimestamp) {
  for (int version : {0, 2}) {
    std::string bytes = Bytes({0x00, version,
                               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64,  // offset 100
                               0x00, 0x02, 'm', 'd',                            // metadata "md"
                               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07});  // timestamp 7
    auto d = DecodeValue(bytes);
    ASSERT_TRUE(d.ok()) << version << ": " << d.status().ToString();
    EXPECT_EQ(d->version, version);
    EXPECT_EQ(d->offset, 100);
    EXPECT_EQ(d->leader_epoch, -1);
    EXPECT_EQ(d->metadata, "md");
    EXPECT_EQ(d->commit_timestamp, 7);
    EXPECT_FALSE(d->expire_timestamp.has_value());
  }
}

TEST(ConsumerOffsetsFormatTest, ValueVersionOneAddsTheExpireTimestamp) {
  std::string bytes = Bytes({0x00, 0x01,
                             0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,  // offset 256
                             0x00, 0x00,                                      // metadata ""
                             0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,  // commit 7
                             0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09});  // expire 9
  auto d = DecodeValue(bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->offset, 256);
  EXPECT_EQ(d->commit_timestamp, 7);
  ASSERT_TRUE(d->expire_timestamp.has_value());
  EXPECT_EQ(*d->expire_timestamp, 9);
}

// As a Kafka 4.4 broker wrote it for a console consumer's commit: flexible,
// compact metadata, a tagged topic id after the last field.
TEST(ConsumerOffsetsFormatTest, ValueVersionFourIsReadAsKafka4WritesIt) {
  std::string bytes = Bytes({0x00, 0x04,
                             0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a,  // offset 10
                             0xff, 0xff, 0xff, 0xff,                          // leader epoch -1
                             0x02, 'm',                                       // metadata "m"
                             0x00, 0x00, 0x01, 0xa2, 0x50, 0x33, 0x90, 0x0e,  // commit time
                             0x01, 0x00, 0x10,                                // 1 tagged field: 0, 16 bytes
                             0x60, 0xd6, 0x02, 0xee, 0x36, 0x2b, 0x4f, 0xb9,
                             0x91, 0x01, 0x90, 0xe7, 0xb8, 0x9c, 0xd7, 0xd6});
  auto d = DecodeValue(bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->version, 4);
  EXPECT_EQ(d->offset, 10);
  EXPECT_EQ(d->leader_epoch, -1);
  EXPECT_EQ(d->metadata, "m");
  EXPECT_EQ(d->commit_timestamp, 0x1a25033900e);
  EXPECT_EQ(DecodeValue(bytes.substr(0, 14)).status().code(), Code::kCorruption);
}

TEST(ConsumerOffsetsFormatTest, TruncatedValuesAreCorruptionAndUnknownVersionsUnsupported) {
  OffsetCommitValue v;
  v.metadata = "xyz";
  std::string good = EncodeValue(v);
  for (size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_EQ(DecodeValue(good.substr(0, cut)).status().code(), Code::kCorruption) << "cut at " << cut;
  }
  std::string v5 = good;
  v5[1] = 0x05;
  EXPECT_EQ(DecodeValue(v5).status().code(), Code::kUnsupported);
  EXPECT_EQ(DecodeValue(Bytes({0xff, 0xff, 0, 0})).status().code(), Code::kUnsupported);
}

// ---- partition for a group ------------------------------------------------

TEST(ConsumerOffsetsFormatTest, JavaHashCodeOfAsciiNames) {
  // "billing": b=98 i=105 l=108 l=108 i=105 n=110 g=103, s[0]*31^6 + ... in
  // int32 arithmetic = -109829509; Utils.abs = 109829509; % 50 = 9.
  EXPECT_EQ(JavaStringHashCode("billing"), -109829509);
  EXPECT_EQ(PartitionForGroup("billing", 50), 9);
  EXPECT_EQ(JavaStringHashCode(""), 0);
  EXPECT_EQ(PartitionForGroup("", 50), 0);
  EXPECT_EQ(JavaStringHashCode("g"), 103);
  EXPECT_EQ(PartitionForGroup("g", 50), 3);
  EXPECT_EQ(PartitionForGroup("consumer-group-1", 50), 20);  // hashCode 147483020
}

TEST(ConsumerOffsetsFormatTest, HashCodeMinValueMapsToPartitionZero) {
  // A known String whose hashCode is Integer.MIN_VALUE: Math.abs would keep
  // it negative; Kafka's Utils.abs makes it 0.
  EXPECT_EQ(JavaStringHashCode("polygenelubricants"), INT32_MIN);
  EXPECT_EQ(PartitionForGroup("polygenelubricants", 50), 0);
  EXPECT_EQ(PartitionForGroup("polygenelubricants", 7), 0);
}

TEST(ConsumerOffsetsFormatTest, NonAsciiNamesHashTheirUtf16CodeUnits) {
  // "café": c=99 a=97 f=102 é=U+00E9=233 (two UTF-8 bytes, one code unit).
  EXPECT_EQ(JavaStringHashCode("caf\xc3\xa9"), ((99 * 31 + 97) * 31 + 102) * 31 + 233);
  EXPECT_EQ(JavaStringHashCode("caf\xc3\xa9"), 3045921);
  EXPECT_EQ(PartitionForGroup("caf\xc3\xa9", 50), 21);
  // "日本語": U+65E5 U+672C U+8A9E, three bytes each.
  EXPECT_EQ(JavaStringHashCode("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), 25921943);
  EXPECT_EQ(PartitionForGroup("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 50), 43);
  // "emoji😀": U+1F600 is the surrogate pair D83D DE00 in UTF-16.
  EXPECT_EQ(JavaStringHashCode("emoji\xf0\x9f\x98\x80"), -1623288791);
  EXPECT_EQ(PartitionForGroup("emoji\xf0\x9f\x98\x80", 50), 41);
}

TEST(ConsumerOffsetsFormatTest, BytesThatAreNotUtf8HashAsJavasReplacementCharacters) {
  // What new String(bytes, UTF_8).hashCode() gives on a JVM.
  EXPECT_EQ(JavaStringHashCode("a\xff" "b"), 2124838);          // a FFFD b
  EXPECT_EQ(JavaStringHashCode("\xe2\x82"), 65533);             // truncated: one FFFD
  EXPECT_EQ(JavaStringHashCode("\xe0\x80" "A"), 65008801);      // overlong: FFFD FFFD A
  EXPECT_EQ(JavaStringHashCode("\xf4\x90\x80\x80" "A"), -1886105343);  // > U+10FFFF: 4 x FFFD, A
  EXPECT_EQ(JavaStringHashCode("\xe0\x9f\x80" "A"), 2017302404);  // 3 x FFFD, A
  EXPECT_EQ(JavaStringHashCode("\xed\xa0\x80"), 65533);          // a surrogate: one FFFD
  EXPECT_EQ(JavaStringHashCode("\xed\xa0" "AA"), 62979293);      // FFFD A A
  EXPECT_EQ(JavaStringHashCode("\xed\x9f\xbf"), 0xD7FF);         // the last code point before them
  EXPECT_EQ(JavaStringHashCode("\xf0\x9f" "A"), 2031588);        // FFFD A
}

// ---- group metadata -------------------------------------------------------

TEST(ConsumerOffsetsFormatTest, GroupMetadataKeyIsVersionTwoAndTheGroup) {
  EXPECT_EQ(EncodeGroupMetadataKey("billing"),
            Bytes({0x00, 0x02, 0x00, 0x07, 'b', 'i', 'l', 'l', 'i', 'n', 'g'}));
  auto group = DecodeGroupMetadataKey(Bytes({0x00, 0x02, 0x00, 0x01, 'g'}));
  ASSERT_TRUE(group.ok()) << group.status().ToString();
  EXPECT_EQ(*group, std::optional<std::string>("g"));
  group = DecodeGroupMetadataKey(EncodeKey({"g", "t", 0}));
  ASSERT_TRUE(group.ok());
  EXPECT_FALSE(group->has_value());  // an offset commit
  EXPECT_FALSE(DecodeGroupMetadataKey(Bytes({0x00, 0x02, 0x00, 0x05, 'g'})).ok());
}

// GroupMetadataValue.json version 3, field by field: one member.
std::string OneMemberValueV3() {
  return Bytes({0x00, 0x03,                                // version 3
                0x00, 0x08, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',  // protocol type
                0x00, 0x00, 0x00, 0x05,                    // generation 5
                0x00, 0x05, 'r', 'a', 'n', 'g', 'e',       // protocol
                0x00, 0x02, 'm', '1',                      // leader
                0x00, 0x00, 0x01, 0x9a, 0xba, 0x74, 0xad, 0x00,  // current state timestamp
                0x00, 0x00, 0x00, 0x01,                    // one member
                0x00, 0x02, 'm', '1',                      //   member id
                0xff, 0xff,                                //   group instance id: null
                0x00, 0x01, 'c',                           //   client id
                0x00, 0x02, '/', 'h',                      //   client host
                0x00, 0x00, 0xea, 0x60,                    //   rebalance timeout 60000
                0x00, 0x00, 0x27, 0x10,                    //   session timeout 10000
                0x00, 0x00, 0x00, 0x02, 0x01, 0x02,        //   subscription
                0x00, 0x00, 0x00, 0x01, 0x03});            //   assignment
}

GroupMetadataValue OneMemberValue() {
  GroupMetadataValue v;
  v.protocol_type = "consumer";
  v.generation = 5;
  v.protocol = "range";
  v.leader = "m1";
  v.current_state_timestamp = 1764064800000;
  GroupMemberMetadata m;
  m.member_id = "m1";
  m.client_id = "c";
  m.client_host = "/h";
  m.rebalance_timeout_ms = 60000;
  m.session_timeout_ms = 10000;
  m.subscription = Bytes({1, 2});
  m.assignment = Bytes({3});
  v.members.push_back(m);
  return v;
}

TEST(ConsumerOffsetsFormatTest, GroupMetadataValueVersionThreeBytes) {
  EXPECT_EQ(EncodeGroupMetadataValue(OneMemberValue()), OneMemberValueV3());
  auto decoded = DecodeGroupMetadataValue(OneMemberValueV3());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, OneMemberValue());
}

TEST(ConsumerOffsetsFormatTest, EmptyGroupMetadataHasNullProtocolAndLeader) {
  GroupMetadataValue v;
  v.protocol_type = "consumer";
  v.generation = 6;
  v.current_state_timestamp = 7;
  std::string want = Bytes({0x00, 0x03, 0x00, 0x08, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',
                            0x00, 0x00, 0x00, 0x06, 0xff, 0xff, 0xff, 0xff,
                            0, 0, 0, 0, 0, 0, 0, 7, 0x00, 0x00, 0x00, 0x00});
  EXPECT_EQ(EncodeGroupMetadataValue(v), want);
  auto decoded = DecodeGroupMetadataValue(want);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, v);
}

TEST(ConsumerOffsetsFormatTest, OlderGroupMetadataVersionsLackTheirLaterFields) {
  // Version 0: no state timestamp, no instance id, no rebalance timeout
  // (which then is the session timeout).
  std::string v0 = Bytes({0x00, 0x00, 0x00, 0x01, 'x', 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 'p',
                          0x00, 0x01, 'm', 0x00, 0x00, 0x00, 0x01,
                          0x00, 0x01, 'm', 0x00, 0x00, 0x00, 0x00,
                          0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff});
  auto decoded = DecodeGroupMetadataValue(v0);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->version, 0);
  EXPECT_EQ(decoded->protocol_type, "x");
  EXPECT_EQ(decoded->generation, 2);
  EXPECT_EQ(decoded->protocol, std::optional<std::string>("p"));
  EXPECT_EQ(decoded->current_state_timestamp, -1);
  ASSERT_EQ(decoded->members.size(), 1u);
  EXPECT_EQ(decoded->members[0].member_id, "m");
  EXPECT_FALSE(decoded->members[0].group_instance_id);
  EXPECT_EQ(decoded->members[0].session_timeout_ms, 1000);
  EXPECT_EQ(decoded->members[0].rebalance_timeout_ms, 1000);
  EXPECT_EQ(decoded->members[0].assignment, "");  // null bytes read as empty
}

TEST(ConsumerOffsetsFormatTest, MalformedGroupMetadataValuesAreRefused) {
  std::string good = OneMemberValueV3();
  for (size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(DecodeGroupMetadataValue(good.substr(0, cut)).ok()) << cut;
  }
  std::string flexible = good;
  flexible[1] = 0x04;
  EXPECT_EQ(DecodeGroupMetadataValue(flexible).status().code(), Code::kUnsupported);
  std::string many = good;
  many[35] = 0x7f;  // member count 0x7f000001
  EXPECT_EQ(DecodeGroupMetadataValue(many).status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace topicfs::store::consumer_offsets
