// Log::AppendProducedBatches: what a Kafka producer sent, re-encoded at
// offsets in the one coordinate, checked as a broker checks it, all or
// nothing.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/base/big_endian.h"
#include "store/base/format.h"
#include "store/format/batch_builder.h"
#include "store/format/batch_compression.h"
#include "store/format/batch_header.h"
#include "store/format/record_reader.h"
#include "store/log/log.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::ReadAll;
using testing::TempDir;

struct ClientRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp = 1'700'000'000'000;
};

// A batch as a Kafka client builds it: records numbered 0, 1, 2, ...,
// LastOffsetDelta = count - 1, compressed with `codec`.
std::string ClientBatch(const std::vector<ClientRecord>& records, Codec codec = Codec::kNone,
                        int64_t producer_id = -1, int16_t epoch = -1, int32_t sequence = -1) {
  BatchBuilder b;
  b.Reset(Offset(0), Timestamp(records.front().timestamp));
  b.SetProducer(producer_id, epoch, sequence);
  for (size_t i = 0; i < records.size(); ++i) {
    const ClientRecord& r = records[i];
    std::optional<std::string_view> key, value;
    if (r.key) key = *r.key;
    if (r.value) value = *r.value;
    b.Add(Offset(static_cast<int64_t>(i)), Timestamp(r.timestamp), key, value);
  }
  std::string plain(b.Finish());
  if (codec == Codec::kNone) return plain;
  std::string out;
  EXPECT_TRUE(CompressBatch(plain, codec, DefaultLevel(codec), &out).ok());
  return out;
}

// Sets a header field and makes the CRC fit again: an intact batch that
// says something else.
template <typename T>
void PokeAndReseal(std::string* batch, int pos, T value) {
  be::Store<T>(batch->data() + pos, value);
  be::Store<uint32_t>(batch->data() + format::kCrcPos, BatchCrc(*batch));
}

struct Stored {
  BatchHeader header;
  std::vector<RecordView> records;
  std::string bytes;  // keeps records valid
  std::string twin;
};

std::vector<Stored> StoredBatches(const Log& log) {
  std::vector<Stored> out;
  for (const auto& segment : log.Segments()) {
    auto batches = segment->Batches();
    EXPECT_TRUE(batches.ok());
    for (const auto& loc : *batches) {
      auto bytes = segment->BatchBytes(loc);
      EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
      out.emplace_back();
      out.back().bytes = std::string(bytes->second);
    }
  }
  for (Stored& s : out) {
    s.header = *ParseBatchHeader(s.bytes);
    auto readable = ReadableBatch(s.bytes, &s.twin);
    EXPECT_TRUE(readable.ok());
    RecordReader reader(*readable);
    RecordView rec;
    while (reader.Next(&rec)) s.records.push_back(rec);
    EXPECT_TRUE(reader.status().ok()) << reader.status().ToString();
  }
  return out;
}

class LogProduceAppendTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> Open(bool clean = true) {
    Log::Options o;
    o.dir = dir_ / "t-0";
    o.topic_partition = {"t", 0};
    o.config = config_;
    o.clock = &clock_;
    o.had_clean_shutdown = clean;
    return testing::OpenTestLog(o);
  }

  void SetUp() override {
    config_.segment_bytes = 1 << 20;
    config_.segment_index_bytes = 4096;
    config_.index_interval_bytes = 64;
  }

  // The refused append changed nothing.
  void ExpectRefused(Log& log, const std::string& records, Code code) {
    const Offset end = log.log_end_offset();
    const std::string before = ReadAll(log);
    auto r = log.AppendProducedBatches(records);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(code, r.status().code()) << r.status().ToString();
    EXPECT_EQ(end, log.log_end_offset());
    EXPECT_EQ(before, ReadAll(log));
  }

  LogConfig config_;
  TempDir dir_;
  FakeClock clock_;
};

TEST_F(LogProduceAppendTest, RecordsGetByteOffsetsAndPresentAsTheirValues) {
  auto log = Open();
  ASSERT_TRUE(log->AppendText("", "shell line\n").ok());  // 11 bytes
  // An idempotent producer's batch is the only one of its produce
  // (log_idempotence_test.cc), so the plain batch comes in a second.
  auto r = log->AppendProducedBatches(ClientBatch(
      {{"k", "a"}, {std::nullopt, "bb"}, {"k", "ccc", 1'700'000'000'005}}, Codec::kNone, 4711, 3, 17));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Offset(11), r->first_offset);
  EXPECT_EQ(3, r->records);
  EXPECT_EQ(1, r->batches);
  EXPECT_EQ(clock_.Now(), r->append_time);
  r = log->AppendProducedBatches(ClientBatch({{std::nullopt, "dddd"}}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Offset(20), r->first_offset);
  EXPECT_EQ(Offset(11 + 2 + 3 + 4 + 5), r->end_offset);
  EXPECT_EQ(Offset(11 + 2 + 3 + 4 + 5), log->log_end_offset());
  EXPECT_EQ("shell line\na\nbb\nccc\ndddd\n", ReadAll(*log));

  std::vector<Stored> stored = StoredBatches(*log);
  ASSERT_EQ(3u, stored.size());
  const Stored& first = stored[1];
  EXPECT_EQ(Offset(11), first.header.base_offset);
  EXPECT_EQ(Offset(11 + 9 - 1), first.header.last_offset());  // the batch's presented end - 1
  EXPECT_EQ(Offset(20), stored[2].header.base_offset);
  EXPECT_EQ(Offset(24), stored[2].header.last_offset());
  // The producer's fields and timestamps are kept, the keys too.
  EXPECT_EQ(4711, first.header.producer_id);
  EXPECT_EQ(3, first.header.producer_epoch);
  EXPECT_EQ(17, first.header.base_sequence);
  EXPECT_FALSE(first.header.log_append_time());
  EXPECT_EQ(Timestamp(1'700'000'000'005), first.header.max_timestamp);
  ASSERT_EQ(3u, first.records.size());
  EXPECT_EQ(Offset(11), first.records[0].offset);
  EXPECT_EQ(Offset(13), first.records[1].offset);
  EXPECT_EQ(Offset(16), first.records[2].offset);
  EXPECT_EQ(std::optional<std::string_view>("k"), first.records[0].key);
  EXPECT_EQ(Timestamp(1'700'000'000'005), first.records[2].timestamp);
  EXPECT_EQ(-1, stored[2].header.producer_id);
}

TEST_F(LogProduceAppendTest, TombstonePresentsAsItsKey) {
  auto log = Open();
  auto r = log->AppendProducedBatches(ClientBatch({{"gone", std::nullopt}, {"k", "v"}}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ("gone\nv\n", ReadAll(*log));
  EXPECT_EQ(Offset(7), r->end_offset);
}

TEST_F(LogProduceAppendTest, OnAKeyedTopicAProducersKeyedRecordsPresentAsKeySeparatorValue) {
  config_.key_separator = ":";
  auto log = Open();
  auto r = log->AppendProducedBatches(
      ClientBatch({{"k1", "v1"}, {std::nullopt, "plain"}, {"gone", std::nullopt}}, Codec::kLz4));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ("k1:v1\nplain\ngone:\n", ReadAll(*log));
  EXPECT_EQ(Offset(6 + 6 + 6), r->end_offset);
  // A record that names its own separator keeps it.
  BatchBuilder own;
  own.Reset(Offset(0), Timestamp(1'700'000'000'000));
  own.Add(Offset(0), Timestamp(1'700'000'000'000), "k2", "v2", {RecordHeader{format::kSeparatorHeader, "="}});
  ASSERT_TRUE(log->AppendProducedBatches(std::string(own.Finish())).ok());
  // A copied Kafka log (topicfs import) is kept as it was: the value alone.
  ASSERT_TRUE(log->AppendProducedBatches(ClientBatch({{"k3", "v3"}}), Log::ProducedBy::kCopiedLog).ok());
  const std::string all = "k1:v1\nplain\ngone:\nk2=v2\nv3\n";
  EXPECT_EQ(all, ReadAll(*log));
  EXPECT_EQ(Offset(static_cast<int64_t>(all.size())), log->log_end_offset());

  std::vector<Stored> stored = StoredBatches(*log);
  ASSERT_EQ(3u, stored.size());
  const std::vector<RecordView>& produced = stored[0].records;
  ASSERT_EQ(3u, produced.size());
  // Stored as Kafka's console producer stores a parsed key: key and value
  // apart, the separator in the header.
  EXPECT_EQ(std::optional<std::string_view>("k1"), produced[0].key);
  EXPECT_EQ(std::optional<std::string_view>("v1"), produced[0].value);
  EXPECT_EQ(std::optional<std::string_view>(":"), produced[0].FindHeader(format::kSeparatorHeader));
  EXPECT_EQ(0, produced[1].header_count);  // no key: nothing to separate
  EXPECT_EQ(std::optional<std::string_view>(":"), produced[2].FindHeader(format::kSeparatorHeader));
  EXPECT_EQ(1, stored[1].records[0].header_count);
  EXPECT_EQ(0, stored[2].records[0].header_count);

  // The presentation is the records' own: a later key.separator moves nothing.
  config_.key_separator = "|";
  log->UpdateConfig(config_);
  EXPECT_EQ(all, ReadAll(*log));
}

TEST_F(LogProduceAppendTest, ProducerCodecIsKeptWhenCompressionTypeIsProducer) {
  auto log = Open();
  for (Codec codec : {Codec::kGzip, Codec::kSnappy, Codec::kLz4, Codec::kZstd}) {
    ASSERT_TRUE(log->AppendProducedBatches(ClientBatch({{std::nullopt, "x"}, {std::nullopt, "yz"}}, codec)).ok());
  }
  std::vector<Stored> stored = StoredBatches(*log);
  ASSERT_EQ(4u, stored.size());
  EXPECT_EQ(Codec::kGzip, BatchCodec(stored[0].bytes));
  EXPECT_EQ(Codec::kSnappy, BatchCodec(stored[1].bytes));
  EXPECT_EQ(Codec::kLz4, BatchCodec(stored[2].bytes));
  EXPECT_EQ(Codec::kZstd, BatchCodec(stored[3].bytes));
  for (const Stored& s : stored) EXPECT_TRUE(VerifyBatch(s.bytes).ok());
  EXPECT_EQ("x\nyz\nx\nyz\nx\nyz\nx\nyz\n", ReadAll(*log));
  EXPECT_EQ(Offset(5), stored[1].header.base_offset);
  EXPECT_EQ(Offset(9), stored[1].header.last_offset());
}

TEST_F(LogProduceAppendTest, TopicCodecWinsOverTheProducers) {
  config_.compression_type = CompressionType::kLz4;
  auto log = Open();
  ASSERT_TRUE(log->AppendProducedBatches(ClientBatch({{std::nullopt, "snappy in"}}, Codec::kSnappy)).ok());
  config_.compression_type = CompressionType::kUncompressed;
  log->UpdateConfig(config_);
  ASSERT_TRUE(log->AppendProducedBatches(ClientBatch({{std::nullopt, "gzip in"}}, Codec::kGzip)).ok());
  std::vector<Stored> stored = StoredBatches(*log);
  ASSERT_EQ(2u, stored.size());
  EXPECT_EQ(Codec::kLz4, BatchCodec(stored[0].bytes));
  EXPECT_EQ(Codec::kNone, BatchCodec(stored[1].bytes));
  EXPECT_EQ("snappy in\ngzip in\n", ReadAll(*log));
}

TEST_F(LogProduceAppendTest, DamagedOrRefusedBatchesAppendNothing) {
  auto log = Open();
  ASSERT_TRUE(log->AppendText("", "before\n").ok());
  const std::string good = ClientBatch({{std::nullopt, "one"}, {std::nullopt, "two"}});

  std::string crc = good;
  crc.back() ^= 0x40;
  ExpectRefused(*log, good + crc, Code::kCorruption);
  ExpectRefused(*log, good + good.substr(0, good.size() - 3), Code::kCorruption);  // truncated
  ExpectRefused(*log, good + good.substr(0, 10), Code::kCorruption);  // not even a frame
  ExpectRefused(*log, "", Code::kCorruption);
  std::string count = good;
  PokeAndReseal<int32_t>(&count, format::kRecordsCountPos, 3);
  PokeAndReseal<int32_t>(&count, format::kLastOffsetDeltaPos, 2);
  ExpectRefused(*log, count, Code::kCorruption);  // fewer records than it says
  std::string short_length = good;
  be::Store<int32_t>(short_length.data() + format::kLengthPos, 20);
  ExpectRefused(*log, short_length, Code::kCorruption);

  std::string delta = good;
  PokeAndReseal<int32_t>(&delta, format::kLastOffsetDeltaPos, 5);
  ExpectRefused(*log, good + delta, Code::kInvalidArgument);
  std::string legacy = good;
  legacy[format::kMagicPos] = 1;
  ExpectRefused(*log, legacy, Code::kUnsupported);
  std::string control = good;
  PokeAndReseal<int16_t>(&control, format::kAttributesPos, format::kControlBit);
  ExpectRefused(*log, control, Code::kUnsupported);
  std::string transactional = good;
  PokeAndReseal<int16_t>(&transactional, format::kAttributesPos, format::kTransactionalBit);
  ExpectRefused(*log, good + transactional, Code::kUnsupported);

  EXPECT_EQ("before\n", ReadAll(*log));
}

TEST_F(LogProduceAppendTest, NullKeyOnACompactedTopicIsAnInvalidRecord) {
  config_.cleanup_compact = true;
  auto log = Open();
  ExpectRefused(*log, ClientBatch({{"k", "v"}}) + ClientBatch({{std::nullopt, "keyless"}}), Code::kInvalidArgument);
  ASSERT_TRUE(log->AppendProducedBatches(ClientBatch({{"k", "v"}})).ok());
}

TEST_F(LogProduceAppendTest, BatchOverMaxMessageBytesIsTooLarge) {
  config_.max_message_bytes = 200;
  auto log = Open();
  const std::string big = ClientBatch({{std::nullopt, std::string(120, 'x')}});
  ASSERT_LE(big.size(), 200u);
  ASSERT_TRUE(log->AppendProducedBatches(big).ok());
  ExpectRefused(*log, big + ClientBatch({{std::nullopt, std::string(190, 'x')}}), Code::kRecordTooLarge);
  // Just under the limit as sent, over it once the offset deltas take
  // their one-coordinate values (1-byte varints become 2-byte ones).
  std::vector<ClientRecord> many(40, ClientRecord{std::nullopt, "ab"});
  std::string edge = ClientBatch(many);
  config_.max_message_bytes = static_cast<int32_t>(edge.size());
  log->UpdateConfig(config_);
  ExpectRefused(*log, edge, Code::kRecordTooLarge);
}

TEST_F(LogProduceAppendTest, ProducedBatchesSurviveRecovery) {
  std::string expected;
  {
    auto log = Open();
    for (int i = 0; i < 20; ++i) {
      std::vector<ClientRecord> rs;
      for (int k = 0; k <= i % 4; ++k) {
        rs.push_back({"key" + std::to_string(k), "value-" + std::to_string(i) + "-" + std::to_string(k)});
        expected += *rs.back().value + "\n";
      }
      ASSERT_TRUE(log->AppendProducedBatches(ClientBatch(rs, i % 2 ? Codec::kZstd : Codec::kNone)).ok());
    }
    ASSERT_TRUE(log->Close(/*sync_files=*/false).ok());
  }
  auto log = Open(/*clean=*/false);
  EXPECT_TRUE(log->warnings().empty()) << log->warnings().front();
  EXPECT_EQ(Offset(static_cast<int64_t>(expected.size())), log->log_end_offset());
  EXPECT_EQ(expected, ReadAll(*log));
}

}  // namespace
}  // namespace topicfs::store
