// "One end for everyone" (issue 14, point 3): every batch the log writes
// has a LastOffsetDelta covering its last record's presented bytes, so a
// Kafka consumer's position after a batch (last offset + 1) is the log end
// after it. Segments written before that (LastOffsetDelta = the last
// record's delta) load and read as they always did.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/format/batch_builder.h"
#include "store/format/batch_header.h"
#include "store/log/log.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::ReadAll;
using testing::TempDir;

LogConfig SmallConfig() {
  LogConfig c;
  c.segment_bytes = 1 << 20;
  c.segment_index_bytes = 4096;
  c.index_interval_bytes = 64;
  return c;
}

// Every batch header of the log, in order, checked to be intact.
std::vector<BatchHeader> Headers(const Log& log) {
  std::vector<BatchHeader> out;
  for (const auto& segment : log.Segments()) {
    auto batches = segment->Batches();
    EXPECT_TRUE(batches.ok()) << batches.status().ToString();
    if (!batches.ok()) return out;
    for (const auto& loc : *batches) {
      auto bytes = segment->BatchBytes(loc);
      EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
      if (!bytes.ok()) return out;
      auto header = ParseBatchHeader(bytes->second);
      EXPECT_TRUE(header.ok());
      out.push_back(*header);
    }
  }
  return out;
}

// Each batch's last offset + 1 is where the next batch starts, and the last
// batch's is the log end.
void ExpectOneEnd(const Log& log) {
  std::vector<BatchHeader> headers = Headers(log);
  ASSERT_FALSE(headers.empty());
  for (size_t i = 0; i + 1 < headers.size(); ++i) {
    EXPECT_EQ(headers[i].last_offset() + 1, headers[i + 1].base_offset) << "batch " << i;
  }
  EXPECT_EQ(headers.back().last_offset() + 1, log.log_end_offset());
}

class LogOneEndTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> Open(const LogConfig& config = SmallConfig(), bool clean = true) {
    Log::Options o;
    o.dir = dir_ / "t-0";
    o.topic_partition = {"t", 0};
    o.config = config;
    o.clock = &clock_;
    o.had_clean_shutdown = clean;
    return testing::OpenTestLog(o);
  }

  // Writes a first segment as earlier versions did: LastOffsetDelta is the
  // last record's offset delta. Lines of `per_batch` records each.
  void WriteOldShapeSegment(const std::vector<std::string>& lines, size_t per_batch) {
    auto log = Open();
    ASSERT_NE(log, nullptr);
    auto active = log->Segments().back();
    BatchBuilder b;
    Offset offset(0);
    for (size_t i = 0; i < lines.size(); i += per_batch) {
      const Offset base = offset;
      b.Reset(base, Timestamp(1000 + static_cast<int64_t>(i)));
      for (size_t k = i; k < std::min(lines.size(), i + per_batch); ++k) {
        b.Add(offset, Timestamp(1000 + static_cast<int64_t>(k)), std::nullopt, lines[k]);
        offset += static_cast<int64_t>(lines[k].size()) + 1;
      }
      BatchLocation loc;
      loc.base_offset = base;
      loc.last_offset = b.last_record_offset();
      loc.records = b.records();
      loc.max_timestamp = b.max_timestamp();
      std::string_view bytes = b.Finish();
      loc.size = static_cast<int64_t>(bytes.size());
      LogSegment::AppendInfo info;
      info.batches = bytes;
      info.locations = {loc};
      info.next_offset = offset;
      info.max_timestamp = loc.max_timestamp;
      info.offset_of_max_timestamp = loc.last_offset;
      info.records = loc.records;
      ASSERT_TRUE(active->Append(info).ok());
    }
    ASSERT_TRUE(log->Close().ok());
  }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(LogOneEndTest, AppendedBatchEndsWhereTheLogEnds) {
  auto log = Open();
  std::vector<std::string_view> lines = {"alpha", "be", "c"};
  ASSERT_TRUE(log->Append(lines).ok());
  ASSERT_TRUE(log->Append(lines).ok());
  ExpectOneEnd(*log);
  std::vector<BatchHeader> headers = Headers(*log);
  ASSERT_EQ(2u, headers.size());
  // "alpha\nbe\nc\n" is 11 bytes: the first batch's last offset is 10, not
  // the last record's 9.
  EXPECT_EQ(Offset(10), headers[0].last_offset());
  EXPECT_EQ(Offset(21), headers[1].last_offset());
}

TEST_F(LogOneEndTest, TextAppendsKeyedLinesRecordsAndSplitAppendsEndWhereTheLogEnds) {
  LogConfig config = SmallConfig();
  config.max_message_bytes = 200;  // several batches per append
  auto log = Open(config);
  std::string text;
  for (int i = 0; i < 40; ++i) text += "line number " + std::to_string(i) + "\n";
  ASSERT_TRUE(log->AppendText("", "one\n").ok());  // the one-batch text path
  auto split = log->AppendText("", text);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_GT(split->batches, 1);
  std::vector<KeyValue> records = {{"k", "v"}, {"gone", std::nullopt}};
  ASSERT_TRUE(log->AppendRecords(records).ok());
  ExpectOneEnd(*log);

  config.key_separator = ":";
  log->UpdateConfig(config);
  std::vector<std::string_view> keyed = {"k1:hello", "k2:"};
  ASSERT_TRUE(log->Append(keyed).ok());
  ExpectOneEnd(*log);
}

TEST_F(LogOneEndTest, CompressedBatchesEndWhereTheLogEnds) {
  LogConfig config = SmallConfig();
  config.compression_type = CompressionType::kLz4;
  auto log = Open(config);
  std::vector<std::string_view> lines = {"one", "two", "three"};
  ASSERT_TRUE(log->Append(lines).ok());
  ExpectOneEnd(*log);
  EXPECT_EQ("one\ntwo\nthree\n", ReadAll(*log));
}

TEST_F(LogOneEndTest, OneEndSurvivesRecovery) {
  {
    auto log = Open();
    std::vector<std::string_view> lines = {"a", "bb", "ccc"};
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(log->Append(lines).ok());
    ASSERT_TRUE(log->Close(/*sync_files=*/false).ok());
  }
  auto log = Open(SmallConfig(), /*clean=*/false);  // every batch validated again
  EXPECT_EQ(Offset(30 * 9), log->log_end_offset());
  ExpectOneEnd(*log);
  EXPECT_TRUE(log->warnings().empty());
}

TEST_F(LogOneEndTest, OldShapeSegmentReadsAsBeforeAndNewAppendsFollowIt) {
  std::vector<std::string> lines;
  std::string expected;
  for (int i = 0; i < 50; ++i) {
    lines.push_back("old-" + std::to_string(i));
    expected += lines.back() + "\n";
  }
  WriteOldShapeSegment(lines, 5);
  for (bool clean : {true, false}) {
    auto log = Open(SmallConfig(), clean);
    ASSERT_NE(log, nullptr);
    EXPECT_TRUE(log->warnings().empty()) << log->warnings().front();
    EXPECT_EQ(Offset(static_cast<int64_t>(expected.size())), log->log_end_offset());
    EXPECT_EQ(expected, ReadAll(*log));
    // Inside the old batches: reads, record lookups and the time index.
    EXPECT_EQ(expected.substr(7), ReadAll(*log, Offset(7)));
    auto next = log->FirstRecordAtOrAfter(Offset(7));
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(Offset(12), *next);  // "old-0\nold-1\n": old-2 starts at 12
    auto by_time = log->OffsetForTimestamp(Timestamp(1002));
    ASSERT_TRUE(by_time.ok());
    EXPECT_EQ(std::optional<Offset>(Offset(12)), *by_time);
    auto nth = log->OffsetOfNthRecordFromEnd(1);
    ASSERT_TRUE(nth.ok());
    EXPECT_EQ(Offset(static_cast<int64_t>(expected.size() - lines.back().size() - 1)), *nth);
    ASSERT_TRUE(log->Close().ok());
  }
  // New batches after old ones: the new ones end where the log ends.
  auto log = Open();
  std::vector<std::string_view> more = {"new"};
  auto appended = log->Append(more);
  ASSERT_TRUE(appended.ok());
  EXPECT_EQ(Offset(static_cast<int64_t>(expected.size())), appended->first_offset);
  EXPECT_EQ(Headers(*log).back().last_offset() + 1, log->log_end_offset());
  ASSERT_TRUE(log->Close(false).ok());
  log = Open(SmallConfig(), /*clean=*/false);
  EXPECT_TRUE(log->warnings().empty());
  EXPECT_EQ(expected + "new\n", ReadAll(*log));
}

}  // namespace
}  // namespace topicfs::store
