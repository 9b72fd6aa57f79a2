#include "store/format/batch_builder.h"
#include "store/format/batch_compression.h"
#include "store/format/record_reader.h"
#include "store/format/batch_header.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/base/big_endian.h"
#include "store/base/crc32c.h"
#include "store/base/format.h"
#include "store/base/varint.h"

namespace topicfs::store {
namespace {

// ---- Helpers: decoded copies, byte pokes, hand-made batches ----

struct Decoded {
  int64_t offset;
  int64_t timestamp;
  std::optional<std::string> key;
  std::optional<std::string> value;
  int32_t header_count;
  std::string headers;
};

std::optional<std::string> Copy(std::optional<std::string_view> v) {
  return v ? std::optional<std::string>(*v) : std::nullopt;
}

// Every record of the batch, and the reader's final status.
std::pair<std::vector<Decoded>, Status> ReadAll(std::string_view batch) {
  RecordReader reader(batch);
  std::vector<Decoded> out;
  RecordView rec;
  while (reader.Next(&rec)) {
    out.push_back({rec.offset.value, rec.timestamp.value, Copy(rec.key), Copy(rec.value),
                   rec.header_count, std::string(rec.headers)});
  }
  return {out, reader.status()};
}

Status ReadStatus(std::string_view batch) { return ReadAll(batch).second; }

// Recomputes the CRC after a test has edited covered bytes on purpose, so
// that the reader, not the CRC check, is what catches the damage.
void Reseal(std::string* batch) {
  be::Store<uint32_t>(batch->data() + format::kCrcPos,
                      crc32c::Value(batch->data() + format::kAttributesPos,
                                    batch->size() - format::kAttributesPos));
}

template <typename T>
void Poke(std::string* batch, int pos, T v) {
  be::Store<T>(batch->data() + pos, v);
}

// A v2 batch around raw record bytes: lengths and CRC correct, fields plain.
std::string HandMadeBatch(const std::string& records, int32_t count, int16_t attributes = 0) {
  std::string b(format::kBatchHeaderSize, '\0');
  Poke<int64_t>(&b, format::kBaseOffsetPos, 1000);
  Poke<int32_t>(&b, format::kLengthPos,
                static_cast<int32_t>(format::kBatchHeaderSize - format::kLogOverhead + records.size()));
  Poke<int32_t>(&b, format::kLeaderEpochPos, -1);
  b[format::kMagicPos] = 2;
  Poke<int16_t>(&b, format::kAttributesPos, attributes);
  Poke<int32_t>(&b, format::kLastOffsetDeltaPos, count - 1);
  Poke<int64_t>(&b, format::kBaseTimestampPos, 5000);
  Poke<int64_t>(&b, format::kMaxTimestampPos, 5000);
  Poke<int64_t>(&b, format::kProducerIdPos, -1);
  Poke<int16_t>(&b, format::kProducerEpochPos, -1);
  Poke<int32_t>(&b, format::kBaseSequencePos, -1);
  Poke<int32_t>(&b, format::kRecordsCountPos, count);
  b += records;
  Reseal(&b);
  return b;
}

// A record body (everything after its length varint) with one optional
// header, so individual fields can be made to lie.
std::string RecordBody(int64_t offset_delta, std::string_view key, std::string_view value,
                       int64_t header_count = 0, std::string_view raw_headers = "") {
  std::string body(1, '\0');
  varint::Append(&body, 0);  // timestamp delta
  varint::Append(&body, offset_delta);
  varint::Append(&body, static_cast<int64_t>(key.size()));
  body += key;
  varint::Append(&body, static_cast<int64_t>(value.size()));
  body += value;
  varint::Append(&body, header_count);
  body += raw_headers;
  return body;
}

std::string Framed(const std::string& body, int64_t declared_length) {
  std::string r;
  varint::Append(&r, declared_length);
  return r + body;
}
std::string Framed(const std::string& body) {
  return Framed(body, static_cast<int64_t>(body.size()));
}

// A legacy (magic 0 or 1) log entry: offset, size, then CRC, magic,
// attributes, [timestamp,] key and value with int32 lengths.
std::string LegacyEntry(int8_t magic, int8_t attributes = 0) {
  std::string msg;
  msg.push_back(static_cast<char>(magic));
  msg.push_back(static_cast<char>(attributes));
  if (magic == 1) msg.append(8, '\0');
  msg += std::string("\xff\xff\xff\xff", 4);  // null key
  msg += std::string("\0\0\0\x05hello", 9);
  std::string entry(16, '\0');
  Poke<int64_t>(&entry, 0, 42);
  Poke<int32_t>(&entry, 8, static_cast<int32_t>(4 + msg.size()));
  return entry + msg;  // CRC left zero: refusal must come from the magic alone
}

std::string OneRecordBatch(std::optional<std::string_view> key, std::optional<std::string_view> value) {
  BatchBuilder b;
  b.Reset(Offset(0), Timestamp(0));
  b.Add(Offset(0), Timestamp(0), key, value);
  return std::string(b.Finish());
}

// ---- Sizes: the worked example of the format document ----

TEST(RecordBatch, WorkedExampleRecordIsNineBytesAndBatchSeventy) {
  std::string batch = OneRecordBatch("k", "v");
  ASSERT_EQ(70u, batch.size());
  EXPECT_EQ(58, be::Load<int32_t>(batch.data() + format::kLengthPos));
  // The record: length 8, attributes, ts delta 0, offset delta 0, "k", "v", no headers.
  EXPECT_EQ(std::string("\x10\x00\x00\x00\x02k\x02v\x00", 9), batch.substr(61));
  EXPECT_TRUE(VerifyBatch(batch).ok());
}

TEST(RecordBatch, EmptyBatchIsHeaderOnlyAndValid) {
  BatchBuilder b;
  b.Reset(Offset(7), Timestamp(100));
  std::string batch(b.Finish());
  EXPECT_EQ(61u, batch.size());
  EXPECT_TRUE(VerifyBatch(batch).ok());
  auto [records, status] = ReadAll(batch);
  EXPECT_TRUE(records.empty());
  EXPECT_TRUE(status.ok()) << status.ToString();
}

// ---- Round trips ----

TEST(RecordBatch, KeysValuesNullsAndTombstonesRoundTrip) {
  BatchBuilder b;
  b.Reset(Offset(500), Timestamp(1'700'000'000'000));
  b.Add(Offset(500), Timestamp(1'700'000'000'000), "key", "value");
  b.Add(Offset(501), Timestamp(1'700'000'000'001), std::nullopt, "no key");
  b.Add(Offset(502), Timestamp(1'700'000'000'002), "gone", std::nullopt);
  b.Add(Offset(510), Timestamp(1'700'000'000'003), "", "");
  std::string batch(b.Finish());
  ASSERT_TRUE(VerifyBatch(batch).ok());

  auto [r, status] = ReadAll(batch);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(4u, r.size());
  EXPECT_EQ(500, r[0].offset);
  EXPECT_EQ("key", r[0].key);
  EXPECT_EQ("value", r[0].value);
  EXPECT_EQ(std::nullopt, r[1].key);
  EXPECT_EQ("no key", r[1].value);
  EXPECT_EQ("gone", r[2].key);
  EXPECT_EQ(std::nullopt, r[2].value);
  EXPECT_EQ(510, r[3].offset);
  EXPECT_EQ(std::optional<std::string>(""), r[3].key);
  EXPECT_EQ(std::optional<std::string>(""), r[3].value);
  EXPECT_EQ(1'700'000'000'003, r[3].timestamp);
}

TEST(RecordBatch, TimestampDeltasMayBeNegative) {
  BatchBuilder b;
  b.Reset(Offset(0), Timestamp(10'000));
  b.Add(Offset(0), Timestamp(10'000), std::nullopt, "a");
  b.Add(Offset(1), Timestamp(9'000), std::nullopt, "b");
  b.Add(Offset(2), Timestamp(12'000), std::nullopt, "c");
  b.Add(Offset(3), Timestamp(-1), std::nullopt, "d");
  std::string batch(b.Finish());

  auto header = ParseBatchHeader(batch);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(Timestamp(10'000), header->base_timestamp);
  EXPECT_EQ(Timestamp(12'000), header->max_timestamp);
  auto [r, status] = ReadAll(batch);
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(4u, r.size());
  EXPECT_EQ(10'000, r[0].timestamp);
  EXPECT_EQ(9'000, r[1].timestamp);
  EXPECT_EQ(12'000, r[2].timestamp);
  EXPECT_EQ(-1, r[3].timestamp);
}

TEST(RecordBatch, HeadersRoundTripIncludingNullValues) {
  BatchBuilder b;
  b.Reset(Offset(0), Timestamp(0));
  b.Add(Offset(0), Timestamp(0), "k", "v",
        {{"trace", "abc"}, {"empty", ""}, {"nothing", std::nullopt}, {"trace", "second"}});
  std::string batch(b.Finish());
  ASSERT_TRUE(VerifyBatch(batch).ok());

  RecordReader reader(batch);
  RecordView rec;
  ASSERT_TRUE(reader.Next(&rec));
  EXPECT_EQ(4, rec.header_count);
  EXPECT_EQ(std::optional<std::string_view>("abc"), rec.FindHeader("trace"));  // the first one
  EXPECT_EQ(std::optional<std::string_view>(""), rec.FindHeader("empty"));
  EXPECT_EQ(std::nullopt, rec.FindHeader("nothing"));
  EXPECT_EQ(std::nullopt, rec.FindHeader("absent"));
  EXPECT_FALSE(reader.Next(&rec));
  EXPECT_TRUE(reader.status().ok());
}

TEST(RecordBatch, HeaderBytesFollowKafkaLayout) {
  BatchBuilder b;
  b.Reset(Offset(0), Timestamp(0));
  b.Add(Offset(0), Timestamp(0), std::nullopt, std::nullopt, {{"h", "x"}, {"n", std::nullopt}});
  std::string batch(b.Finish());
  // length 13, attrs, ts 0, off 0, key -1, value -1, count 2, "h" "x", "n" null
  EXPECT_EQ(std::string("\x1a\x00\x00\x00\x01\x01\x04\x02h\x02x\x02n\x01", 14), batch.substr(61));
}

TEST(RecordBatch, ManyRecordsWithMultiByteVarintsRoundTrip) {
  BatchBuilder b;
  b.Reset(Offset(1'000'000'000'000), Timestamp(1'700'000'000'000));
  std::string big(300, 'z');
  for (int i = 0; i < 1000; ++i) {
    b.Add(Offset(1'000'000'000'000 + i * 1000), Timestamp(1'700'000'000'000 + i * 77),
          std::string_view(big).substr(0, i % 200), std::string_view(big).substr(0, i % 300));
  }
  std::string batch(b.Finish());
  ASSERT_TRUE(VerifyBatch(batch).ok());
  auto [r, status] = ReadAll(batch);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(1000u, r.size());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(1'000'000'000'000 + i * 1000, r[i].offset);
    ASSERT_EQ(1'700'000'000'000 + i * 77, r[i].timestamp);
    ASSERT_EQ(static_cast<size_t>(i % 200), r[i].key->size());
    ASSERT_EQ(static_cast<size_t>(i % 300), r[i].value->size());
  }
}

// ---- The header: each field at its documented position ----

TEST(RecordBatch, HeaderFieldsSitAtDocumentedPositions) {
  BatchBuilder b;
  b.Reset(Offset(0x0102030405060708), Timestamp(1111));
  b.SetProducer(0x1122334455667788, 0x2233, 0x44556677);
  b.SetAttributes(format::kTransactionalBit);
  b.Add(Offset(0x0102030405060708), Timestamp(1111), "k", "v");
  b.Add(Offset(0x0102030405060708 + 3), Timestamp(3333), "k", "v");
  b.Add(Offset(0x0102030405060708 + 5), Timestamp(2222), "k", "v");
  std::string batch(b.Finish());
  const char* p = batch.data();

  EXPECT_EQ(0x0102030405060708, be::Load<int64_t>(p + 0));
  EXPECT_EQ(static_cast<int32_t>(batch.size() - 12), be::Load<int32_t>(p + 8));
  EXPECT_EQ(0, be::Load<int32_t>(p + 12));  // topicfs's leader epoch
  EXPECT_EQ(2, p[16]);
  EXPECT_EQ(crc32c::Value(p + 21, batch.size() - 21), be::Load<uint32_t>(p + 17));
  EXPECT_EQ(format::kTransactionalBit, be::Load<int16_t>(p + 21));
  EXPECT_EQ(5, be::Load<int32_t>(p + 23));
  EXPECT_EQ(1111, be::Load<int64_t>(p + 27));
  EXPECT_EQ(3333, be::Load<int64_t>(p + 35));
  EXPECT_EQ(0x1122334455667788, be::Load<int64_t>(p + 43));
  EXPECT_EQ(0x2233, be::Load<int16_t>(p + 51));
  EXPECT_EQ(0x44556677, be::Load<int32_t>(p + 53));
  EXPECT_EQ(3, be::Load<int32_t>(p + 57));

  auto h = ParseBatchHeader(batch);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(Offset(0x0102030405060708), h->base_offset);
  EXPECT_EQ(Offset(0x0102030405060708 + 5), h->last_offset());
  EXPECT_EQ(static_cast<int64_t>(batch.size()), h->size());
  EXPECT_EQ(0, h->partition_leader_epoch);
  EXPECT_EQ(0x1122334455667788, h->producer_id);
  EXPECT_EQ(0x2233, h->producer_epoch);
  EXPECT_EQ(0x44556677, h->base_sequence);
  EXPECT_EQ(3, h->records_count);
  EXPECT_FALSE(h->is_control());
  EXPECT_FALSE(h->log_append_time());
  EXPECT_FALSE(h->has_delete_horizon());
}

TEST(RecordBatch, DefaultsAreNoProducerCreateTimeAndLeaderEpochZero) {
  std::string batch = OneRecordBatch("k", "v");
  auto h = ParseBatchHeader(batch);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(0, h->attributes);
  EXPECT_EQ(-1, h->producer_id);
  EXPECT_EQ(-1, h->producer_epoch);
  EXPECT_EQ(-1, h->base_sequence);
  EXPECT_EQ(kTopicfsLeaderEpoch, h->partition_leader_epoch);
  EXPECT_EQ(0, kTopicfsLeaderEpoch);
}

TEST(RecordBatch, ASetLeaderEpochIsWrittenAndAReusedBuilderStartsAtZeroAgain) {
  BatchBuilder b;
  b.Reset(Offset(10), Timestamp(1));
  b.SetPartitionLeaderEpoch(7);
  b.Add(Offset(10), Timestamp(1), "k", "v");
  std::string batch(b.Finish());
  EXPECT_EQ(7, ParseBatchHeader(batch)->partition_leader_epoch);
  EXPECT_TRUE(VerifyBatch(batch).ok());
  b.Reset(Offset(20), Timestamp(1));
  b.Add(Offset(20), Timestamp(1), "k", "v");
  EXPECT_EQ(0, ParseBatchHeader(b.Finish())->partition_leader_epoch);
}

TEST(RecordBatch, AttributeBitsAreReported) {
  BatchBuilder b;
  b.Reset(Offset(0), Timestamp(0));
  b.SetAttributes(format::kControlBit | format::kDeleteHorizonBit | format::kTimestampTypeBit);
  b.Add(Offset(0), Timestamp(0), std::string_view("\0\0\0\1", 4), std::string_view("\0\0", 2));
  auto h = ParseBatchHeader(b.Finish());
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->is_control());
  EXPECT_TRUE(h->has_delete_horizon());
  EXPECT_TRUE(h->log_append_time());
}

TEST(RecordBatch, ResetForgetsThePreviousBatchSettings) {
  BatchBuilder b;
  b.Reset(Offset(0), Timestamp(0));
  b.SetProducer(9, 9, 9);
  b.SetAttributes(format::kControlBit);
  b.SetLastOffset(Offset(50));
  b.Add(Offset(0), Timestamp(0), "k", "v");
  (void)b.Finish();
  b.Reset(Offset(100), Timestamp(0));
  b.Add(Offset(100), Timestamp(0), "k", "v");
  auto h = ParseBatchHeader(b.Finish());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(0, h->attributes);
  EXPECT_EQ(-1, h->producer_id);
  EXPECT_EQ(0, h->last_offset_delta);
}

TEST(RecordBatch, SetLastOffsetOverrideIsVisibleInHeader) {
  BatchBuilder b;
  b.Reset(Offset(100), Timestamp(0));
  b.Add(Offset(103), Timestamp(0), "k", "v");
  b.SetLastOffset(Offset(120));
  std::string batch(b.Finish());
  ASSERT_TRUE(VerifyBatch(batch).ok());
  auto h = ParseBatchHeader(batch);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(20, h->last_offset_delta);
  EXPECT_EQ(Offset(120), h->last_offset());
  auto [r, status] = ReadAll(batch);
  ASSERT_EQ(1u, r.size());
  EXPECT_EQ(103, r[0].offset);
}

// ---- CRC coverage ----

TEST(RecordBatch, ChangingLastOffsetDeltaInvalidatesCrc) {
  std::string batch = OneRecordBatch("k", "v");
  Poke<int32_t>(&batch, format::kLastOffsetDeltaPos, 1);
  Status s = VerifyBatch(batch);
  EXPECT_EQ(Code::kCorruption, s.code());
  EXPECT_NE(std::string::npos, s.message().find("CRC"));
}

TEST(RecordBatch, ChangingARecordByteInvalidatesCrc) {
  std::string batch = OneRecordBatch("k", "v");
  batch.back() ^= 1;
  EXPECT_EQ(Code::kCorruption, VerifyBatch(batch).code());
}

TEST(RecordBatch, ChangingBaseOffsetDoesNotInvalidateCrc) {
  std::string batch = OneRecordBatch("k", "v");
  Poke<int64_t>(&batch, format::kBaseOffsetPos, 123456);
  EXPECT_TRUE(VerifyBatch(batch).ok());
  auto [r, status] = ReadAll(batch);
  ASSERT_EQ(1u, r.size());
  EXPECT_EQ(123456, r[0].offset);
}

TEST(RecordBatch, ChangingPartitionLeaderEpochDoesNotInvalidateCrc) {
  std::string batch = OneRecordBatch("k", "v");
  Poke<int32_t>(&batch, format::kLeaderEpochPos, 17);
  EXPECT_TRUE(VerifyBatch(batch).ok());
  EXPECT_EQ(17, ParseBatchHeader(batch)->partition_leader_epoch);
}

// ---- Formats topicfs recognises and refuses ----

TEST(RecordBatch, MagicOneBatchIsRefusedAsUnsupported) {
  std::string entry = LegacyEntry(1);
  auto h = ParseBatchHeader(entry);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(Code::kUnsupported, h.status().code());
  EXPECT_NE(std::string::npos, h.status().message().find("magic 1"));
  EXPECT_NE(std::string::npos, h.status().message().find("legacy"));
  EXPECT_NE(std::string::npos, h.status().message().find("offset 42"));
  EXPECT_EQ(Code::kUnsupported, VerifyBatch(entry).code());
  EXPECT_EQ(Code::kUnsupported, ReadStatus(entry).code());
  EXPECT_EQ(1, PeekFrame(entry).magic);
  EXPECT_EQ(static_cast<int64_t>(entry.size()), PeekFrame(entry).size());
}

TEST(RecordBatch, MagicZeroBatchIsRefusedAsUnsupported) {
  std::string entry = LegacyEntry(0);
  EXPECT_EQ(Code::kUnsupported, ParseBatchHeader(entry).status().code());
  EXPECT_NE(std::string::npos, VerifyBatch(entry).message().find("magic 0"));
  EXPECT_EQ(Code::kUnsupported, ReadStatus(entry).code());
}

TEST(RecordBatch, UnknownMagicIsRefusedAsUnsupported) {
  std::string batch = OneRecordBatch("k", "v");
  batch[format::kMagicPos] = 3;
  EXPECT_EQ(Code::kUnsupported, VerifyBatch(batch).code());
}

// A batch whose attributes name a codec but whose records are not
// compressed bytes: the CRC holds (it covers what was written), but the
// reader never walks compressed bytes as records, and inflating fails.
TEST(RecordBatch, ABatchNamingACodecIsReadOnlyThroughItsTwin) {
  for (int16_t codec : {1, 2, 3, 4}) {
    std::string batch = OneRecordBatch("k", "v");
    Poke<int16_t>(&batch, format::kAttributesPos, codec);
    Reseal(&batch);
    EXPECT_TRUE(VerifyBatch(batch).ok()) << codec;
    EXPECT_NE(ReadStatus(batch).code(), Code::kOk) << codec;
    std::string twin;
    EXPECT_EQ(InflateBatch(batch, &twin).code(), Code::kCorruption) << codec;
  }
}

TEST(RecordBatch, CodecBeyondZstdIsCorruption) {
  std::string batch = OneRecordBatch("k", "v");
  Poke<int16_t>(&batch, format::kAttributesPos, 6);
  Reseal(&batch);
  EXPECT_EQ(Code::kCorruption, VerifyBatch(batch).code());
}

// ---- Damage the reader must catch ----

TEST(RecordBatch, TruncatedBatchIsCorruption) {
  std::string batch = OneRecordBatch("k", "v");
  for (size_t cut : {size_t{0}, size_t{10}, size_t{17}, size_t{60}, batch.size() - 1}) {
    std::string_view part(batch.data(), cut);
    EXPECT_EQ(Code::kCorruption, VerifyBatch(part).code()) << "cut=" << cut;
    EXPECT_EQ(Code::kCorruption, ReadStatus(part).code()) << "cut=" << cut;
  }
}

TEST(RecordBatch, LengthBelowHeaderIsCorruption) {
  std::string batch = OneRecordBatch("k", "v");
  Poke<int32_t>(&batch, format::kLengthPos, 48);
  EXPECT_EQ(Code::kCorruption, ParseBatchHeader(batch).status().code());
  Poke<int32_t>(&batch, format::kLengthPos, -5);
  EXPECT_EQ(Code::kCorruption, VerifyBatch(batch).code());
}

TEST(RecordBatch, LengthDisagreeingWithBytesIsCorruption) {
  std::string batch = OneRecordBatch("k", "v");
  Poke<int32_t>(&batch, format::kLengthPos, 59);
  EXPECT_EQ(Code::kCorruption, VerifyBatch(batch).code());
  EXPECT_EQ(Code::kCorruption, ReadStatus(batch).code());
  std::string longer = OneRecordBatch("k", "v") + "x";
  EXPECT_EQ(Code::kCorruption, VerifyBatch(longer).code());
}

TEST(RecordBatch, NegativeRecordCountIsCorruption) {
  std::string batch = OneRecordBatch("k", "v");
  Poke<int32_t>(&batch, format::kRecordsCountPos, -1);
  Reseal(&batch);
  EXPECT_EQ(Code::kCorruption, VerifyBatch(batch).code());
}

TEST(RecordBatch, HandMadeBatchReadsBackSoCorruptionTestsStartFromValidBytes) {
  std::string batch = HandMadeBatch(Framed(RecordBody(0, "a", "b")) + Framed(RecordBody(1, "c", "d")), 2);
  ASSERT_TRUE(VerifyBatch(batch).ok());
  auto [r, status] = ReadAll(batch);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(2u, r.size());
  EXPECT_EQ(1001, r[1].offset);
  EXPECT_EQ("d", r[1].value);
}

TEST(RecordBatch, RecordLengthLongerThanFieldsIsCorruption) {
  std::string body = RecordBody(0, "a", "b");
  std::string batch = HandMadeBatch(Framed(body, body.size() + 1) + "x", 1);
  ASSERT_TRUE(VerifyBatch(batch).ok());
  EXPECT_EQ(Code::kCorruption, ReadStatus(batch).code());
}

TEST(RecordBatch, RecordLengthShorterThanFieldsIsCorruption) {
  std::string body = RecordBody(0, "a", "b");
  std::string batch = HandMadeBatch(Framed(body, body.size() - 1), 1);
  EXPECT_EQ(Code::kCorruption, ReadStatus(batch).code());
}

TEST(RecordBatch, RecordLengthPastBatchEndIsCorruption) {
  std::string body = RecordBody(0, "a", "b");
  std::string batch = HandMadeBatch(Framed(body, 1000), 1);
  EXPECT_EQ(Code::kCorruption, ReadStatus(batch).code());
}

TEST(RecordBatch, KeyLengthPastRecordEndIsCorruption) {
  std::string body(1, '\0');
  varint::Append(&body, 0);
  varint::Append(&body, 0);
  varint::Append(&body, 50);  // key length, but only 3 bytes follow
  body += "abc";
  EXPECT_EQ(Code::kCorruption, ReadStatus(HandMadeBatch(Framed(body), 1)).code());
}

TEST(RecordBatch, NegativeHeaderCountIsCorruption) {
  std::string batch = HandMadeBatch(Framed(RecordBody(0, "a", "b", -1)), 1);
  Status s = ReadStatus(batch);
  EXPECT_EQ(Code::kCorruption, s.code());
  EXPECT_NE(std::string::npos, s.message().find("header count"));
}

TEST(RecordBatch, HeaderCountAboveRemainingBytesIsCorruption) {
  std::string batch = HandMadeBatch(Framed(RecordBody(0, "a", "b", 40, "\x02h\x02x")), 1);
  EXPECT_EQ(Code::kCorruption, ReadStatus(batch).code());
}

TEST(RecordBatch, NegativeHeaderKeyLengthIsCorruption) {
  std::string batch = HandMadeBatch(Framed(RecordBody(0, "a", "b", 1, "\x01\x02x")), 1);
  EXPECT_EQ(Code::kCorruption, ReadStatus(batch).code());
}

TEST(RecordBatch, LeftoverBytesAfterDeclaredRecordsAreCorruption) {
  std::string records = Framed(RecordBody(0, "a", "b")) + Framed(RecordBody(1, "c", "d"));
  Status s = ReadStatus(HandMadeBatch(records, 1));
  EXPECT_EQ(Code::kCorruption, s.code());
  EXPECT_NE(std::string::npos, s.message().find("left after"));
}

TEST(RecordBatch, FewerRecordsThanDeclaredIsCorruption) {
  auto [r, status] = ReadAll(HandMadeBatch(Framed(RecordBody(0, "a", "b")), 2));
  EXPECT_EQ(1u, r.size());
  EXPECT_EQ(Code::kCorruption, status.code());
}

TEST(RecordBatch, OverlongVarintInRecordIsCorruption) {
  std::string body(1, '\0');
  body += std::string(11, '\x80');  // timestamp delta that never ends
  EXPECT_EQ(Code::kCorruption, ReadStatus(HandMadeBatch(Framed(body), 1)).code());
}

TEST(RecordBatch, ReaderStopsForGoodAfterCorruption) {
  std::string records = Framed(RecordBody(0, "a", "b")) + Framed(RecordBody(1, "c", "d"), 99);
  std::string batch = HandMadeBatch(records, 2);
  RecordReader reader(batch);
  RecordView rec;
  EXPECT_TRUE(reader.Next(&rec));
  EXPECT_FALSE(reader.Next(&rec));
  EXPECT_FALSE(reader.Next(&rec));
  EXPECT_EQ(Code::kCorruption, reader.status().code());
}

// ---- Timestamps ----

TEST(RecordBatch, LogAppendTimeReportsMaxTimestampForEveryRecord) {
  BatchBuilder b;
  b.Reset(Offset(0), Timestamp(100));
  b.SetAttributes(format::kTimestampTypeBit);
  b.Add(Offset(0), Timestamp(100), std::nullopt, "a");
  b.Add(Offset(1), Timestamp(900), std::nullopt, "b");
  b.Add(Offset(2), Timestamp(50), std::nullopt, "c");
  std::string batch(b.Finish());
  auto [r, status] = ReadAll(batch);
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(3u, r.size());
  for (const Decoded& d : r) EXPECT_EQ(900, d.timestamp);
}

TEST(RecordBatch, CreateTimeReportsEachRecordsOwnTimestamp) {
  BatchBuilder b;
  b.Reset(Offset(0), Timestamp(100));
  b.Add(Offset(0), Timestamp(100), std::nullopt, "a");
  b.Add(Offset(1), Timestamp(900), std::nullopt, "b");
  auto [r, status] = ReadAll(b.Finish());
  ASSERT_EQ(2u, r.size());
  EXPECT_EQ(100, r[0].timestamp);
  EXPECT_EQ(900, r[1].timestamp);
}

// ---- Builder bookkeeping ----

TEST(RecordBatch, SizeWithEqualsSizeAfterAdd) {
  BatchBuilder b;
  b.Reset(Offset(1'000'000), Timestamp(1'700'000'000'000));
  std::string big(20000, 'q');
  EXPECT_EQ(70, b.SizeWith(Offset(1'000'000), Timestamp(1'700'000'000'000), 1, true, 1, 0));
  struct Case {
    int64_t offset;
    int64_t ts;
    std::optional<std::string_view> key;
    std::optional<std::string_view> value;
    std::vector<RecordHeader> headers;
  };
  std::vector<Case> cases = {
      {1'000'000, 1'700'000'000'000, "k", "v", {}},
      {1'000'001, 1'699'999'000'000, std::nullopt, "value", {}},
      {1'000'100, 1'700'000'000'005, "key", std::nullopt, {}},
      {1'050'000, 1'700'000'100'000, std::string_view(big).substr(0, 200), std::string_view(big), {}},
      {1'060'000, 1'700'000'000'000, "", "", {{"h", "x"}, {"sep", std::nullopt}}},
      {1'070'000, 1'700'000'000'000, std::nullopt, std::string_view(big).substr(0, 63), {{"k", ""}}},
  };
  for (const Case& c : cases) {
    size_t headers_size = 0;
    for (const RecordHeader& h : c.headers) {
      headers_size += varint::EncodedSize(static_cast<int64_t>(h.key.size())) + h.key.size();
      headers_size += h.value ? varint::EncodedSize(static_cast<int64_t>(h.value->size())) + h.value->size() : 1;
    }
    int64_t predicted = b.SizeWith(Offset(c.offset), Timestamp(c.ts), c.key ? c.key->size() : 0,
                                   c.key.has_value(), c.value ? c.value->size() : 0, headers_size);
    switch (c.headers.size()) {
      case 0: b.Add(Offset(c.offset), Timestamp(c.ts), c.key, c.value); break;
      case 1: b.Add(Offset(c.offset), Timestamp(c.ts), c.key, c.value, {c.headers[0]}); break;
      default: b.Add(Offset(c.offset), Timestamp(c.ts), c.key, c.value, {c.headers[0], c.headers[1]});
    }
    EXPECT_EQ(predicted, b.size()) << "record at " << c.offset;
  }
  EXPECT_EQ(b.size(), static_cast<int64_t>(b.Finish().size()));
}

TEST(RecordBatch, BuilderTracksCountLastOffsetAndMaxTimestamp) {
  BatchBuilder b;
  b.Reset(Offset(10), Timestamp(5));
  EXPECT_TRUE(b.empty());
  b.Add(Offset(10), Timestamp(5), "a", "b");
  b.Add(Offset(14), Timestamp(9), "a", "b");
  b.Add(Offset(15), Timestamp(7), "a", "b");
  EXPECT_FALSE(b.empty());
  EXPECT_EQ(3, b.records());
  EXPECT_EQ(Offset(10), b.base_offset());
  EXPECT_EQ(Offset(15), b.last_offset());
  EXPECT_EQ(Timestamp(9), b.max_timestamp());
}

TEST(RecordBatch, ReusedBuilderProducesIdenticalBatches) {
  BatchBuilder b;
  std::string first;
  for (int round = 0; round < 3; ++round) {
    b.Reset(Offset(0), Timestamp(0));
    b.Add(Offset(0), Timestamp(0), "k", "v", {{"h", "1"}});
    std::string batch(b.Finish());
    if (round == 0) first = batch;
    EXPECT_EQ(first, batch);
  }
}

TEST(RecordBatch, AddLinesOfOneLineEncodesWhatAddEncodes) {
  std::string big(300'000, 'v');
  BatchBuilder by_lines, by_add;
  for (int64_t base : {int64_t{0}, int64_t{1'000'000'000'000}}) {
    by_lines.Reset(Offset(base), Timestamp(1'700'000'000'000));
    by_add.Reset(Offset(base), Timestamp(1'700'000'000'000));
    // Offset deltas of 1 to 4 varint bytes, timestamps before and after the
    // base, values of 0 to 3 length bytes.
    const int64_t deltas[] = {0, 1, 63, 64, 8191, 8192, 1'048'575, 1'048'576, 100'000'000};
    const int64_t ts[] = {0, -1, 5, -100'000, 70'000'000'000};
    const size_t sizes[] = {0, 1, 63, 64, 8191, 8192, 300'000};
    for (int i = 0; i < 9; ++i) {
      Offset offset(base + deltas[i]);
      Timestamp t(1'700'000'000'000 + ts[i % 5]);
      std::string_view value = std::string_view(big).substr(0, sizes[i % 7]);
      by_lines.AddLines(offset, t, std::string(value) + "\n");
      by_add.Add(offset, t, std::nullopt, value);
    }
    std::string a(by_lines.Finish()), b(by_add.Finish());
    EXPECT_EQ(b, a);
    EXPECT_TRUE(VerifyBatch(a).ok());
  }
}

// Batches built one after another in one builder (ResetAfterFinished) are,
// byte for byte, the batches built apart; AddLines' stop_at leaves the
// lines after the one that reached it for the next batch.
TEST(RecordBatch, BatchesBuiltInARowAreTheBatchesBuiltApart) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "line number " + std::to_string(i) + " of the write\n";
  const Timestamp t(1'700'000'000'000);
  BatchBuilder row, apart;
  std::string expected;
  Offset offset(1000);
  const char* p = text.data();
  const char* const end = p + text.size();
  row.Reset(offset, t);
  int batches = 0;
  while (p < end) {
    if (batches > 0) row.ResetAfterFinished(offset, t);
    EXPECT_EQ(row.size(), 61);
    EXPECT_EQ(row.batch_start(), static_cast<int64_t>(expected.size()));
    const Offset from = offset;
    offset = row.AddLines(offset, t, std::string_view(p, static_cast<size_t>(end - p)), /*stop_at=*/2000);
    const std::string_view lines(p, static_cast<size_t>(offset - from));
    p += lines.size();
    const int64_t size = row.size();
    EXPECT_GE(size, p == end ? 0 : 2000);
    EXPECT_LT(size, 2000 + 80);  // at most one line past stop_at
    const std::string_view batch = row.Finish();
    EXPECT_TRUE(VerifyBatch(batch).ok());
    apart.Reset(from, t);
    apart.AddLines(from, t, lines);
    EXPECT_EQ(batch, apart.Finish());
    expected.append(batch);
    ++batches;
  }
  EXPECT_GT(batches, 5);
  EXPECT_EQ(row.Finished(), expected);
}

TEST(RecordBatch, AddLinesEncodesWhatAddEncodesPerLine) {
  // Line lengths around every varint boundary of the value and body sizes,
  // in runs (the copy guesses the header from the last line) and alone;
  // offset deltas crossing varint sizes; short texts that end within one
  // copy block.
  std::vector<size_t> sizes;
  for (size_t s : {0, 1, 15, 16, 17, 50, 55, 56, 57, 63, 64, 65, 99, 8180, 8185, 8191, 8192, 70'000}) {
    sizes.push_back(s);
    sizes.push_back(s);
    sizes.push_back(s);
  }
  for (size_t s : {64, 0, 8192, 3, 99, 100'000, 1, 63}) sizes.push_back(s);
  std::string text;
  for (size_t i = 0; i < sizes.size(); ++i) {
    text.append(sizes[i], static_cast<char>('a' + i % 26));
    text.push_back('\n');
  }
  for (std::string_view piece : {std::string_view(text), std::string_view("x\n"),
                                 std::string_view("\n"), std::string_view("\n\n\n")}) {
    for (int64_t base : {int64_t{0}, int64_t{1'000'000}}) {
      BatchBuilder by_lines, by_add;
      const Timestamp t(1'700'000'000'000);
      by_lines.Reset(Offset(base), Timestamp(1'600'000'000'000));
      by_add.Reset(Offset(base), Timestamp(1'600'000'000'000));
      // A first record added on its own, as AppendText adds a pending line.
      by_lines.AddLines(Offset(base), t, "pending\n");
      by_add.Add(Offset(base), t, std::nullopt, "pending");
      const Offset end = by_lines.AddLines(Offset(base + 8), t, piece);
      Offset offset(base + 8);
      for (size_t start = 0; start < piece.size();) {
        size_t nl = piece.find('\n', start);
        by_add.Add(offset, t, std::nullopt, piece.substr(start, nl - start));
        offset = Offset(offset.value + static_cast<int64_t>(nl - start) + 1);
        start = nl + 1;
      }
      EXPECT_EQ(offset, end);
      EXPECT_EQ(by_add.records(), by_lines.records());
      std::string a(by_lines.Finish()), b(by_add.Finish());
      EXPECT_EQ(b, a) << "text of " << piece.size() << " bytes at base " << base;
      EXPECT_TRUE(VerifyBatch(a).ok());
    }
  }
}

TEST(RecordBatch, AddLinesBelowAndAcrossTheBaseOffset) {
  // Offset deltas from -1,000 to +1,000: their varint sizes shrink, then
  // grow again.
  std::string text;
  for (int i = 0; i < 200; ++i) text += "line " + std::to_string(1000 + i) + "\n";  // 10 bytes
  BatchBuilder by_lines, by_add;
  by_lines.Reset(Offset(1000), Timestamp(5));
  by_add.Reset(Offset(1000), Timestamp(5));
  EXPECT_EQ(Offset(2000), by_lines.AddLines(Offset(0), Timestamp(5), text));
  for (int i = 0; i < 200; ++i) {
    by_add.Add(Offset(10 * i), Timestamp(5), std::nullopt, text.substr(10 * i, 9));
  }
  EXPECT_EQ(std::string(by_add.Finish()), std::string(by_lines.Finish()));
}

// Readable pages, each followed by a PROT_NONE one: bytes placed to end at
// EndOf(i) show any access past them as a crash. Unmapped at scope exit.
class GuardedPages {
 public:
  explicit GuardedPages(int readable)
      : page_(static_cast<size_t>(sysconf(_SC_PAGESIZE))), size_(2 * page_ * static_cast<size_t>(readable)) {
    void* map = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) return;
    map_ = static_cast<char*>(map);
    for (int i = 0; i < readable; ++i) {
      if (mprotect(EndOf(i), page_, PROT_NONE) != 0) ok_ = false;
    }
  }
  ~GuardedPages() {
    if (map_ != nullptr) munmap(map_, size_);
  }
  bool ok() const { return map_ != nullptr && ok_; }
  // Just past the last byte of readable page i.
  char* EndOf(int i) const { return map_ + (2 * static_cast<size_t>(i) + 1) * page_; }

 private:
  const size_t page_;
  const size_t size_;
  char* map_ = nullptr;
  bool ok_ = true;
};

TEST(RecordBatch, AddLinesReadsNothingPastTheText) {
  // The text ends at the end of a readable page: the copy must stop there.
  GuardedPages pages(1);
  ASSERT_TRUE(pages.ok());
  for (size_t len : {1, 2, 15, 16, 17, 31, 100}) {
    char* text = pages.EndOf(0) - len;
    std::memset(text, 'z', len - 1);
    text[len - 1] = '\n';
    BatchBuilder b;
    b.Reset(Offset(0), Timestamp(0));
    EXPECT_EQ(Offset(static_cast<int64_t>(len)), b.AddLines(Offset(0), Timestamp(0), {text, len}));
    auto [r, status] = ReadAll(b.Finish());
    ASSERT_TRUE(status.ok()) << status.ToString();
    ASSERT_EQ(1u, r.size());
    EXPECT_EQ(std::string(len - 1, 'z'), *r[0].value);
  }
}

// Records the inline decoder takes (keyless or keyed values, no headers)
// between ones it leaves to the checked one: "plain" at 0, a record with a
// header at 10, a tombstone at 20, "keyed" (key "key") at 30, a value of
// kMixedBigValue bytes (a four-byte length varint) at 40 and "" at 50.
constexpr size_t kMixedBigValue = 2'100'000;

std::string MixedBatch() {
  BatchBuilder b;
  b.Reset(Offset(0), Timestamp(0));
  b.AddLines(Offset(0), Timestamp(0), "plain\n");
  b.Add(Offset(10), Timestamp(0), "k", "v", {{"h", "1"}});
  b.Add(Offset(20), Timestamp(0), "k", std::nullopt);
  b.Add(Offset(30), Timestamp(0), "key", "keyed");
  b.AddLines(Offset(40), Timestamp(0), std::string(kMixedBigValue, 'x') + "\n");
  b.AddLines(Offset(50), Timestamp(0), "\n");
  return std::string(b.Finish());
}

TEST(RecordBatch, PlainAndOtherRecordsMixedInABatchAllDecode) {
  // Every record comes out, in order.
  auto [r, status] = ReadAll(MixedBatch());
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(6u, r.size());
  EXPECT_EQ(std::optional<std::string>("plain"), r[0].value);
  EXPECT_EQ(1, r[1].header_count);
  EXPECT_EQ(std::nullopt, r[2].value);
  EXPECT_EQ(std::optional<std::string>("key"), r[3].key);
  EXPECT_EQ(kMixedBigValue, r[4].value->size());
  EXPECT_EQ(std::optional<std::string>(""), r[5].value);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(i * 10, r[i].offset);
}

// ---- CopyPlainValues: a sequential read's loop ----

// Lines of every size around the 32-byte copy blocks and the varint
// boundaries of the value and body lengths, ending in "\n" each.
std::string LinesOfManySizes() {
  std::string text;
  int i = 0;
  for (size_t s : {0, 1, 15, 16, 17, 31, 32, 33, 50, 63, 64, 65, 99, 100, 8180, 8191, 8192, 70'000, 3}) {
    text.append(s, static_cast<char>('a' + i++ % 26));
    text.push_back('\n');
  }
  return text;
}

TEST(RecordBatch, CopyPlainValuesCopiesEveryLineAsItWasWritten) {
  const std::string text = LinesOfManySizes();
  BatchBuilder b;
  b.Reset(Offset(1000), Timestamp(5));
  const Offset end = b.AddLines(Offset(1000), Timestamp(5), text);
  RecordReader reader(b.Finish());
  std::string out(text.size(), '?');
  Offset copied_end(-1);
  EXPECT_EQ(static_cast<int64_t>(text.size()),
            reader.CopyPlainValues(out.data(), static_cast<int64_t>(out.size()), &copied_end));
  EXPECT_EQ(text, out);
  EXPECT_EQ(end, copied_end);
  EXPECT_EQ(0, reader.remaining());
  RecordView rec;
  EXPECT_FALSE(reader.Next(&rec));
  EXPECT_TRUE(reader.status().ok()) << reader.status().ToString();
}

TEST(RecordBatch, CopyPlainValuesStopsBeforeTheFirstLineThatDoesNotFit) {
  const std::string text = LinesOfManySizes();
  BatchBuilder b;
  b.Reset(Offset(0), Timestamp(0));
  b.AddLines(Offset(0), Timestamp(0), text);
  const std::string batch(b.Finish());
  std::vector<int64_t> rooms = {0};
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', nl + 1)) {
    const auto whole = static_cast<int64_t>(nl) + 1;
    rooms.insert(rooms.end(), {whole - 1, whole, whole + 1});
  }
  for (int64_t room : rooms) {
    RecordReader reader(batch);
    std::string out(static_cast<size_t>(room), '?');
    Offset end(-1);
    const int64_t copied = reader.CopyPlainValues(out.data(), room, &end);
    // The whole lines that fit, and the reader stands on the next one.
    const size_t last_nl = room == 0 ? std::string::npos : text.rfind('\n', static_cast<size_t>(room - 1));
    const int64_t fits = last_nl == std::string::npos ? 0 : static_cast<int64_t>(last_nl) + 1;
    ASSERT_EQ(fits, copied) << "room " << room;
    EXPECT_EQ(text.substr(0, static_cast<size_t>(fits)), out.substr(0, static_cast<size_t>(fits)));
    EXPECT_EQ(copied > 0 ? Offset(fits) : Offset(-1), end);
    RecordView rec;
    if (fits == static_cast<int64_t>(text.size())) {
      EXPECT_FALSE(reader.Next(&rec));
      continue;
    }
    ASSERT_TRUE(reader.Next(&rec));
    EXPECT_EQ(fits, rec.offset.value);
    EXPECT_EQ(text.substr(static_cast<size_t>(fits), text.find('\n', static_cast<size_t>(fits)) - static_cast<size_t>(fits)),
              *rec.value);
  }
}

TEST(RecordBatch, CopyPlainValuesLeavesOtherRecordsToNext) {
  // Keyed values are copied as their value; headers, tombstones and a
  // length varint of four bytes are left to Next, and the copy resumes after.
  const std::string batch = MixedBatch();
  RecordReader reader(batch);
  char out[64];
  Offset end(-1);
  RecordView rec;
  EXPECT_EQ(6, reader.CopyPlainValues(out, sizeof(out), &end));
  EXPECT_EQ("plain\n", std::string(out, 6));
  EXPECT_EQ(Offset(6), end);
  ASSERT_TRUE(reader.Next(&rec));
  EXPECT_EQ(1, rec.header_count);
  EXPECT_EQ(0, reader.CopyPlainValues(out, sizeof(out), &end));
  EXPECT_EQ(Offset(6), end);
  ASSERT_TRUE(reader.Next(&rec));
  EXPECT_EQ(std::nullopt, rec.value);
  EXPECT_EQ(6, reader.CopyPlainValues(out, sizeof(out), &end));
  EXPECT_EQ("keyed\n", std::string(out, 6));
  EXPECT_EQ(Offset(36), end);
  ASSERT_TRUE(reader.Next(&rec));
  EXPECT_EQ(kMixedBigValue, rec.value->size());
  EXPECT_EQ(1, reader.CopyPlainValues(out, sizeof(out), &end));
  EXPECT_EQ('\n', out[0]);
  EXPECT_EQ(Offset(51), end);
  EXPECT_FALSE(reader.Next(&rec));
  EXPECT_TRUE(reader.status().ok()) << reader.status().ToString();
}

TEST(RecordBatch, CopyPlainValuesTouchesNothingPastTheBatchOrTheRoom) {
  // The batch ends at the end of a readable page, and so does the output:
  // the block copies must fall back to exact ones there.
  GuardedPages pages(2);
  ASSERT_TRUE(pages.ok());
  for (size_t len : {1, 2, 15, 16, 17, 31, 32, 33, 100}) {
    std::string text;
    for (int i = 0; i < 3; ++i) text += std::string(len - 1, static_cast<char>('p' + i)) + "\n";
    BatchBuilder b;
    b.Reset(Offset(0), Timestamp(0));
    b.AddLines(Offset(0), Timestamp(0), text);
    const std::string_view built = b.Finish();
    char* batch = pages.EndOf(0) - built.size();
    std::memcpy(batch, built.data(), built.size());
    char* out = pages.EndOf(1) - text.size();
    RecordReader reader({batch, built.size()});
    Offset end;
    ASSERT_EQ(static_cast<int64_t>(text.size()),
              reader.CopyPlainValues(out, static_cast<int64_t>(text.size()), &end));
    EXPECT_EQ(text, std::string(out, text.size()));
  }
}

TEST(RecordBatch, CopyPlainValuesStopsAtACorruptRecordForNextToReport) {
  std::string bad = RecordBody(2, "a", "b");
  std::string batch = HandMadeBatch(Framed(RecordBody(0, "", "first")) + Framed(bad, bad.size() + 1) + "x", 2);
  RecordReader reader(batch);
  char out[64];
  Offset end(-1);
  EXPECT_EQ(6, reader.CopyPlainValues(out, sizeof(out), &end));
  EXPECT_EQ("first\n", std::string(out, 6));
  EXPECT_EQ(Offset(1006), end);
  RecordView rec;
  EXPECT_FALSE(reader.Next(&rec));
  EXPECT_EQ(Code::kCorruption, reader.status().code());
}

}  // namespace
}  // namespace topicfs::store
