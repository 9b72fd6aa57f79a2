// Log::SlicesForFetch: the stored batches a Kafka fetch sends, named by
// descriptors the caller owns, whole, CRC-checked, across segments.

#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/log/log.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::TempDir;

std::string Pread(const FetchSlice& slice) {
  std::string out(static_cast<size_t>(slice.length), '\0');
  ssize_t n = ::pread(slice.fd.get(), out.data(), out.size(), slice.position.value);
  EXPECT_EQ(static_cast<ssize_t>(out.size()), n);
  return out;
}

std::string Concatenated(const FetchSlices& fetched) {
  std::string out;
  for (const FetchSlice& s : fetched.slices) out += Pread(s);
  return out;
}

class LogFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.segment_bytes = 600;  // several segments
    config_.segment_index_bytes = 4096;
    config_.index_interval_bytes = 64;
  }

  std::unique_ptr<Log> Open(bool clean = true, Offset recovery_point = Offset(0)) {
    Log::Options o;
    o.recovery_point = recovery_point;
    o.dir = dir_ / "t-0";
    o.topic_partition = {"t", 0};
    o.config = config_;
    o.clock = &clock_;
    o.had_clean_shutdown = clean;
    return testing::OpenTestLog(o);
  }

  // Appends `n` writes of three lines each: one batch per write.
  void AppendWrites(Log& log, int n) {
    for (int i = 0; i < n; ++i) {
      std::string text;
      for (int k = 0; k < 3; ++k) text += "write " + std::to_string(i) + " line " + std::to_string(k) + "\n";
      ASSERT_TRUE(log.AppendText("", text).ok());
    }
  }

  // Every batch of the log: (its bytes, its base offset, its last offset).
  struct Batch {
    std::string bytes;
    BatchLocation loc;
  };
  std::vector<Batch> AllBatches(const Log& log) {
    std::vector<Batch> out;
    for (const auto& segment : log.Segments()) {
      auto locations = segment->Batches();
      EXPECT_TRUE(locations.ok());
      if (!locations.ok()) return out;
      for (const auto& loc : *locations) {
        auto bytes = segment->BatchBytes(loc);
        EXPECT_TRUE(bytes.ok());
        out.push_back({std::string(bytes->second), loc});
      }
    }
    return out;
  }

  static std::string Joined(const std::vector<Batch>& batches, size_t from, size_t to) {
    std::string out;
    for (size_t i = from; i < to; ++i) out += batches[i].bytes;
    return out;
  }

  LogConfig config_;
  TempDir dir_;
  FakeClock clock_;
};

TEST_F(LogFetchTest, SlicesHoldTheStoredBatchesByteForByteAcrossSegments) {
  auto log = Open();
  AppendWrites(*log, 20);
  ASSERT_GT(log->Segments().size(), 2u);
  std::vector<Batch> batches = AllBatches(*log);
  auto fetched = log->SlicesForFetch(Offset(0), 1 << 20);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(log->Segments().size(), fetched->slices.size());  // one slice per segment
  EXPECT_EQ(Joined(batches, 0, batches.size()), Concatenated(*fetched));
  EXPECT_EQ(static_cast<int64_t>(Joined(batches, 0, batches.size()).size()), fetched->bytes);
  EXPECT_EQ(log->log_end_offset(), fetched->high_watermark);
  EXPECT_EQ(Offset(0), fetched->log_start_offset);
}

TEST_F(LogFetchTest, FetchStartsAtTheBatchHoldingTheOffset) {
  auto log = Open();
  AppendWrites(*log, 10);
  std::vector<Batch> batches = AllBatches(*log);
  for (size_t i = 0; i < batches.size(); ++i) {
    // Its first byte, a byte inside its second record, its last byte.
    for (Offset at : {batches[i].loc.base_offset, batches[i].loc.base_offset + 20, batches[i].loc.last_offset}) {
      auto fetched = log->SlicesForFetch(at, 1);
      ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
      ASSERT_EQ(1u, fetched->slices.size()) << "at " << at.value;
      EXPECT_EQ(batches[i].bytes, Pread(fetched->slices[0])) << "at " << at.value;
    }
  }
}

TEST_F(LogFetchTest, MaxBytesTakesWholeBatchesAndAlwaysAtLeastOne) {
  config_.segment_bytes = 1 << 20;
  auto log = Open();
  AppendWrites(*log, 6);
  std::vector<Batch> batches = AllBatches(*log);
  auto one = log->SlicesForFetch(Offset(0), 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(Joined(batches, 0, 1), Concatenated(*one));
  const int64_t two = static_cast<int64_t>(Joined(batches, 0, 2).size());
  for (int64_t max : {two, two + 1, two + static_cast<int64_t>(batches[2].bytes.size()) - 1}) {
    auto fetched = log->SlicesForFetch(Offset(0), max);
    ASSERT_TRUE(fetched.ok());
    EXPECT_EQ(Joined(batches, 0, 2), Concatenated(*fetched)) << "max " << max;
  }
}

TEST_F(LogFetchTest, OffsetsOutsideTheLogAreOutOfRange) {
  auto log = Open();
  AppendWrites(*log, 3);
  const Offset end = log->log_end_offset();
  auto at_end = log->SlicesForFetch(end, 1 << 20);
  ASSERT_TRUE(at_end.ok());
  EXPECT_TRUE(at_end->slices.empty());
  EXPECT_EQ(end, at_end->high_watermark);
  auto past = log->SlicesForFetch(end + 1, 1 << 20);
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(Code::kOutOfRange, past.status().code());
  auto negative = log->SlicesForFetch(Offset(-1), 1 << 20);
  EXPECT_EQ(Code::kOutOfRange, negative.status().code());
}

TEST_F(LogFetchTest, SlicesStopBeforeADamagedBatch) {
  config_.segment_bytes = 1 << 20;
  std::vector<Batch> batches;
  Offset end;
  {
    auto log = Open();
    AppendWrites(*log, 5);
    batches = AllBatches(*log);
    end = log->log_end_offset();
    ASSERT_TRUE(log->Close().ok());
  }
  // A flipped byte in the third batch's records.
  const int64_t pos = batches[2].loc.position.value + batches[2].loc.size - 5;
  testing::PokeFile(dir_ / "t-0/00000000000000000000.log", pos, "#");
  auto log = Open(true, end);  // clean, recovered up to the end: loading validates nothing
  auto fetched = log->SlicesForFetch(Offset(0), 1 << 20);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(Joined(batches, 0, 2), Concatenated(*fetched));
  auto at_damage = log->SlicesForFetch(batches[2].loc.base_offset, 1 << 20);
  ASSERT_FALSE(at_damage.ok());
  EXPECT_EQ(Code::kCorruption, at_damage.status().code());
  auto after = log->SlicesForFetch(batches[3].loc.base_offset, 1 << 20);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(Joined(batches, 3, 5), Concatenated(*after));
}

TEST_F(LogFetchTest, DescriptorsReadTheBatchesAfterTheLogLetsGoOfThem) {
  auto log = Open();
  AppendWrites(*log, 8);
  std::vector<Batch> batches = AllBatches(*log);
  auto fetched = log->SlicesForFetch(Offset(0), 1 << 20);
  ASSERT_TRUE(fetched.ok());
  ASSERT_TRUE(log->Close().ok());
  log.reset();
  EXPECT_EQ(Joined(batches, 0, batches.size()), Concatenated(*fetched));
}

}  // namespace
}  // namespace topicfs::store
