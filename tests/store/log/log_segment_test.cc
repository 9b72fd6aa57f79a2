// LogSegment behaviour, ported from Kafka's LogSegmentTest (storage/src/test/
// java/org/apache/kafka/storage/internals/log/LogSegmentTest.java) into the
// one coordinate: a record's offset is the position of its first
// presented byte, and it presents as value + "\n". Records with empty values
// present as one byte, so consecutive offsets (Kafka's 40, 41, 42...) are
// valid; records with longer values are placed len + 1 apart or more.

#include "store/log/log_segment.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "store/base/big_endian.h"
#include "store/format/file_names.h"
#include "store/base/format.h"
#include "store/format/batch_builder.h"
#include "store/format/batch_compression.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::TempDir;

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

struct Rec {
  int64_t offset;
  int64_t timestamp;
  std::string value;
};

// What a record presents: value + "\n".
std::string Presented(const Rec& r) { return r.value + "\n"; }

// The presented bytes a reader expects from `from` on, given the records in
// the segment (in offset order).
std::string ExpectedFrom(const std::vector<Rec>& recs, int64_t from) {
  std::string out;
  for (const auto& r : recs) {
    std::string p = Presented(r);
    int64_t end = r.offset + static_cast<int64_t>(p.size());
    if (end <= from) continue;
    int64_t skip = std::max<int64_t>(0, from - r.offset);
    out += p.substr(static_cast<size_t>(skip));
  }
  return out;
}

class LogSegmentTest : public ::testing::Test {
 protected:
  LogSegment::Options Options(int64_t base, int32_t index_interval_bytes = 10,
                              int32_t max_index_bytes = 1000) {
    LogSegment::Options o;
    o.dir = dir_.path();
    o.base_offset = Offset(base);
    o.index_interval_bytes = index_interval_bytes;
    o.max_index_bytes = max_index_bytes;
    o.segment_bytes = 1 << 20;
    o.clock = &clock_;
    return o;
  }

  std::unique_ptr<LogSegment> Create(int64_t base, int32_t index_interval_bytes = 10,
                                     int32_t max_index_bytes = 1000) {
    auto seg = LogSegment::Create(Options(base, index_interval_bytes, max_index_bytes));
    EXPECT_TRUE(seg.ok()) << seg.status().ToString();
    return std::move(seg).value();
  }

  std::unique_ptr<LogSegment> Open(int64_t base, int32_t index_interval_bytes = 10,
                                   int32_t max_index_bytes = 1000) {
    auto seg = LogSegment::Open(Options(base, index_interval_bytes, max_index_bytes));
    EXPECT_TRUE(seg.ok()) << seg.status().ToString();
    return std::move(seg).value();
  }

  // Builds one batch of `recs` (increasing offsets) with the given attributes.
  std::string BuildBatch(const std::vector<Rec>& recs, int16_t attributes = 0) {
    BatchBuilder b;
    b.Reset(Offset(recs.front().offset), Timestamp(recs.front().timestamp));
    if (attributes != 0) b.SetAttributes(attributes);
    for (const auto& r : recs) b.Add(Offset(r.offset), Timestamp(r.timestamp), std::nullopt, r.value);
    return std::string(b.Finish());
  }

  // Appends `recs` to seg as one batch, the way Log::WriteBatches does.
  void Append(LogSegment& seg, const std::vector<Rec>& recs, bool control = false) {
    std::string bytes = BuildBatch(recs, control ? format::kControlBit : 0);
    BatchLocation loc;
    loc.position = FilePosition(0);
    loc.size = static_cast<int64_t>(bytes.size());
    loc.base_offset = Offset(recs.front().offset);
    loc.last_offset = Offset(recs.back().offset);
    loc.records = static_cast<int32_t>(recs.size());
    loc.control = control;
    int64_t max_ts = -1;
    for (const auto& r : recs) max_ts = std::max(max_ts, r.timestamp);
    loc.max_timestamp = Timestamp(max_ts);
    LogSegment::AppendInfo info;
    info.batches = bytes;
    info.locations = {loc};
    info.next_offset = control ? loc.last_offset + 1
                               : Offset(recs.back().offset + static_cast<int64_t>(recs.back().value.size()) + 1);
    info.max_timestamp = loc.max_timestamp;
    info.offset_of_max_timestamp = loc.last_offset;
    info.records = control ? 0 : static_cast<int64_t>(recs.size());
    Status s = seg.Append(info);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Everything readable from `from` to the end of the segment, in chunks.
  static std::string ReadAll(const LogSegment& seg, int64_t from, int64_t chunk = 4096,
                             Offset* first_start = nullptr) {
    std::string out;
    std::vector<char> buf(static_cast<size_t>(chunk));
    Offset at(from);
    bool first = true;
    while (true) {
      auto r = seg.Read(at, buf.data(), chunk);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok() || r->bytes == 0) break;
      if (first && first_start != nullptr) *first_start = r->start;
      first = false;
      out.append(buf.data(), static_cast<size_t>(r->bytes));
      at = r->next;
    }
    return out;
  }

  // Reads seg from `from` in `chunk`-byte reads (through `cursor`, if
  // given) until the end or the first read that fails: the bytes served,
  // where the reads stopped, and that failure (ok at the end).
  struct SequentialRead {
    std::string served;
    Offset at;
    Status failed;
  };
  static SequentialRead ReadUntilFailure(const LogSegment& seg, Offset from, int64_t chunk,
                                         ReadCursor* cursor = nullptr) {
    SequentialRead out{"", from, Status::Ok()};
    std::vector<char> buf(static_cast<size_t>(chunk));
    for (;;) {
      auto r = seg.Read(out.at, buf.data(), chunk, cursor);
      if (!r.ok()) {
        out.failed = r.status();
        break;
      }
      if (r->bytes == 0) break;
      out.served.append(buf.data(), static_cast<size_t>(r->bytes));
      out.at = r->next;
    }
    return out;
  }

  TempDir dir_;
  FakeClock clock_;
};

// ---- Reads ----

TEST_F(LogSegmentTest, ReadOnEmptySegmentReturnsNothing) {
  auto seg = Create(40);
  char buf[64];
  auto r = seg->Read(Offset(40), buf, sizeof(buf));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->bytes, 0);
  EXPECT_EQ(seg->next_offset(), Offset(40));
}

TEST_F(LogSegmentTest, ReadAfterLastRecordReturnsNothing) {
  auto seg = Create(40);
  Append(*seg, {{50, -1, "hello"}, {56, -1, "there"}});  // presented [50, 62)
  char buf[64];
  auto r = seg->Read(Offset(62), buf, sizeof(buf));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->bytes, 0);
  r = seg->Read(Offset(1000), buf, sizeof(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->bytes, 0);
  // The last byte of the last record is still there.
  r = seg->Read(Offset(61), buf, sizeof(buf));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->bytes, 1);
  EXPECT_EQ(buf[0], '\n');
  EXPECT_EQ(r->start, Offset(61));
  EXPECT_EQ(r->next, Offset(62));
}

TEST_F(LogSegmentTest, ReadBeforeFirstOffsetReturnsFirstBatch) {
  auto seg = Create(40);
  std::vector<Rec> recs = {{50, -1, "a"}, {52, -1, "b"}, {54, -1, "c"}, {56, -1, "d"}};
  Append(*seg, recs);
  Offset start;
  EXPECT_EQ(ReadAll(*seg, 41, 4096, &start), "a\nb\nc\nd\n");
  EXPECT_EQ(start, Offset(50));
  // Below the segment's base too.
  EXPECT_EQ(ReadAll(*seg, 0, 4096, &start), "a\nb\nc\nd\n");
  EXPECT_EQ(start, Offset(50));
}

TEST_F(LogSegmentTest, ReadFromGapBetweenBatchesContinuesAtNextBatch) {
  auto seg = Create(40);
  Append(*seg, {{50, -1, ""}, {51, -1, ""}});
  Append(*seg, {{60, -1, "x"}, {62, -1, "y"}});
  Offset start;
  EXPECT_EQ(ReadAll(*seg, 55, 4096, &start), "x\ny\n");
  EXPECT_EQ(start, Offset(60));
}

TEST_F(LogSegmentTest, ReadFromGapInsideABatchContinuesAtNextRecord) {
  auto seg = Create(0);
  // "ab\n" occupies [0, 3); the next record starts at 10.
  Append(*seg, {{0, -1, "ab"}, {10, -1, "cd"}, {13, -1, "ef"}});
  Offset start;
  EXPECT_EQ(ReadAll(*seg, 4, 4096, &start), "cd\nef\n");
  EXPECT_EQ(start, Offset(10));
}

TEST_F(LogSegmentTest, ReadInsideARecordStartsMidRecord) {
  auto seg = Create(40);
  Append(*seg, {{40, -1, "hello"}, {46, -1, "world"}});
  char buf[64];
  auto r = seg->Read(Offset(42), buf, sizeof(buf));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(std::string(buf, static_cast<size_t>(r->bytes)), "llo\nworld\n");
  EXPECT_EQ(r->start, Offset(42));
  EXPECT_EQ(r->next, Offset(52));
  // On the newline itself.
  r = seg->Read(Offset(45), buf, sizeof(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(buf, static_cast<size_t>(r->bytes)), "\nworld\n");
  EXPECT_EQ(r->start, Offset(45));
}

TEST_F(LogSegmentTest, ReadWithSmallBufferStopsMidRecordAndResumes) {
  auto seg = Create(0);
  std::vector<Rec> recs = {{0, 1, "hello"}, {6, 2, "world"}, {12, 3, ""}, {13, 4, "xyz"}};
  Append(*seg, {recs[0], recs[1]});
  Append(*seg, {recs[2], recs[3]});
  for (int64_t chunk : {1, 2, 3, 5, 7}) {
    for (int64_t from = 0; from <= 17; ++from) {
      EXPECT_EQ(ReadAll(*seg, from, chunk), ExpectedFrom(recs, from))
          << "chunk " << chunk << " from " << from;
    }
  }
  char buf[3];
  auto r = seg->Read(Offset(4), buf, 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(buf, 3), "o\nw");
  EXPECT_EQ(r->start, Offset(4));
  EXPECT_EQ(r->next, Offset(7));
}

TEST_F(LogSegmentTest, ReadSkipsControlBatches) {
  auto seg = Create(0);
  Append(*seg, {{0, 1, "a"}});
  Append(*seg, {{2, 1, ""}}, /*control=*/true);
  Append(*seg, {{3, 1, "b"}});
  EXPECT_EQ(ReadAll(*seg, 0), "a\nb\n");
  Offset start;
  EXPECT_EQ(ReadAll(*seg, 2, 4096, &start), "b\n");
  EXPECT_EQ(start, Offset(3));
  EXPECT_EQ(seg->next_offset(), Offset(5));
}

TEST_F(LogSegmentTest, ReadFindsEveryRecordThroughTheSparseIndex) {
  auto seg = Create(100, /*index_interval_bytes=*/50, /*max_index_bytes=*/4096);
  std::vector<Rec> recs;
  int64_t offset = 100;
  for (int i = 0; i < 200; ++i) {
    std::string value(static_cast<size_t>(i % 13), static_cast<char>('a' + i % 26));
    recs.push_back({offset, i, value});
    Append(*seg, {recs.back()});
    offset += static_cast<int64_t>(value.size()) + 1 + (i % 3);  // some gaps
  }
  EXPECT_GT(seg->offset_index().entries(), 10);
  char buf[64];
  for (const auto& r : recs) {
    auto got = seg->Read(Offset(r.offset), buf, sizeof(buf));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_GT(got->bytes, 0);
    EXPECT_EQ(got->start, Offset(r.offset));
    std::string expected = ExpectedFrom(recs, r.offset).substr(0, sizeof(buf));
    EXPECT_EQ(std::string(buf, static_cast<size_t>(got->bytes)), expected);
  }
}

// ---- Truncation ----

TEST_F(LogSegmentTest, TruncateKeepsOnlyEarlierRecords) {
  auto seg = Create(40);
  int64_t offset = 40;
  for (int i = 0; i < 30; ++i) {
    Rec first{offset, -1, "hello"};
    Rec second{offset + 6, -1, "hello"};
    Append(*seg, {first});
    Append(*seg, {second});
    EXPECT_EQ(ReadAll(*seg, offset), "hello\nhello\n");
    auto cut = seg->TruncateTo(Offset(offset + 6));
    ASSERT_TRUE(cut.ok()) << cut.status().ToString();
    EXPECT_GT(*cut, 0);
    EXPECT_EQ(ReadAll(*seg, offset), "hello\n");
    EXPECT_EQ(seg->next_offset(), Offset(offset + 6));
    offset += 6;
  }
}

TEST_F(LogSegmentTest, TruncateEvenIfOffsetPointsIntoAGap) {
  auto seg = Create(40);
  Append(*seg, {{40, -1, ""}});  // [40, 41)
  Append(*seg, {{43, -1, ""}});  // [43, 44)
  auto cut = seg->TruncateTo(Offset(42));
  ASSERT_TRUE(cut.ok()) << cut.status().ToString();
  EXPECT_GT(*cut, 0);
  EXPECT_EQ(ReadAll(*seg, 0), "\n");
  EXPECT_EQ(seg->next_offset(), Offset(41));
  auto batches = seg->Batches();
  ASSERT_TRUE(batches.ok());
  ASSERT_EQ(batches->size(), 1u);
  EXPECT_EQ(batches->front().base_offset, Offset(40));
}

TEST_F(LogSegmentTest, TruncateToAnOffsetPastTheEndChangesNothing) {
  auto seg = Create(0);
  Append(*seg, {{0, 5, "abc"}});
  int64_t size = seg->size();
  auto cut = seg->TruncateTo(Offset(100));
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(*cut, 0);
  EXPECT_EQ(seg->size(), size);
  EXPECT_EQ(ReadAll(*seg, 0), "abc\n");
}

TEST_F(LogSegmentTest, TruncateToBaseEmptiesSegmentResetsIndexesAndAllowsReappend) {
  auto seg = Create(40, /*index_interval_bytes=*/0);
  // No timestamps: time-based roll falls back to the segment's creation time.
  Append(*seg, {{40, -1, "hello"}, {46, -1, "there"}});
  Append(*seg, {{52, -1, "again"}});
  EXPECT_GT(seg->offset_index().entries(), 0);
  clock_.Advance(500);
  auto cut = seg->TruncateTo(Offset(0));
  ASSERT_TRUE(cut.ok()) << cut.status().ToString();
  EXPECT_TRUE(seg->empty());
  EXPECT_EQ(seg->next_offset(), Offset(40));
  EXPECT_EQ(seg->offset_index().entries(), 0);
  EXPECT_EQ(seg->time_index().entries(), 0);
  EXPECT_FALSE(seg->offset_index().IsFull());
  EXPECT_FALSE(seg->time_index().IsFull());
  EXPECT_EQ(seg->offset_index().max_entries(), 1000 / 8);
  EXPECT_EQ(ReadAll(*seg, 0), "");

  Append(*seg, {{40, -1, "hello"}, {46, -1, "there"}});
  EXPECT_EQ(ReadAll(*seg, 0), "hello\nthere\n");
  // The roll clock restarted at the truncation: 500 ms have not passed since.
  EXPECT_FALSE(seg->ShouldRoll(10, Offset(60), kNoTimestamp, 1 << 20, /*max_segment_ms=*/499));
  clock_.Advance(500);
  EXPECT_TRUE(seg->ShouldRoll(10, Offset(60), kNoTimestamp, 1 << 20, /*max_segment_ms=*/499));
}

TEST_F(LogSegmentTest, ReopenedEmptySegmentHasFullSizeIndexesAfterTruncate) {
  {
    auto seg = Create(40);
    ASSERT_TRUE(seg->Close().ok());
  }
  EXPECT_EQ(testing::FileSize(SegmentFilePath(dir_.path(), Offset(40), kIndexSuffix)), 0);
  auto seg = Open(40);
  auto cut = seg->TruncateTo(Offset(0));
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(seg->offset_index().max_entries(), 1000 / 8);
  EXPECT_EQ(seg->time_index().max_entries(), 1000 / 12);
  // An empty segment is never rolled for time, only for offset overflow.
  clock_.Advance(1'000'000);
  EXPECT_FALSE(seg->ShouldRoll(10, Offset(41), Timestamp(clock_.Now()), 1 << 20, 100));
  EXPECT_TRUE(seg->ShouldRoll(10, Offset(40 + kInt32Max + 200), kNoTimestamp, 1 << 20, 100));
}

TEST_F(LogSegmentTest, ReloadLargestTimestampAndNextOffsetAfterTruncation) {
  int64_t batch_size = static_cast<int64_t>(BuildBatch({{40, 400, ""}}).size());
  auto seg = Create(40, static_cast<int32_t>(2 * batch_size - 1));
  for (int64_t offset = 40; offset < 70; ++offset) Append(*seg, {{offset, offset * 10, ""}});
  EXPECT_EQ(seg->offset_index().entries(), 14);
  EXPECT_EQ(seg->time_index().entries(), 14);
  auto cut = seg->TruncateTo(Offset(41));
  ASSERT_TRUE(cut.ok()) << cut.status().ToString();
  EXPECT_EQ(seg->offset_index().entries(), 0);
  EXPECT_EQ(seg->time_index().entries(), 0);
  EXPECT_EQ(seg->LargestTimestamp(), Timestamp(400));
  EXPECT_EQ(seg->next_offset(), Offset(41));
}

// ---- Timestamps and offsets ----

TEST_F(LogSegmentTest, FindOffsetByTimestamp) {
  // Ten records of 5-byte values: record i at 40 + 6i with timestamp 400 + 10i.
  auto offset_of = [](int i) { return Offset(40 + 6 * i); };
  int64_t batch_size = static_cast<int64_t>(BuildBatch({{40, 400, "msg00"}}).size());
  auto seg = Create(40, static_cast<int32_t>(2 * batch_size - 1));
  for (int i = 0; i < 10; ++i) Append(*seg, {{offset_of(i).value, 400 + 10 * i, "msg" + std::to_string(40 + i)}});
  EXPECT_EQ(seg->LargestTimestamp(), Timestamp(490));

  auto find = [&](int64_t ts) -> std::optional<Offset> {
    auto r = seg->FindOffsetByTimestamp(Timestamp(ts), Offset(0));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::nullopt;
  };
  EXPECT_EQ(find(420), offset_of(2));  // indexed timestamp
  EXPECT_EQ(find(421), offset_of(3));
  EXPECT_EQ(find(430), offset_of(3));  // un-indexed timestamp
  EXPECT_EQ(find(431), offset_of(4));
  EXPECT_EQ(find(491), std::nullopt);  // beyond the last
  EXPECT_EQ(find(401), offset_of(1));  // before the first indexed timestamp
  EXPECT_EQ(find(399), offset_of(0));  // before the first timestamp
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(find(400 + 10 * i), offset_of(i)) << i;
    if (i < 9) {
      EXPECT_EQ(find(401 + 10 * i), offset_of(i + 1)) << i;
    }
  }
  // A starting offset skips earlier records.
  auto r = seg->FindOffsetByTimestamp(Timestamp(400), offset_of(5));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, offset_of(5));
}

TEST_F(LogSegmentTest, NextOffsetIsTheEndOfTheLastRecordsPresentedBytes) {
  auto seg = Create(40);
  EXPECT_EQ(seg->next_offset(), Offset(40));
  Append(*seg, {{50, -1, ""}, {51, -1, ""}, {52, -1, ""}});
  EXPECT_EQ(seg->next_offset(), Offset(53));
  Append(*seg, {{60, -1, "hello"}});
  EXPECT_EQ(seg->next_offset(), Offset(66));
  ASSERT_TRUE(seg->Close().ok());
  seg.reset();
  auto reopened = Open(40);
  EXPECT_FALSE(reopened->needs_recovery());
  EXPECT_EQ(reopened->next_offset(), Offset(66));
}

TEST_F(LogSegmentTest, ReopenRestoresNextOffsetMaxTimestampAndRecordCount) {
  std::vector<Rec> recs;
  {
    auto seg = Create(0, /*index_interval_bytes=*/30);
    int64_t offset = 0;
    for (int i = 0; i < 50; ++i) {
      recs.push_back({offset, 1000 + i, "value-" + std::to_string(i)});
      offset += static_cast<int64_t>(recs.back().value.size()) + 1;
      Append(*seg, {recs.back()});
    }
    ASSERT_TRUE(seg->Close().ok());
  }
  auto seg = Open(0, 30);
  EXPECT_FALSE(seg->needs_recovery());
  EXPECT_EQ(seg->next_offset(), Offset(recs.back().offset + 9));
  EXPECT_EQ(seg->MaxTimestampSoFar(), Timestamp(1049));
  auto count = seg->RecordCount();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 50);
  EXPECT_EQ(ReadAll(*seg, 0), ExpectedFrom(recs, 0));
}

TEST_F(LogSegmentTest, RecordCountIgnoresControlBatchesBeforeAndAfterRecovery) {
  auto seg = Create(0);
  Append(*seg, {{0, 1, "a"}, {2, 1, "b"}});
  Append(*seg, {{4, 1, ""}}, /*control=*/true);
  Append(*seg, {{5, 1, "c"}});
  auto count = seg->RecordCount();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 3);
  auto recovered = seg->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->cut_bytes, 0);
  count = seg->RecordCount();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 3);
  EXPECT_EQ(seg->next_offset(), Offset(7));
}

// ---- Recovery ----

// Overwrites [pos, pos + n) of a file with random bytes.
void WriteNonsense(const std::string& path, int64_t pos, int64_t n, std::mt19937_64& rng) {
  std::string junk(static_cast<size_t>(n), '\0');
  for (auto& c : junk) c = static_cast<char>(rng());
  testing::PokeFile(path, pos, junk);
}

TEST_F(LogSegmentTest, RecoveryFixesCorruptOffsetIndex) {
  auto seg = Create(0);
  std::vector<Rec> recs;
  int64_t offset = 0;
  for (int i = 0; i < 100; ++i) {
    recs.push_back({offset, -1, std::to_string(i)});
    offset += static_cast<int64_t>(recs.back().value.size()) + 1;
    Append(*seg, {recs.back()});
  }
  ASSERT_GT(seg->offset_index().entries(), 10);
  std::mt19937_64 rng(7);
  std::string index_path = SegmentFilePath(dir_.path(), Offset(0), kIndexSuffix);
  WriteNonsense(index_path, 5, testing::FileSize(index_path) - 5, rng);
  auto recovered = seg->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->cut_bytes, 0);
  char buf[8];
  for (const auto& r : recs) {
    auto got = seg->Read(Offset(r.offset), buf, sizeof(buf));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->start, Offset(r.offset));
    ASSERT_GE(got->bytes, static_cast<int64_t>(r.value.size()) + 1);
    EXPECT_EQ(std::string(buf, r.value.size() + 1), Presented(r));
  }
}

TEST_F(LogSegmentTest, RecoveryFixesCorruptTimeIndex) {
  auto seg = Create(0);
  std::vector<Rec> recs;
  for (int i = 0; i < 10; ++i) {
    recs.push_back({2 * i, 10 * i, std::to_string(i)});
    Append(*seg, {recs.back()});
  }
  ASSERT_GT(seg->time_index().entries(), 2);
  std::mt19937_64 rng(11);
  std::string time_path = SegmentFilePath(dir_.path(), Offset(0), kTimeIndexSuffix);
  WriteNonsense(time_path, 5, testing::FileSize(time_path) - 5, rng);
  auto recovered = seg->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  for (int i = 0; i < 10; ++i) {
    auto at = seg->FindOffsetByTimestamp(Timestamp(10 * i), Offset(0));
    ASSERT_TRUE(at.ok());
    EXPECT_EQ(*at, Offset(2 * i)) << i;
    if (i < 9) {
      auto after = seg->FindOffsetByTimestamp(Timestamp(10 * i + 1), Offset(0));
      ASSERT_TRUE(after.ok());
      EXPECT_EQ(*after, Offset(2 * (i + 1))) << i;
    }
  }
}

TEST_F(LogSegmentTest, RecoveryWithCorruptMessageKeepsExactlyTheBatchesBeforeIt) {
  for (uint64_t seed = 1; seed <= 15; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    // The first, second and last batch explicitly, then random ones.
    static constexpr size_t kVictims[] = {0, 1, 19};
    TempDir dir;
    LogSegment::Options o = Options(1000);
    o.dir = dir.path();
    auto created = LogSegment::Create(o);
    ASSERT_TRUE(created.ok());
    auto seg = std::move(created).value();
    std::vector<std::vector<Rec>> batches;
    int64_t offset = 1000;
    for (int b = 0; b < 20; ++b) {
      std::vector<Rec> batch;
      int n = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < n; ++i) {
        std::string value(rng() % 20, static_cast<char>('a' + rng() % 26));
        batch.push_back({offset, 100 + b, value});
        offset += static_cast<int64_t>(value.size()) + 1;
      }
      Append(*seg, batch);
      batches.push_back(batch);
    }
    auto locations = seg->Batches();
    ASSERT_TRUE(locations.ok());
    ASSERT_EQ(locations->size(), 20u);
    // Batch k from a random point inside it to the end of the file: garbage.
    size_t k = seed <= 3 ? kVictims[seed - 1] : rng() % 20;
    SCOPED_TRACE("batch " + std::to_string(k));
    const BatchLocation& victim = (*locations)[k];
    int64_t pos = victim.position.value + static_cast<int64_t>(rng() % static_cast<uint64_t>(victim.size));
    const int64_t size_before = seg->size();
    WriteNonsense(seg->log_path(), pos, seg->size() - pos, rng);

    auto recovered = seg->Recover();
    ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
    EXPECT_EQ(recovered->cut_bytes, size_before - victim.position.value);
    EXPECT_EQ(seg->size(), victim.position.value);
    auto left = seg->Batches();
    ASSERT_TRUE(left.ok());
    ASSERT_EQ(left->size(), k);
    std::vector<Rec> kept;
    for (size_t b = 0; b < k; ++b) {
      EXPECT_EQ((*left)[b].base_offset, (*locations)[b].base_offset);
      EXPECT_EQ((*left)[b].size, (*locations)[b].size);
      kept.insert(kept.end(), batches[b].begin(), batches[b].end());
    }
    EXPECT_EQ(ReadAll(*seg, 0), ExpectedFrom(kept, 0));
    EXPECT_EQ(seg->next_offset(),
              k == 0 ? Offset(1000)
                     : Offset(kept.back().offset + static_cast<int64_t>(kept.back().value.size()) + 1));
    auto count = seg->RecordCount();
    ASSERT_TRUE(count.ok());
    EXPECT_EQ(*count, static_cast<int64_t>(kept.size()));
  }
}

// Plain CRC-32 (IEEE), the legacy message format's checksum.
uint32_t Crc32Ieee(std::string_view s) {
  uint32_t crc = 0xFFFFFFFFu;
  for (char ch : s) {
    crc ^= static_cast<uint8_t>(ch);
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
  }
  return crc ^ 0xFFFFFFFFu;
}

// A magic 1 log entry: offset | size | crc | magic | attributes | timestamp |
// key length (-1) | value length | value, with a valid CRC-32.
std::string LegacyEntryV1(int64_t offset, int64_t timestamp, std::string_view value) {
  std::string message;
  message.push_back(1);  // magic
  message.push_back(0);  // attributes
  char buf[8];
  be::Store<int64_t>(buf, timestamp);
  message.append(buf, 8);
  be::Store<int32_t>(buf, -1);
  message.append(buf, 4);
  be::Store<int32_t>(buf, static_cast<int32_t>(value.size()));
  message.append(buf, 4);
  message.append(value);
  std::string entry;
  be::Store<int64_t>(buf, offset);
  entry.append(buf, 8);
  be::Store<int32_t>(buf, static_cast<int32_t>(message.size() + 4));
  entry.append(buf, 4);
  be::Store<uint32_t>(buf, Crc32Ieee(message));
  entry.append(buf, 4);
  entry += message;
  return entry;
}

TEST_F(LogSegmentTest, RecoverRefusesAValidLegacyBatchInsteadOfMisreadingIt) {
  std::string before = BuildBatch({{0, 5, "first"}});
  std::string legacy = LegacyEntryV1(6, 5, "legacy value");
  std::string after = BuildBatch({{100, 5, "third"}});
  std::string path = SegmentFilePath(dir_.path(), Offset(0), kLogSuffix);
  testing::WriteFile(path, before + legacy + after);
  auto seg = Open(0);
  auto recovered = seg->Recover();
  ASSERT_FALSE(recovered.ok());
  EXPECT_EQ(recovered.status().code(), Code::kUnsupported) << recovered.status().ToString();
  EXPECT_EQ(testing::FileSize(path), static_cast<int64_t>(before.size() + legacy.size() + after.size()));
}

// A compressed batch is validated by its CRC and by inflating its records:
// one that inflates stays and reads back; one that does not (its CRC holds,
// but it is not what any producer writes) is cut like a torn tail.
TEST_F(LogSegmentTest, RecoverKeepsACompressedBatchAndCutsOneThatDoesNotInflate) {
  std::string before = BuildBatch({{0, 5, "first"}});
  std::string zstd;
  ASSERT_TRUE(CompressBatch(BuildBatch({{6, 5, "second"}, {13, 5, "third"}}), Codec::kZstd, 3, &zstd).ok());
  std::string fake = BuildBatch({{19, 5, "pretend-compressed"}}, /*attributes=*/1);
  std::string path = SegmentFilePath(dir_.path(), Offset(0), kLogSuffix);
  testing::WriteFile(path, before + zstd + fake);
  auto seg = Open(0);
  auto recovered = seg->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->cut_bytes, static_cast<int64_t>(fake.size()));
  EXPECT_EQ(ReadAll(*seg, 0), "first\nsecond\nthird\n");
  EXPECT_EQ(ReadAll(*seg, 8), "cond\nthird\n");  // inside the compressed batch
  EXPECT_EQ(seg->next_offset(), Offset(19));
}

TEST_F(LogSegmentTest, GarbageWhoseMagicIsNotTwoIsTruncatedNotUnsupported) {
  for (int8_t magic : {int8_t{0}, int8_t{1}, int8_t{3}, int8_t{-1}}) {
    SCOPED_TRACE("magic " + std::to_string(magic));
    TempDir dir;
    std::mt19937_64 rng(static_cast<uint64_t>(magic) + 100);
    std::string good = BuildBatch({{0, 5, "first"}, {6, 6, "second"}});
    // 100 bytes framed as one entry (its length field fits the file) whose
    // checksum is whatever the garbage says.
    std::string junk(100, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    be::Store<int64_t>(junk.data(), 13);
    be::Store<int32_t>(junk.data() + format::kLengthPos, 100 - 12);
    junk[format::kMagicPos] = static_cast<char>(magic);
    std::string path = SegmentFilePath(dir.path(), Offset(0), kLogSuffix);
    testing::WriteFile(path, good + junk);
    LogSegment::Options o = Options(0);
    o.dir = dir.path();
    auto opened = LogSegment::Open(o);
    ASSERT_TRUE(opened.ok());
    auto seg = std::move(opened).value();
    auto recovered = seg->Recover();
    ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
    EXPECT_EQ(recovered->cut_bytes, 100);
    EXPECT_EQ(seg->size(), static_cast<int64_t>(good.size()));
    EXPECT_EQ(ReadAll(*seg, 0), "first\nsecond\n");
    EXPECT_EQ(seg->next_offset(), Offset(13));
  }
}

// A batch whose CRC-32C fails is never served, not even the part of it a
// read reaches before the damage: the read returns the good batch before
// it; a read that starts at it fails; a read after it is served; the
// segment counts it and needs repair.
TEST_F(LogSegmentTest, ReadsWithholdADamagedBatchWholeAndServeAroundIt) {
  for (int64_t chunk : {int64_t{7}, int64_t{100}, int64_t{1 << 20}}) {
    SCOPED_TRACE("read size " + std::to_string(chunk));
    TempDir dir;
    LogSegment::Options o = Options(0);
    o.dir = dir.path();
    auto seg = std::move(LogSegment::Create(o)).value();
    std::vector<Rec> first, second, third;
    int64_t offset = 0;
    for (auto* batch : {&first, &second, &third}) {
      for (int i = 0; i < 50; ++i) {
        std::string value = "value " + std::to_string(offset) + std::string(40, 'v');
        batch->push_back({offset, 5, value});
        offset += static_cast<int64_t>(value.size()) + 1;
      }
      Append(*seg, *batch);
    }
    auto locations = seg->Batches();
    ASSERT_TRUE(locations.ok());
    // The last byte of the second batch's last value.
    const BatchLocation& damaged = (*locations)[1];
    testing::PokeFile(seg->log_path(), damaged.position.value + damaged.size - 2, "#");
    const SequentialRead read = ReadUntilFailure(*seg, Offset(0), chunk);
    EXPECT_EQ(read.failed.code(), Code::kCorruption);
    EXPECT_EQ(read.served, ExpectedFrom(first, 0));
    EXPECT_EQ(read.at, Offset(second.front().offset));
    EXPECT_EQ(ReadAll(*seg, third.front().offset, chunk), ExpectedFrom(third, third.front().offset));
    EXPECT_EQ(seg->withheld_batches(), 1);
    EXPECT_TRUE(seg->needs_repair());
  }
}

// Three batches of 400 values of 100 bytes (about 44 KB each, so a read
// checks each in several pieces) appended to seg; their records.
std::vector<std::vector<Rec>> AppendLargeBatches(LogSegment& seg,
                                                 const std::function<void(LogSegment&, const std::vector<Rec>&)>& append) {
  std::vector<std::vector<Rec>> batches(3);
  int64_t offset = 0;
  for (auto& batch : batches) {
    for (int i = 0; i < 400; ++i) {
      std::string value = std::to_string(offset) + std::string(100, static_cast<char>('a' + i % 26));
      batch.push_back({offset, 5, value});
      offset += static_cast<int64_t>(value.size()) + 1;
    }
    append(seg, batch);
  }
  return batches;
}

// A sequential reader copies a batch before its check is done. A damaged
// byte early in the batch, in the first piece copied, or at its very end,
// must still keep every byte of it from the reader: the read returns what
// came before the batch, and the read that starts at it fails.
TEST_F(LogSegmentTest, ACursorsReadWithholdsABatchFoundDamagedAfterItsBytesWereCopied) {
  for (int64_t from_end : {int64_t{-1}, int64_t{2}}) {
    for (int64_t chunk : {int64_t{4096}, int64_t{50'000}, int64_t{1 << 20}}) {
      SCOPED_TRACE("read size " + std::to_string(chunk) + ", damage " + std::to_string(from_end));
      TempDir dir;
      LogSegment::Options o = Options(0);
      o.dir = dir.path();
      auto seg = std::move(LogSegment::Create(o)).value();
      auto recs = AppendLargeBatches(*seg, [&](LogSegment& s, const std::vector<Rec>& b) { Append(s, b); });
      auto locations = seg->Batches();
      ASSERT_TRUE(locations.ok());
      const BatchLocation& damaged = (*locations)[1];
      // -1: a byte of the first record's value; else from the batch's end.
      const int64_t at_byte = from_end < 0 ? damaged.position.value + format::kBatchHeaderSize + 12
                                           : damaged.position.value + damaged.size - from_end;
      testing::PokeFile(seg->log_path(), at_byte, "#");
      ReadCursor cursor;
      const SequentialRead read = ReadUntilFailure(*seg, Offset(0), chunk, &cursor);
      EXPECT_EQ(read.failed.code(), Code::kCorruption);
      EXPECT_EQ(read.served, ExpectedFrom(recs[0], 0));
      EXPECT_EQ(read.at, Offset(recs[1].front().offset));
      EXPECT_EQ(seg->withheld_batches(), 1);
      ReadCursor after;
      const SequentialRead rest = ReadUntilFailure(*seg, Offset(recs[2].front().offset), chunk, &after);
      ASSERT_TRUE(rest.failed.ok()) << rest.failed.ToString();
      EXPECT_EQ(rest.served, ExpectedFrom(recs[2], recs[2].front().offset));
    }
  }
}

// A read fills its buffer as a file's does, with a cursor too: a batch it
// has room for only part of is checked whole before any of it is served,
// and the next read through the cursor goes on inside it, every byte once.
TEST_F(LogSegmentTest, ACursorsReadFillsItsBufferInsideABatchStillToBeChecked) {
  for (bool verify : {true, false}) {
    SCOPED_TRACE(verify ? "checks on" : "checks off");
    TempDir dir;
    LogSegment::Options o = Options(0);
    o.dir = dir.path();
    o.verify_reads = verify;
    auto seg = std::move(LogSegment::Create(o)).value();
    auto recs = AppendLargeBatches(*seg, [&](LogSegment& s, const std::vector<Rec>& b) { Append(s, b); });
    const std::string first = ExpectedFrom(recs[0], 0);
    const std::string second = ExpectedFrom(recs[1], recs[1].front().offset);
    // Room for a third of the second batch after the whole first one.
    const int64_t max = static_cast<int64_t>(first.size() + second.size() / 3);
    std::vector<char> buf(static_cast<size_t>(max));
    ReadCursor cursor;
    auto r = seg->Read(Offset(0), buf.data(), max, &cursor);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->bytes, max);
    std::string got(buf.data(), static_cast<size_t>(max));
    auto next = seg->Read(r->next, buf.data(), max, &cursor);
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(next->start, r->next);
    got.append(buf.data(), static_cast<size_t>(next->bytes));
    const std::string want = first + second;
    EXPECT_EQ(got.substr(0, want.size()), want);
  }
}

TEST_F(LogSegmentTest, RecoverCutsATornTailAndTrailingZeros) {
  auto seg = Create(0);
  Append(*seg, {{0, 5, "keep"}});
  Append(*seg, {{5, 6, "torn"}});
  auto batches = seg->Batches();
  ASSERT_TRUE(batches.ok());
  int64_t keep = (*batches)[1].position.value;
  testing::TruncateFile(seg->log_path(), keep + 20);  // half a batch header
  testing::PokeFile(seg->log_path(), keep + 20, std::string(300, '\0'));  // zeros after it
  seg.reset();
  auto reopened = Open(0);
  auto recovered = reopened->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->cut_bytes, 320);
  EXPECT_EQ(reopened->size(), keep);
  EXPECT_EQ(ReadAll(*reopened, 0), "keep\n");
  EXPECT_EQ(reopened->next_offset(), Offset(5));
}

// The base offset is outside the CRC. Raised, it makes its batch look
// valid after a gap and the intact batches after it look misplaced (or, by
// a lot, like another Kafka's consecutive offsets): recovery cuts the
// raised batch, not the intact ones, and does not set the segment aside.
TEST_F(LogSegmentTest, RecoveryCutsTheBatchWhoseBaseOffsetWasRaised) {
  for (int64_t raise : {3, 256}) {
    SCOPED_TRACE(raise);
    const int64_t base = raise * 1000;  // a segment of its own for each
    auto seg = Create(base);
    std::string expected;
    int64_t offset = base;
    for (int i = 0; i < 6; ++i) {
      const std::string value = "line " + std::to_string(i) + " of the segment";
      Append(*seg, {{offset, 1000 + i, value}});
      if (i != 2) expected += value + "\n";
      offset += static_cast<int64_t>(value.size()) + 1;
    }
    auto batches = seg->Batches();
    ASSERT_TRUE(batches.ok());
    const BatchLocation victim = (*batches)[2];
    std::string raised(8, '\0');
    be::Store<int64_t>(raised.data(), victim.base_offset.value + raise);
    seg.reset();
    testing::PokeFile(SegmentFilePath(dir_.path(), Offset(base), kLogSuffix), victim.position.value, raised);
    auto reopened = Open(base);
    auto recovered = reopened->Recover();
    ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
    EXPECT_EQ(recovered->cut_bytes, victim.size);
    EXPECT_EQ(ReadAll(*reopened, base), expected);
    EXPECT_EQ(reopened->next_offset(), Offset(offset));
  }
}

TEST_F(LogSegmentTest, RecoveryRebuildsTheSameIndexesAsAppending) {
  auto seg = Create(0, /*index_interval_bytes=*/40);
  int64_t offset = 0;
  int64_t last_offset = 0;
  for (int i = 0; i < 60; ++i) {
    std::string value = "v" + std::to_string(i * 7);
    Append(*seg, {{offset, 1000 + 3 * i, value}});
    last_offset = offset;
    offset += static_cast<int64_t>(value.size()) + 1;
  }
  std::vector<OffsetIndex::Entry> offsets;
  for (int i = 0; i < seg->offset_index().entries(); ++i) offsets.push_back(seg->offset_index().EntryAt(i));
  std::vector<TimeIndex::Entry> times;
  for (int i = 0; i < seg->time_index().entries(); ++i) times.push_back(seg->time_index().EntryAt(i));
  ASSERT_GT(offsets.size(), 5u);
  auto recovered = seg->Recover();
  ASSERT_TRUE(recovered.ok());
  std::vector<OffsetIndex::Entry> offsets_after;
  for (int i = 0; i < seg->offset_index().entries(); ++i) {
    offsets_after.push_back(seg->offset_index().EntryAt(i));
  }
  EXPECT_EQ(offsets_after, offsets);
  // Recovery ends like Kafka's: with the final entry (newest timestamp, its
  // offset) after the entries appending made.
  ASSERT_GE(seg->time_index().entries(), static_cast<int>(times.size()));
  for (size_t i = 0; i < times.size(); ++i) EXPECT_EQ(seg->time_index().EntryAt(static_cast<int>(i)), times[i]);
  EXPECT_EQ(seg->time_index().LastEntry().timestamp, Timestamp(1000 + 3 * 59));
  EXPECT_EQ(seg->time_index().LastEntry().offset, Offset(last_offset));
}

// ---- Roll ----

TEST_F(LogSegmentTest, ShouldRollWhenTheAppendWouldExceedSegmentBytes) {
  auto seg = Create(0);
  Append(*seg, {{0, clock_.Now().value, "hello"}});
  const int64_t size = seg->size();
  const Timestamp ts = clock_.Now();
  EXPECT_FALSE(seg->ShouldRoll(100, Offset(6), ts, static_cast<int32_t>(size + 100), 1'000'000));
  EXPECT_TRUE(seg->ShouldRoll(101, Offset(6), ts, static_cast<int32_t>(size + 100), 1'000'000));
}

TEST_F(LogSegmentTest, ShouldRollForTimeByRecordTimestamps) {
  auto seg = Create(0);
  const int64_t first = clock_.Now().value;
  Append(*seg, {{0, first, "hello"}});
  EXPECT_FALSE(seg->ShouldRoll(10, Offset(6), Timestamp(first + 1000), 1 << 20, 1000));
  EXPECT_TRUE(seg->ShouldRoll(10, Offset(6), Timestamp(first + 1001), 1 << 20, 1000));
  // The wall clock alone does not roll a segment whose records have timestamps.
  clock_.Advance(1'000'000);
  EXPECT_FALSE(seg->ShouldRoll(10, Offset(6), Timestamp(first + 5), 1 << 20, 1000));
}

TEST_F(LogSegmentTest, ShouldRollForTimeByRecordTimestampsAfterReopen) {
  const int64_t first = clock_.Now().value;
  {
    auto seg = Create(0);
    Append(*seg, {{0, first, "hello"}});
    Append(*seg, {{6, first + 500, "world"}});
    ASSERT_TRUE(seg->Close().ok());
  }
  auto seg = Open(0);
  // A closed segment's indexes are trimmed (so full); the loader grows the
  // active segment's back.
  ASSERT_TRUE(seg->ResizeIndexes(1000).ok());
  EXPECT_FALSE(seg->ShouldRoll(10, Offset(12), Timestamp(first + 1000), 1 << 20, 1000));
  EXPECT_TRUE(seg->ShouldRoll(10, Offset(12), Timestamp(first + 1001), 1 << 20, 1000));
}

// Opening must cost the same for a 1 GiB segment as for a small one: it
// reads the first batch's header (the roll timestamp) and the batches after
// the last index entry, not every header in between. A garbage header in
// between therefore goes unnoticed at open, as in Kafka after a clean
// shutdown; recovery from the recovery point is what validates batches.
TEST_F(LogSegmentTest, OpenReadsOnlyTheFirstBatchHeaderAndTheUnindexedTail) {
  const int64_t first = clock_.Now().value;
  std::vector<BatchLocation> batches;
  std::string path;
  int64_t end = 0;
  {
    auto seg = Create(0, /*index_interval_bytes=*/30);
    for (int i = 0; i < 40; ++i) {
      Append(*seg, {{end, first + i * 10, "value-" + std::to_string(i)}});
      end += static_cast<int64_t>(("value-" + std::to_string(i)).size()) + 1;
    }
    auto b = seg->Batches();
    ASSERT_TRUE(b.ok());
    batches = *b;
    path = seg->log_path();
    ASSERT_GT(seg->offset_index().entries(), 3);
    ASSERT_TRUE(seg->Close().ok());
  }
  // Batch 5 is before the last index entry: its length field (bytes 8-11)
  // becomes a size past the end of the file.
  const char garbage[4] = {0x7f, 0x7f, 0x7f, 0x7f};
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, garbage, 4, batches[5].position.value + 8), 4);
  ::close(fd);

  auto seg = Open(0, 30);
  EXPECT_FALSE(seg->needs_recovery());
  EXPECT_EQ(seg->next_offset(), Offset(end));
  EXPECT_EQ(seg->MaxTimestampSoFar(), Timestamp(first + 390));
  // The roll timestamp is still the first batch's.
  ASSERT_TRUE(seg->ResizeIndexes(1000).ok());
  EXPECT_FALSE(seg->ShouldRoll(10, Offset(end), Timestamp(first + 1000), 1 << 20, 1000));
  EXPECT_TRUE(seg->ShouldRoll(10, Offset(end), Timestamp(first + 1001), 1 << 20, 1000));
}

TEST_F(LogSegmentTest, ShouldRollForTimeByWallClockWhenRecordsHaveNoTimestamp) {
  auto seg = Create(0);
  Append(*seg, {{0, -1, "hello"}});
  EXPECT_FALSE(seg->ShouldRoll(10, Offset(6), kNoTimestamp, 1 << 20, 1000));
  clock_.Advance(1000);
  EXPECT_FALSE(seg->ShouldRoll(10, Offset(6), kNoTimestamp, 1 << 20, 1000));
  clock_.Advance(1);
  EXPECT_TRUE(seg->ShouldRoll(10, Offset(6), kNoTimestamp, 1 << 20, 1000));
  // Kafka: the first batch decides; a timestamped append to a segment whose
  // first batch had none still rolls by the wall clock.
  EXPECT_TRUE(seg->ShouldRoll(10, Offset(6), Timestamp(0), 1 << 20, 1000));
}

TEST_F(LogSegmentTest, ShouldRollByWallClockAfterReopenWhenTheFirstBatchHasNoTimestamp) {
  {
    auto seg = Create(0);
    Append(*seg, {{0, -1, "hello"}});
    ASSERT_TRUE(seg->Close().ok());
  }
  auto seg = Open(0);
  ASSERT_TRUE(seg->ResizeIndexes(1000).ok());
  const int64_t t = clock_.Now().value;
  Append(*seg, {{6, t, "world"}});
  EXPECT_FALSE(seg->ShouldRoll(10, Offset(12), Timestamp(t + 1'000'000), 1 << 20, 1000));
  clock_.Advance(1001);
  EXPECT_TRUE(seg->ShouldRoll(10, Offset(12), Timestamp(t), 1 << 20, 1000));
}

TEST_F(LogSegmentTest, EmptySegmentNeverRollsForTime) {
  auto seg = Create(0);
  clock_.Advance(10'000'000);
  EXPECT_FALSE(seg->ShouldRoll(10, Offset(5), clock_.Now(), 1 << 20, 1));
  EXPECT_FALSE(seg->ShouldRoll(10, Offset(5), kNoTimestamp, 1 << 20, 1));
}

TEST_F(LogSegmentTest, ShouldRollWhenTheOffsetIndexIsFull) {
  // 24 bytes: 3 offset index entries. Records without timestamps leave the
  // time index empty, so the offset index is what fills.
  auto seg = Create(0, /*index_interval_bytes=*/0, /*max_index_bytes=*/24);
  int64_t offset = 0;
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(seg->ShouldRoll(10, Offset(offset), kNoTimestamp, 1 << 20, 1'000'000)) << i;
    Append(*seg, {{offset, -1, "x"}});
    offset += 2;
  }
  EXPECT_EQ(seg->offset_index().entries(), 3);
  EXPECT_TRUE(seg->offset_index().IsFull());
  EXPECT_TRUE(seg->ShouldRoll(10, Offset(offset), kNoTimestamp, 1 << 20, 1'000'000));
}

TEST_F(LogSegmentTest, ShouldRollWhenTheTimeIndexIsFull) {
  // 36 bytes: 3 time index slots, the last reserved: full at 2 entries.
  auto seg = Create(0, /*index_interval_bytes=*/0, /*max_index_bytes=*/36);
  const int64_t t = clock_.Now().value;
  Append(*seg, {{0, t, "x"}});
  Append(*seg, {{2, t + 1, "x"}});
  EXPECT_FALSE(seg->ShouldRoll(10, Offset(4), Timestamp(t + 2), 1 << 20, 1'000'000));
  Append(*seg, {{4, t + 2, "x"}});
  EXPECT_EQ(seg->time_index().entries(), 2);
  EXPECT_TRUE(seg->time_index().IsFull());
  EXPECT_TRUE(seg->ShouldRoll(10, Offset(6), Timestamp(t + 3), 1 << 20, 1'000'000));
}

TEST_F(LogSegmentTest, ShouldRollWhenTheRelativeOffsetWouldOverflow) {
  auto seg = Create(100);
  Append(*seg, {{100, clock_.Now().value, "x"}});
  EXPECT_FALSE(seg->ShouldRoll(10, Offset(100 + kInt32Max), clock_.Now(), 1 << 20, 1'000'000));
  EXPECT_TRUE(seg->ShouldRoll(10, Offset(100 + kInt32Max + 1), clock_.Now(), 1 << 20, 1'000'000));
}

TEST_F(LogSegmentTest, RecoverEndsWithTheFinalTimeIndexEntryAndTrimmedIndexes) {
  auto seg = Create(0, /*index_interval_bytes=*/1000);
  Append(*seg, {{0, 10, "a"}});
  Append(*seg, {{2, 30, "b"}});
  Append(*seg, {{4, 20, "c"}});
  auto recovered = seg->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  // Kafka's recover(): like a normally closed segment, the newest timestamp
  // and its offset are the last time index entry; both indexes are trimmed.
  EXPECT_EQ(seg->time_index().entries(), 1);
  EXPECT_EQ(seg->time_index().LastEntry(), (TimeIndex::Entry{Timestamp(30), Offset(2)}));
  EXPECT_EQ(seg->time_index().file_length(), 12);
  EXPECT_EQ(seg->offset_index().file_length(), 0);
  // Growing them back (what the loader does for the active segment) makes
  // the segment appendable again, and lookups still work.
  ASSERT_TRUE(seg->ResizeIndexes(1000).ok());
  Append(*seg, {{6, 40, "d"}});
  auto at = seg->FindOffsetByTimestamp(Timestamp(25), Offset(0));
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(*at, Offset(2));
  EXPECT_EQ(ReadAll(*seg, 0), "a\nb\nc\nd\n");
}

TEST_F(LogSegmentTest, OnBecomeInactiveWritesTheFinalTimeIndexEntryAndTrims) {
  auto seg = Create(0, /*index_interval_bytes=*/1000);
  Append(*seg, {{0, 10, "a"}});
  Append(*seg, {{2, 30, "b"}});
  Append(*seg, {{4, 20, "c"}});
  EXPECT_EQ(seg->time_index().entries(), 0);
  ASSERT_TRUE(seg->OnBecomeInactive().ok());
  EXPECT_EQ(seg->time_index().LastEntry(), (TimeIndex::Entry{Timestamp(30), Offset(2)}));
  EXPECT_EQ(seg->time_index().file_length(), 12);
  EXPECT_EQ(seg->offset_index().file_length(), 0);
  // Twice adds nothing.
  ASSERT_TRUE(seg->OnBecomeInactive().ok());
  EXPECT_EQ(seg->time_index().entries(), 1);
}

}  // namespace
}  // namespace topicfs::store
