// Log::AppendRecords: records with explicit binary keys and values (the
// store's own writes to __consumer_offsets), batched, limited and presented
// as Log::Append's lines are.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/log/log.h"
#include "store/format/presented_record.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::ReadAll;
using testing::TempDir;

class LogAppendRecordsTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> OpenLog(LogConfig config) {
    config.segment_index_bytes = 4096;
    return testing::OpenTestLog(dir_ / "t-0", config, &clock_);
  }

  // Every stored record, in order.
  struct Stored {
    Offset offset;
    std::optional<std::string> key;
    std::optional<std::string> value;
    int32_t header_count;
    int64_t presented_size;
  };
  static std::vector<Stored> StoredRecords(const Log& log, int64_t* batches = nullptr) {
    std::vector<Stored> out;
    for (const auto& segment : log.Segments()) {
      auto locations = segment->Batches();
      EXPECT_TRUE(locations.ok());
      if (batches != nullptr) *batches += static_cast<int64_t>(locations->size());
      for (const auto& loc : *locations) {
        Status s = segment->ForEachRecord(loc, [&](const RecordView& r) {
          auto copy = [](const std::optional<std::string_view>& v) {
            return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
          };
          out.push_back({r.offset, copy(r.key), copy(r.value), r.header_count, PresentedSize(r)});
        });
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
    }
    return out;
  }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(LogAppendRecordsTest, BinaryKeysAndValuesAreStoredAsGivenAndPresentAsValuePlusNewline) {
  auto log = OpenLog(LogConfig());
  const std::string key1("\x00\x01k\n", 4);
  const std::string value1("v\x00\n\xff", 4);
  const std::string value2 = "plain";
  std::vector<KeyValue> records = {{key1, value1}, {std::nullopt, value2}};
  std::vector<Offset> offsets;
  auto r = log->AppendRecords(records, &offsets);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->records, 2);
  EXPECT_EQ(r->batches, 1);
  EXPECT_EQ(r->first_offset, Offset(0));
  EXPECT_EQ(offsets, (std::vector<Offset>{Offset(0), Offset(5)}));
  EXPECT_EQ(r->end_offset, Offset(5 + 6));
  EXPECT_EQ(log->log_end_offset(), Offset(11));
  EXPECT_EQ(ReadAll(*log), value1 + "\n" + value2 + "\n");

  auto stored = StoredRecords(*log);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].key, key1);
  EXPECT_EQ(stored[0].value, value1);
  EXPECT_EQ(stored[0].header_count, 0);
  EXPECT_FALSE(stored[1].key.has_value());
  EXPECT_EQ(stored[1].value, value2);
}

TEST_F(LogAppendRecordsTest, TombstoneWithoutSeparatorHeaderPresentsAsKeyPlusNewline) {
  auto log = OpenLog(LogConfig());
  const std::string key = "the-key";
  std::vector<KeyValue> records = {{key, "v"}, {key, std::nullopt}};
  ASSERT_TRUE(log->AppendRecords(records).ok());
  EXPECT_EQ(ReadAll(*log), "v\nthe-key\n");
  EXPECT_EQ(log->log_end_offset(), Offset(2 + 8));
  auto stored = StoredRecords(*log);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_FALSE(stored[1].value.has_value());
  EXPECT_EQ(stored[1].header_count, 0);
  // The offset each record moved the end by is the size a reader sees.
  EXPECT_EQ(stored[1].offset, Offset(2));
  EXPECT_EQ(stored[1].presented_size, 8);
}

TEST_F(LogAppendRecordsTest, PresentedSizesSurviveAReopen) {
  {
    auto log = OpenLog(LogConfig());
    std::vector<KeyValue> records = {{"k1", std::nullopt}, {"k2", "value"}, {std::nullopt, ""}};
    ASSERT_TRUE(log->AppendRecords(records).ok());
    EXPECT_EQ(log->log_end_offset(), Offset(3 + 6 + 1));
    ASSERT_TRUE(log->Close().ok());
  }
  auto log = OpenLog(LogConfig());
  EXPECT_EQ(log->log_end_offset(), Offset(10));
  EXPECT_EQ(ReadAll(*log), "k1\nvalue\n\n");
}

TEST_F(LogAppendRecordsTest, RecordsSplitIntoBatchesUnderMaxMessageBytes) {
  LogConfig config;
  config.max_message_bytes = 300;
  auto log = OpenLog(config);
  std::vector<std::string> values;
  for (int i = 0; i < 40; ++i) values.push_back(std::string(20, static_cast<char>('a' + i % 26)));
  std::vector<KeyValue> records;
  for (const auto& v : values) records.push_back({std::string_view("key"), std::string_view(v)});
  auto r = log->AppendRecords(records);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->batches, 1);
  int64_t batches = 0;
  auto stored = StoredRecords(*log, &batches);
  EXPECT_EQ(batches, r->batches);
  ASSERT_EQ(stored.size(), 40u);
  for (const auto& segment : log->Segments()) {
    auto locations = segment->Batches();
    ASSERT_TRUE(locations.ok());
    for (const auto& loc : *locations) EXPECT_LE(loc.size, 300);
  }
  EXPECT_EQ(log->log_end_offset(), Offset(40 * 21));
}

TEST_F(LogAppendRecordsTest, OneRecordTooLargeAppendsNothing) {
  LogConfig config;
  config.max_message_bytes = 200;
  auto log = OpenLog(config);
  std::string big(500, 'x');
  std::vector<KeyValue> records = {{"a", "small"}, {"b", big}};
  auto r = log->AppendRecords(records);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kRecordTooLarge);
  EXPECT_NE(r.status().message().find("a record of 501 bytes"), std::string::npos) << r.status().message();
  EXPECT_EQ(log->log_end_offset(), Offset(0));
  EXPECT_TRUE(StoredRecords(*log).empty());
}

TEST_F(LogAppendRecordsTest, CompactedTopicRefusesANullKeyAndAppendsNothing) {
  LogConfig config;
  config.cleanup_compact = true;  // no key.separator needed: keys are explicit
  auto log = OpenLog(config);
  std::vector<KeyValue> keyed = {{"k", "v"}};
  ASSERT_TRUE(log->AppendRecords(keyed).ok());
  std::vector<KeyValue> records = {{"a", "1"}, {std::nullopt, "2"}};
  auto r = log->AppendRecords(records);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log->log_end_offset(), Offset(2));
}

TEST_F(LogAppendRecordsTest, EmptySpanAppendsNothing) {
  auto log = OpenLog(LogConfig());
  auto r = log->AppendRecords({});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records, 0);
  EXPECT_EQ(r->batches, 0);
  EXPECT_TRUE(log->Segments().front()->empty());
}

TEST_F(LogAppendRecordsTest, LinesAndRecordsShareOneLog) {
  LogConfig config;
  config.key_separator = ":";
  auto log = OpenLog(config);
  std::vector<std::string_view> lines = {"k:v", "k:"};
  ASSERT_TRUE(log->Append(lines).ok());
  std::vector<KeyValue> records = {{"k", std::nullopt}};
  ASSERT_TRUE(log->AppendRecords(records).ok());
  // A keyed line keeps the whole line as its value; the line tombstone
  // keeps its separator; the record tombstone has none.
  EXPECT_EQ(ReadAll(*log), "k:v\nk:\nk\n");
  EXPECT_EQ(log->log_end_offset(), Offset(4 + 3 + 2));
}

}  // namespace
}  // namespace topicfs::store
