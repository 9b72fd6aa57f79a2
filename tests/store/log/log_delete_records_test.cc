// Log::DeleteRecordsBefore: Kafka's DeleteRecords moves the log start to
// the first record at or after the offset; reads and fetches follow it.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/log/log.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::ReadAll;
using testing::TempDir;

class LogDeleteRecordsTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> Open(int32_t segment_bytes = 1 << 20) {
    LogConfig c;
    c.segment_bytes = segment_bytes;
    c.segment_index_bytes = 4096;
    c.index_interval_bytes = 64;
    c.file_delete_delay_ms = 0;
    Log::Options o;
    o.dir = dir_ / "t-0";
    o.topic_partition = {"t", 0};
    o.config = c;
    o.clock = &clock_;
    return testing::OpenTestLog(o);
  }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(LogDeleteRecordsTest, LogStartMovesToTheFirstRecordAtOrAfterTheOffset) {
  auto log = Open();
  std::vector<std::string_view> lines = {"aaaa", "bb", "c", "dddddd"};  // at 0, 5, 8, 10; end 17
  ASSERT_TRUE(log->Append(lines).ok());
  auto start = log->DeleteRecordsBefore(Offset(2));  // inside "aaaa": it goes too
  ASSERT_TRUE(start.ok()) << start.status().ToString();
  EXPECT_EQ(Offset(5), *start);
  EXPECT_EQ(Offset(5), log->log_start_offset());
  EXPECT_EQ(Offset(5), log->Figures().log_start_offset);
  EXPECT_EQ("bb\nc\ndddddd\n", ReadAll(*log));
  auto below = log->SlicesForFetch(Offset(0), 1 << 20);
  EXPECT_EQ(Code::kOutOfRange, below.status().code());

  EXPECT_EQ(Offset(8), *log->DeleteRecordsBefore(Offset(8)));  // a record's first byte
  EXPECT_EQ(Offset(8), *log->DeleteRecordsBefore(Offset(6)));  // below the start: nothing moves
  EXPECT_EQ("c\ndddddd\n", ReadAll(*log));
  EXPECT_EQ(Offset(17), *log->DeleteRecordsBefore(Offset(17)));  // the high watermark: everything
  EXPECT_EQ("", ReadAll(*log));
  EXPECT_EQ(Offset(17), log->log_end_offset());  // st_size never shrinks
  ASSERT_TRUE(log->Append(lines).ok());
  EXPECT_EQ("aaaa\nbb\nc\ndddddd\n", ReadAll(*log));
}

TEST_F(LogDeleteRecordsTest, OffsetsOutsideTheLogAreOutOfRangeAndChangeNothing) {
  auto log = Open();
  std::vector<std::string_view> lines = {"one", "two"};
  ASSERT_TRUE(log->Append(lines).ok());
  for (Offset bad : {Offset(9), Offset(-1), Offset(1000)}) {
    auto r = log->DeleteRecordsBefore(bad);
    ASSERT_FALSE(r.ok()) << bad.value;
    EXPECT_EQ(Code::kOutOfRange, r.status().code());
  }
  EXPECT_EQ(Offset(0), log->log_start_offset());
  EXPECT_EQ("one\ntwo\n", ReadAll(*log));
}

TEST_F(LogDeleteRecordsTest, SegmentsWhollyBelowTheStartGoAtTheNextRetentionPass) {
  auto log = Open(/*segment_bytes=*/300);
  std::string expected;
  for (int i = 0; i < 60; ++i) {
    std::string line = "record number " + std::to_string(i);
    std::string_view v = line;
    ASSERT_TRUE(log->Append({&v, 1}).ok());
    expected += line + "\n";
  }
  const size_t segments = log->Segments().size();
  ASSERT_GT(segments, 3u);
  const Offset third = log->Segments()[2]->base_offset();
  ASSERT_TRUE(log->DeleteRecordsBefore(third + 1).ok());
  auto deleted = log->DeleteOldSegments();
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(2, *deleted);  // the third holds the new start and stays
  EXPECT_EQ(segments - 2, log->Segments().size());
  const Offset start = log->log_start_offset();
  EXPECT_GT(start, third);
  EXPECT_EQ(expected.substr(static_cast<size_t>(start.value)), ReadAll(*log));
}

}  // namespace
}  // namespace topicfs::store
