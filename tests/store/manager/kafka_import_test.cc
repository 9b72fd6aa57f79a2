// KafkaImport: a partition directory as a Kafka broker writes it (built
// here batch by batch at Kafka's consecutive offsets) copied into a
// topicfs partition: records, order, codecs, producer fields, timestamps,
// transactions, the offset map and the translated group positions.

#include "store/manager/kafka_import.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/base/big_endian.h"
#include "store/base/format.h"
#include "store/format/batch_builder.h"
#include "store/format/batch_compression.h"
#include "store/format/consumer_offsets_format.h"
#include "store/format/file_names.h"
#include "store/format/presented_record.h"
#include "store/manager/group_offsets.h"
#include "store/manager/kafka_partition_reader.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

namespace fs = std::filesystem;
using testing::ReadAll;
using testing::TempDir;

constexpr int64_t kTime = 1'700'000'000'000;

// Writes batches into a Kafka segment file as a broker lays them out.
class KafkaSegmentWriter {
 public:
  explicit KafkaSegmentWriter(std::string path) : path_(std::move(path)) {}
  ~KafkaSegmentWriter() { testing::WriteFile(path_, bytes_); }

  // Values at consecutive offsets from `base`, with the given codec and
  // producer fields; `attributes` adds the transactional bit.
  void Values(int64_t base, std::vector<std::string> values, Codec codec = Codec::kNone, int64_t pid = -1,
              int32_t seq = -1, int16_t attributes = 0) {
    b_.Reset(Offset(base), Timestamp(kTime + base));
    b_.SetProducer(pid, pid < 0 ? -1 : 0, seq);
    b_.SetAttributes(attributes);
    for (size_t i = 0; i < values.size(); ++i) {
      b_.Add(Offset(base + static_cast<int64_t>(i)), Timestamp(kTime + base + static_cast<int64_t>(i)),
             std::nullopt, values[i]);
    }
    Put(codec);
  }
  // A transaction marker of producer `pid` at `offset`.
  void Marker(int64_t offset, int64_t pid, bool commit) {
    std::string key(4, '\0'), value(6, '\0');
    be::Store<int16_t>(key.data() + 2, commit ? 1 : 0);
    b_.Reset(Offset(offset), Timestamp(kTime + offset));
    b_.SetProducer(pid, 0, -1);
    b_.SetAttributes(format::kTransactionalBit | format::kControlBit);
    b_.Add(Offset(offset), Timestamp(kTime + offset), std::string_view(key), std::string_view(value));
    Put(Codec::kNone);
  }
  BatchBuilder& builder() { return b_; }
  void Put(Codec codec) {
    std::string_view plain = b_.Finish();
    if (codec == Codec::kNone) {
      bytes_.append(plain);
      return;
    }
    std::string compressed;
    ASSERT_TRUE(CompressBatch(plain, codec, DefaultLevel(codec), &compressed).ok());
    bytes_.append(compressed);
  }
  std::string& bytes() { return bytes_; }

 private:
  std::string path_;
  std::string bytes_;
  BatchBuilder b_;
};

class KafkaImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(source_);
    LogManager::Options o;
    o.data_dir = data_;
    o.clock = &clock_;
    auto m = LogManager::Open(o);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    manager_ = std::move(m).value();
  }

  // Two segments: plain records, an lz4 batch of an idempotent producer, a
  // committed transaction interleaved with another record, an aborted one,
  // a transaction never finished, and a batch a Kafka cleaner left with a
  // gap in its offsets.
  void WriteKafkaPartition() {
    {
      KafkaSegmentWriter seg(source_ + "/00000000000000000000.log");
      seg.Values(0, {"zero", "one", "two"});
      seg.Values(3, {"three", "four", "five"}, Codec::kLz4, /*pid=*/7, /*seq=*/0);
      seg.Values(6, {"six", "seven"}, Codec::kNone, 9, 0, format::kTransactionalBit);
      seg.Values(8, {"eight"});
      seg.Marker(9, 9, /*commit=*/true);
      seg.Values(10, {"aborted-10", "aborted-11"}, Codec::kZstd, 10, 0, format::kTransactionalBit);
      seg.Marker(12, 10, /*commit=*/false);
    }
    KafkaSegmentWriter seg(source_ + "/00000000000000000013.log");
    seg.Values(13, {"thirteen", "fourteen"}, Codec::kGzip);
    seg.Values(15, {"open-15"}, Codec::kNone, 11, 0, format::kTransactionalBit);
    BatchBuilder& b = seg.builder();
    b.Reset(Offset(16), Timestamp(kTime + 16));
    b.Add(Offset(16), Timestamp(kTime + 16), std::string_view("k16"), std::string_view("sixteen"));
    b.Add(Offset(18), Timestamp(kTime + 18), std::string_view("k18"), std::string_view("eighteen"),
          {{"h", std::string_view("v")}});
    seg.Put(Codec::kSnappy);
  }

  Result<KafkaImport::Summary> Import(KafkaImport::Options o = {}) {
    o.source_dir = source_;
    return KafkaImport::Run(*manager_, o);
  }

  TempDir tmp_;
  const std::string kafka_ = tmp_ / "kafka";
  const std::string source_ = kafka_ + "/orders-0";
  const std::string data_ = tmp_ / "data";
  FakeClock clock_;
  std::unique_ptr<LogManager> manager_;
};

TEST_F(KafkaImportTest, CopiesCommittedRecordsInOffsetOrderAndDropsAbortedOnesAndMarkers) {
  WriteKafkaPartition();
  auto summary = Import();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  auto log = manager_->GetLog("orders", 0);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(ReadAll(*log),
            "zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nthirteen\nfourteen\nsixteen\neighteen\n");
  EXPECT_EQ(summary->records, 13);
  EXPECT_EQ(summary->control_batches, 2);
  EXPECT_EQ(summary->aborted_records, 2);
  EXPECT_EQ(summary->unfinished_records, 1);
  EXPECT_EQ(summary->kafka_first, 0);
  EXPECT_EQ(summary->kafka_last, 18);
  EXPECT_EQ(summary->end, log->log_end_offset());
}

TEST_F(KafkaImportTest, KeepsTimestampsKeysHeadersCodecsAndProducerFields) {
  WriteKafkaPartition();
  ASSERT_TRUE(Import().ok());
  const std::string dir = data_ + "/orders-0";
  ASSERT_TRUE(manager_->Close().ok());
  auto reader = KafkaPartitionReader::Open(dir);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<Codec> codecs;
  std::vector<int64_t> pids;
  std::vector<int64_t> times;
  std::vector<std::string> keys;
  int64_t position = 0;
  for (;;) {
    auto b = (*reader)->Next(true);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    if (!*b) break;
    codecs.push_back((*b)->codec);
    pids.push_back((*b)->header.producer_id);
    EXPECT_FALSE((*b)->header.attributes & format::kTransactionalBit);
    for (const RecordView& r : (*b)->records) {
      EXPECT_EQ(r.offset.value, position) << "offsets are byte positions";
      position += PresentedSize(r);
      times.push_back(r.timestamp.value - kTime);
      keys.push_back(r.key ? std::string(*r.key) : "-");
      if (r.key && *r.key == "k18") {
        EXPECT_EQ(r.FindHeader("h"), std::optional<std::string_view>("v"));
      }
    }
  }
  EXPECT_EQ(codecs, (std::vector<Codec>{Codec::kNone, Codec::kLz4, Codec::kNone, Codec::kNone, Codec::kGzip,
                                        Codec::kSnappy}));
  EXPECT_EQ(pids, (std::vector<int64_t>{-1, 7, 9, -1, -1, -1}));
  EXPECT_EQ(times, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 13, 14, 16, 18}));
  EXPECT_EQ(keys.back(), "k18");
}

TEST_F(KafkaImportTest, TheMapGivesEveryCopiedBatchsKafkaAndTopicfsOffsets) {
  WriteKafkaPartition();
  auto summary = Import();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->map_path, data_ + "/orders-0/kafka-offsets.map");
  // "zero\none\ntwo\n" is 13 bytes, "three\nfour\nfive\n" 16, and so on.
  EXPECT_EQ(testing::ReadFile(summary->map_path),
            "# topicfs import of " + source_ +
                ": kafka_first kafka_last topicfs_first topicfs_end, per batch\n"
                "0 2 0 13\n3 5 13 29\n6 7 29 39\n8 8 39 45\n13 14 45 63\n16 18 63 " +
                std::to_string(summary->end.value) + "\n");
}

TEST_F(KafkaImportTest, GroupPositionsAreTranslatedToTheSameRecord) {
  WriteKafkaPartition();
  fs::create_directories(kafka_ + "/__consumer_offsets-0");
  {
    KafkaSegmentWriter seg(kafka_ + "/__consumer_offsets-0/00000000000000000000.log");
    BatchBuilder& b = seg.builder();
    b.Reset(Offset(0), Timestamp(kTime));
    int64_t o = 0;
    auto commit = [&](std::string group, std::string topic, int64_t offset, bool tombstone = false) {
      std::string key = consumer_offsets::EncodeKey({group, topic, 0});
      consumer_offsets::OffsetCommitValue v;
      v.offset = offset;
      std::string value = consumer_offsets::EncodeValue(v);
      b.Add(Offset(o++), Timestamp(kTime), std::string_view(key),
            tombstone ? std::nullopt : std::optional<std::string_view>(value));
    };
    commit("at-lz4-batch", "orders", 3);
    commit("in-aborted", "orders", 11);
    commit("inside-batch", "orders", 4);
    commit("past-the-end", "orders", 19);
    commit("forgotten", "orders", 2);
    commit("forgotten", "orders", 0, /*tombstone=*/true);
    commit("other-topic", "payments", 1);
    seg.Put(Codec::kNone);
  }
  fs::create_directories(kafka_ + "/__consumer_offsets-1");  // empty, as a broker leaves them
  KafkaImport::Options o;
  o.groups_from = kafka_;
  auto summary = Import(o);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  const Offset end = summary->end;
  EXPECT_EQ(summary->groups, (std::map<std::string, Offset>{
                                 {"at-lz4-batch", Offset(13)},   // "three"
                                 {"in-aborted", Offset(45)},     // "thirteen", the next copied
                                 {"inside-batch", Offset(19)},   // "four"
                                 {"past-the-end", end}}));
  auto groups = GroupOffsets::Open(*manager_, clock_);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  EXPECT_EQ((*groups)->Committed("inside-batch", {"orders", 0}), Offset(19));
  EXPECT_EQ((*groups)->Committed("other-topic", {"orders", 0}), std::nullopt);
}

// A Kafka cleaner removes records from an idempotent producer's batches,
// so its sequences skip: what a live producer's batch may not do is a
// copied log's normal state.
TEST_F(KafkaImportTest, AnIdempotentProducersSequencesMaySkipAfterKafkasCleaner) {
  {
    KafkaSegmentWriter seg(source_ + "/00000000000000000000.log");
    seg.Values(0, {"a", "b", "c"}, Codec::kNone, /*pid=*/5, /*seq=*/0);
    seg.Values(5, {"f"}, Codec::kNone, 5, /*seq=*/5);  // seq 3 and 4 cleaned away
    seg.Values(6, {"g"}, Codec::kNone, 5, /*seq=*/6);
  }
  auto summary = Import();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(ReadAll(*manager_->GetLog("orders", 0)), "a\nb\nc\nf\ng\n");
  // The producer goes on where the copied log left it.
  const auto state = manager_->GetLog("orders", 0)->ProducerStateEntries();
  ASSERT_EQ(state.size(), 1u);
  EXPECT_EQ(state[0].producer_id, 5);
  EXPECT_EQ(state[0].last_sequence, 6);
}

TEST_F(KafkaImportTest, RefusesANonEmptyPartitionAndChangesNothing) {
  WriteKafkaPartition();
  ASSERT_TRUE(manager_->CreateTopic("orders").ok());
  std::string_view line = "mine";
  ASSERT_TRUE(manager_->GetLog("orders", 0)->Append({&line, 1}).ok());
  auto summary = Import();
  EXPECT_EQ(summary.status().code(), Code::kAlreadyExists) << summary.status().ToString();
  EXPECT_EQ(ReadAll(*manager_->GetLog("orders", 0)), "mine\n");
  EXPECT_FALSE(testing::FileExists(data_ + "/orders-0/kafka-offsets.map"));
}

TEST_F(KafkaImportTest, ADamagedBatchIsNamedBySegmentAndPositionBeforeAnythingIsWritten) {
  WriteKafkaPartition();
  // A flipped byte in the second batch's records (after its 61-byte header).
  const std::string seg = source_ + "/00000000000000000000.log";
  const int64_t second = 61 + 3 * 10;  // about where the first batch ends
  std::string bytes = testing::ReadFile(seg);
  const int64_t at = PeekFrame(bytes).size() + 70;
  ASSERT_GT(at, second);
  bytes[at] ^= 0x01;
  testing::WriteFile(seg, bytes);
  auto summary = Import();
  ASSERT_EQ(summary.status().code(), Code::kCorruption) << summary.status().ToString();
  EXPECT_NE(summary.status().message().find(seg + " at position " + std::to_string(PeekFrame(bytes).size())),
            std::string::npos)
      << summary.status().message();
  EXPECT_FALSE(manager_->TopicExists("orders"));
}

TEST_F(KafkaImportTest, ADirectoryNotNamedLikeAPartitionIsRefused) {
  KafkaImport::Options o;
  o.source_dir = kafka_;
  EXPECT_EQ(KafkaImport::Run(*manager_, o).status().code(), Code::kInvalidArgument);
  o.source_dir = source_;  // named well, but without a segment
  EXPECT_EQ(KafkaImport::Run(*manager_, o).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace topicfs::store
