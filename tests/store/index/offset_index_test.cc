// Ports Kafka's OffsetIndexTest (storage/src/test/java/org/apache/kafka/
// storage/internals/log/OffsetIndexTest.java) plus the mmap file
// lifecycle: preallocation, trim, resize, reset, reopen, rename, delete.

#include "store/index/offset_index.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "store/io/file_cache.h"
#include "store/io/file_io.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using topicfs::testing::FileExists;
using topicfs::testing::FileSize;
using topicfs::testing::TempDir;
using topicfs::testing::WriteFile;

constexpr Offset kBase{45};
constexpr int64_t kThirtySlots = 30 * 8;  // Kafka's test size: 240 bytes

using Entry = OffsetIndex::Entry;

Entry E(int64_t offset, int64_t position) { return {Offset(offset), FilePosition(position)}; }

std::unique_ptr<OffsetIndex> OpenOrDie(const std::string& path, Offset base = kBase,
                                       int64_t max_size = kThirtySlots,
                                       FileIo* io = &FileIo::Default()) {
  auto index = OffsetIndex::Open(path, base, max_size, io);
  EXPECT_TRUE(index.ok()) << index.status().ToString();
  return index.ok() ? std::move(index).value() : nullptr;
}

class OffsetIndexTest : public ::testing::Test {
 protected:
  void SetUp() override { index_ = OpenOrDie(path_); }

  // Appends offsets base+1 .. base+n at positions 10, 20, ...
  void AppendSequential(int n) {
    for (int i = 1; i <= n; ++i) {
      ASSERT_TRUE(index_->Append(kBase + i, FilePosition(10 * i)).ok()) << i;
    }
  }

  TempDir dir_;
  std::string path_ = dir_ / "00000000000000000045.index";
  std::unique_ptr<OffsetIndex> index_;
};

// The floor of `target` in the model, or Kafka's "no entry" answer.
Entry ModelLookup(const std::map<int64_t, int64_t>& model, int64_t target) {
  auto it = model.upper_bound(target);
  if (it == model.begin()) return {kBase, FilePosition(0)};
  --it;
  return E(it->first, it->second);
}

TEST_F(OffsetIndexTest, LookupOnEmptyIndexReturnsBaseOffsetAndPositionZero) {
  EXPECT_EQ(index_->Lookup(Offset(92)), E(45, 0));
  EXPECT_EQ(index_->Lookup(Offset(0)), E(45, 0));
  EXPECT_EQ(index_->entries(), 0);
  EXPECT_EQ(index_->last_offset(), kBase);
}

TEST_F(OffsetIndexTest, RandomLookupMatchesFloorOfAppendedEntries) {
  for (uint32_t seed = 1; seed <= 25; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    ASSERT_TRUE(index_->Reset().ok());
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int64_t> offset_gap(1, 5);
    std::uniform_int_distribution<int64_t> position_gap(1, 300);
    std::map<int64_t, int64_t> model;
    // Start at the base sometimes: a relative offset of 0 is a valid entry.
    int64_t offset = kBase.value + (seed % 3 == 0 ? 0 : offset_gap(rng));
    int64_t position = seed % 2 == 0 ? 0 : position_gap(rng);
    while (!index_->IsFull()) {
      ASSERT_TRUE(index_->Append(Offset(offset), FilePosition(position)).ok());
      model[offset] = position;
      for (int64_t target = kBase.value - 3; target <= offset + 6; ++target) {
        ASSERT_EQ(index_->Lookup(Offset(target)), ModelLookup(model, target)) << target;
      }
      offset += offset_gap(rng);
      position += position_gap(rng);
    }
    EXPECT_EQ(index_->entries(), 30);
  }
}

TEST_F(OffsetIndexTest, LookupAtExtremesOfAFullIndex) {
  AppendSequential(30);
  EXPECT_TRUE(index_->IsFull());
  EXPECT_EQ(index_->Lookup(kBase), E(45, 0));
  EXPECT_EQ(index_->Lookup(kBase + 1), E(46, 10));
  EXPECT_EQ(index_->Lookup(kBase + 30), E(75, 300));
  EXPECT_EQ(index_->Lookup(Offset::Max()), E(75, 300));
  EXPECT_EQ(index_->Lookup(Offset(std::numeric_limits<int64_t>::min())), E(45, 0));
}

TEST_F(OffsetIndexTest, LookupSearchesBothWarmAndColdSectionsOfALargeIndex) {
  // 5000 entries: more than the 1024-entry warm section, so lookups near the
  // head take the cold path and lookups near the tail the warm one.
  auto big = OpenOrDie(dir_ / "big.index", kBase, 5000 * 8);
  std::map<int64_t, int64_t> model;
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(big->Append(kBase + (3 * i + 2), FilePosition(7 * i)).ok());
    model[kBase.value + 3 * i + 2] = 7 * i;
  }
  for (int64_t target = kBase.value - 1; target <= kBase.value + 3 * 5000 + 3; ++target) {
    ASSERT_EQ(big->Lookup(Offset(target)), ModelLookup(model, target)) << target;
  }
}

TEST_F(OffsetIndexTest, AppendToFullIndexFails) {
  AppendSequential(30);
  Status st = index_->Append(kBase + 31, FilePosition(310));
  EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.ToString();
  EXPECT_EQ(index_->entries(), 30);
}

TEST_F(OffsetIndexTest, AppendOfOffsetBelowTheLastFails) {
  ASSERT_TRUE(index_->Append(Offset(51), FilePosition(0)).ok());
  EXPECT_EQ(index_->Append(Offset(50), FilePosition(1)).code(), Code::kInvalidArgument);
  EXPECT_EQ(index_->entries(), 1);
}

TEST_F(OffsetIndexTest, AppendOfOffsetEqualToTheLastFails) {
  ASSERT_TRUE(index_->Append(Offset(51), FilePosition(0)).ok());
  EXPECT_EQ(index_->Append(Offset(51), FilePosition(1)).code(), Code::kInvalidArgument);
}

TEST_F(OffsetIndexTest, FirstAppendMayUseTheBaseOffset) {
  ASSERT_TRUE(index_->Append(kBase, FilePosition(0)).ok());
  EXPECT_EQ(index_->Lookup(kBase), E(45, 0));
  EXPECT_TRUE(index_->SanityCheck().ok());
}

TEST_F(OffsetIndexTest, AppendOfOffsetBelowBaseFails) {
  EXPECT_EQ(index_->Append(kBase - 1, FilePosition(0)).code(), Code::kInvalidArgument);
}

TEST_F(OffsetIndexTest, AppendOfRelativeOffsetBeyondInt32Fails) {
  const int64_t max = std::numeric_limits<int32_t>::max();
  EXPECT_EQ(index_->Append(kBase + (max + 1), FilePosition(0)).code(), Code::kInvalidArgument);
  ASSERT_TRUE(index_->Append(kBase + max, FilePosition(0)).ok());
  EXPECT_EQ(index_->Lookup(Offset::Max()), E(kBase.value + max, 0));
}

TEST_F(OffsetIndexTest, AppendOfPositionOutsideInt32Fails) {
  const int64_t max = std::numeric_limits<int32_t>::max();
  EXPECT_EQ(index_->Append(kBase + 1, FilePosition(max + 1)).code(), Code::kInvalidArgument);
  EXPECT_EQ(index_->Append(kBase + 1, FilePosition(-1)).code(), Code::kInvalidArgument);
  ASSERT_TRUE(index_->Append(kBase + 1, FilePosition(max)).ok());
  EXPECT_EQ(index_->EntryAt(0), E(46, max));
}

TEST_F(OffsetIndexTest, EntriesAreStoredBigEndianRelativeToBase) {
  ASSERT_TRUE(index_->Append(Offset(0x01020304 + 45), FilePosition(0x0a0b0c0d)).ok());
  ASSERT_TRUE(index_->TrimToValidSize().ok());
  EXPECT_EQ(topicfs::testing::ReadFile(path_), std::string("\x01\x02\x03\x04\x0a\x0b\x0c\x0d", 8));
}

TEST_F(OffsetIndexTest, TruncateRemovesEntriesAtOrAboveTheOffset) {
  // Kafka's truncate test uses base 0, not the fixture's 45.
  auto idx = OpenOrDie(dir_ / "0.index", Offset(0));
  for (int i = 1; i < 10; ++i) ASSERT_TRUE(idx->Append(Offset(i), FilePosition(i)).ok());

  ASSERT_TRUE(idx->TruncateTo(Offset(12)).ok());
  EXPECT_EQ(idx->entries(), 9);
  EXPECT_EQ(idx->Lookup(Offset(10)), E(9, 9));

  ASSERT_TRUE(idx->Append(Offset(10), FilePosition(10)).ok());
  ASSERT_TRUE(idx->TruncateTo(Offset(10)).ok());
  EXPECT_EQ(idx->Lookup(Offset(10)), E(9, 9));
  EXPECT_EQ(idx->last_offset(), Offset(9));
  ASSERT_TRUE(idx->Append(Offset(10), FilePosition(10)).ok());

  ASSERT_TRUE(idx->TruncateTo(Offset(9)).ok());
  EXPECT_EQ(idx->Lookup(Offset(10)), E(8, 8));
  EXPECT_EQ(idx->last_offset(), Offset(8));
  ASSERT_TRUE(idx->Append(Offset(9), FilePosition(9)).ok());

  ASSERT_TRUE(idx->TruncateTo(Offset(5)).ok());
  EXPECT_EQ(idx->Lookup(Offset(10)), E(4, 4));
  EXPECT_EQ(idx->last_offset(), Offset(4));
  ASSERT_TRUE(idx->Append(Offset(5), FilePosition(5)).ok());

  ASSERT_TRUE(idx->TruncateTo(Offset(0)).ok());
  EXPECT_EQ(idx->entries(), 0);
  EXPECT_EQ(idx->Lookup(Offset(10)), E(0, 0));
  ASSERT_TRUE(idx->Append(Offset(1), FilePosition(1)).ok());
}

TEST_F(OffsetIndexTest, TruncateToAnOffsetInAGapKeepsTheEntryBelowIt) {
  ASSERT_TRUE(index_->Append(Offset(50), FilePosition(0)).ok());
  ASSERT_TRUE(index_->Append(Offset(60), FilePosition(100)).ok());
  ASSERT_TRUE(index_->TruncateTo(Offset(55)).ok());
  EXPECT_EQ(index_->entries(), 1);
  EXPECT_EQ(index_->last_offset(), Offset(50));
}

TEST_F(OffsetIndexTest, FetchUpperBoundOffsetFindsFirstEntryAtOrPastStartPlusSize) {
  ASSERT_TRUE(index_->Append(Offset(45), FilePosition(0)).ok());
  ASSERT_TRUE(index_->Append(Offset(46), FilePosition(10)).ok());
  ASSERT_TRUE(index_->Append(Offset(47), FilePosition(23)).ok());
  ASSERT_TRUE(index_->Append(Offset(48), FilePosition(37)).ok());

  EXPECT_EQ(index_->FetchUpperBoundOffset(FilePosition(0), 5), E(46, 10));
  EXPECT_EQ(index_->FetchUpperBoundOffset(FilePosition(0), 23), E(47, 23));
  EXPECT_EQ(index_->FetchUpperBoundOffset(FilePosition(0), 22), E(47, 23));
  EXPECT_EQ(index_->FetchUpperBoundOffset(FilePosition(10), 24), E(48, 37));
  // An exact match on the first entry is that entry. (Kafka's binary search
  // never probes its lower end, so Kafka answers the second entry here.)
  EXPECT_EQ(index_->FetchUpperBoundOffset(FilePosition(0), 0), E(45, 0));
  EXPECT_EQ(index_->FetchUpperBoundOffset(FilePosition(0), 37), E(48, 37));
  EXPECT_EQ(index_->FetchUpperBoundOffset(FilePosition(0), 38), std::nullopt);
  EXPECT_EQ(index_->FetchUpperBoundOffset(FilePosition(0), 200), std::nullopt);
}

TEST_F(OffsetIndexTest, FetchUpperBoundOffsetMatchesCeilingOfPositionsOnRandomIndexes) {
  for (uint32_t seed = 1; seed <= 25; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    ASSERT_TRUE(index_->Reset().ok());
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int64_t> gap(1, 40);
    std::map<int64_t, int64_t> by_position;  // position -> offset
    int64_t offset = kBase.value;
    int64_t position = 0;
    while (!index_->IsFull()) {
      offset += gap(rng);
      position += gap(rng);
      ASSERT_TRUE(index_->Append(Offset(offset), FilePosition(position)).ok());
      by_position[position] = offset;
      for (int64_t target = 0; target <= position + 3; ++target) {
        auto it = by_position.lower_bound(target);
        std::optional<Entry> want;
        if (it != by_position.end()) want = E(it->second, it->first);
        ASSERT_EQ(index_->FetchUpperBoundOffset(FilePosition(0), target), want) << target;
      }
    }
  }
}

TEST_F(OffsetIndexTest, FetchUpperBoundOffsetOnEmptyIndexFindsNothing) {
  EXPECT_EQ(index_->FetchUpperBoundOffset(FilePosition(0), 0), std::nullopt);
}

TEST_F(OffsetIndexTest, ReopenRestoresEntriesAndRejectsAppendsToTheTrimmedFile) {
  ASSERT_TRUE(index_->Append(Offset(50), FilePosition(100)).ok());
  ASSERT_TRUE(index_->Append(Offset(60), FilePosition(200)).ok());
  ASSERT_TRUE(index_->Close().ok());

  auto reopened = OpenOrDie(path_);
  EXPECT_EQ(reopened->entries(), 2);
  EXPECT_EQ(reopened->max_entries(), 2);
  EXPECT_EQ(reopened->last_offset(), Offset(60));
  EXPECT_EQ(reopened->Lookup(Offset(55)), E(50, 100));
  EXPECT_EQ(reopened->Lookup(Offset(60)), E(60, 200));
  EXPECT_EQ(reopened->Lookup(Offset(49)), E(45, 0));
  EXPECT_TRUE(reopened->IsFull());
  EXPECT_EQ(reopened->Append(Offset(70), FilePosition(300)).code(), Code::kInvalidArgument);
  EXPECT_TRUE(reopened->SanityCheck().ok());
}

TEST_F(OffsetIndexTest, ReopenedIndexAcceptsAppendsAfterResizeToMax) {
  ASSERT_TRUE(index_->Append(Offset(50), FilePosition(100)).ok());
  ASSERT_TRUE(index_->Close().ok());
  auto reopened = OpenOrDie(path_);
  ASSERT_TRUE(reopened->Resize(kThirtySlots).ok());
  EXPECT_EQ(reopened->entries(), 1);
  EXPECT_EQ(reopened->max_entries(), 30);
  EXPECT_TRUE(reopened->Append(Offset(60), FilePosition(200)).ok());
}

TEST_F(OffsetIndexTest, ReopenOfAnUntrimmedFileCountsEveryByteAsEntries) {
  // A crash leaves the preallocated file: its zeroed tail reads as entries
  // (base, 0). Kafka relies on recovery rebuilding the active segment's index.
  ASSERT_TRUE(index_->Append(Offset(50), FilePosition(100)).ok());
  ASSERT_TRUE(index_->Flush().ok());
  const std::string copy = dir_ / "copy.index";
  WriteFile(copy, topicfs::testing::ReadFile(path_));

  auto reopened = OpenOrDie(copy);
  EXPECT_EQ(reopened->entries(), 30);
  EXPECT_EQ(reopened->EntryAt(0), E(50, 100));
  EXPECT_EQ(reopened->EntryAt(1), E(45, 0));
}

TEST_F(OffsetIndexTest, NewIndexFileIsPreallocatedToMaxSize) {
  EXPECT_EQ(FileSize(path_), kThirtySlots);
  EXPECT_EQ(index_->file_length(), kThirtySlots);
  EXPECT_EQ(index_->max_entries(), 30);
  EXPECT_EQ(index_->entries(), 0);
}

TEST_F(OffsetIndexTest, PreallocationRoundsDownToWholeEntries) {
  auto odd = OpenOrDie(dir_ / "odd.index", kBase, 250);
  EXPECT_EQ(FileSize(dir_ / "odd.index"), 248);
  EXPECT_EQ(odd->max_entries(), 31);
}

TEST_F(OffsetIndexTest, DefaultSegmentIndexBytesGivesKafkasEntryCount) {
  auto big = OpenOrDie(dir_ / "default.index", kBase, 10485760);
  EXPECT_EQ(big->max_entries(), 1310720);
  EXPECT_EQ(FileSize(dir_ / "default.index"), 10485760);
}

TEST_F(OffsetIndexTest, ZeroLengthExistingFileIsPreallocated) {
  const std::string empty = dir_ / "empty.index";
  WriteFile(empty, "");
  auto idx = OpenOrDie(empty);
  EXPECT_EQ(FileSize(empty), kThirtySlots);
  EXPECT_EQ(idx->entries(), 0);
  EXPECT_EQ(idx->max_entries(), 30);
}

TEST_F(OffsetIndexTest, MaxSizeBelowOneEntryGivesAnEmptyUnmappedIndex) {
  auto tiny = OpenOrDie(dir_ / "tiny.index", kBase, 7);
  EXPECT_EQ(tiny->max_entries(), 0);
  EXPECT_TRUE(tiny->IsFull());
  EXPECT_EQ(tiny->Lookup(Offset(50)), E(45, 0));
  EXPECT_EQ(tiny->Append(Offset(50), FilePosition(0)).code(), Code::kInvalidArgument);
  EXPECT_TRUE(tiny->Close().ok());
}

TEST_F(OffsetIndexTest, TrimToValidSizeShrinksTheFileToTheEntries) {
  AppendSequential(3);
  ASSERT_TRUE(index_->TrimToValidSize().ok());
  EXPECT_EQ(FileSize(path_), 24);
  EXPECT_EQ(index_->file_length(), 24);
  EXPECT_EQ(index_->valid_bytes(), 24);
  EXPECT_EQ(index_->entries(), 3);
  EXPECT_EQ(index_->Lookup(Offset(100)), E(48, 30));
}

TEST_F(OffsetIndexTest, TrimOfAnEmptyIndexLeavesAZeroLengthFile) {
  ASSERT_TRUE(index_->TrimToValidSize().ok());
  EXPECT_EQ(FileSize(path_), 0);
  EXPECT_EQ(index_->Lookup(Offset(100)), E(45, 0));
  ASSERT_TRUE(index_->Resize(kThirtySlots).ok());
  EXPECT_TRUE(index_->Append(Offset(50), FilePosition(0)).ok());
}

TEST_F(OffsetIndexTest, ResizeBelowTheEntriesDropsTheEntriesPastTheEnd) {
  AppendSequential(5);
  ASSERT_TRUE(index_->Resize(20).ok());  // rounds down to 2 entries
  EXPECT_EQ(FileSize(path_), 16);
  EXPECT_EQ(index_->entries(), 2);
  EXPECT_EQ(index_->max_entries(), 2);
  EXPECT_EQ(index_->last_offset(), Offset(47));
}

TEST_F(OffsetIndexTest, ResetEmptiesTheIndexAndGrowsItBackToMax) {
  AppendSequential(5);
  ASSERT_TRUE(index_->TrimToValidSize().ok());
  ASSERT_TRUE(index_->Reset().ok());
  EXPECT_EQ(index_->entries(), 0);
  EXPECT_EQ(index_->max_entries(), 30);
  EXPECT_EQ(FileSize(path_), kThirtySlots);
  EXPECT_EQ(index_->Lookup(Offset(100)), E(45, 0));
  EXPECT_TRUE(index_->Append(Offset(46), FilePosition(1)).ok());
}

TEST_F(OffsetIndexTest, GarbageLengthFileFailsSanityCheck) {
  const std::string garbage = dir_ / "garbage.index";
  WriteFile(garbage, "\x01\x02");
  auto idx = OpenOrDie(garbage);
  EXPECT_EQ(idx->entries(), 0);
  Status st = idx->SanityCheck();
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_NE(st.message().find(garbage), std::string::npos) << st.message();
}

TEST_F(OffsetIndexTest, LastOffsetBelowBaseFailsSanityCheck) {
  const std::string bad = dir_ / "bad.index";
  WriteFile(bad, std::string("\xff\xff\xff\xff\x00\x00\x00\x00", 8));  // relative offset -1
  auto idx = OpenOrDie(bad);
  EXPECT_EQ(idx->SanityCheck().code(), Code::kCorruption);
}

TEST_F(OffsetIndexTest, WellFormedIndexPassesSanityCheck) {
  EXPECT_TRUE(index_->SanityCheck().ok());
  AppendSequential(4);
  EXPECT_TRUE(index_->SanityCheck().ok());
}

TEST_F(OffsetIndexTest, RenameMovesTheFileAndKeepsTheMapping) {
  AppendSequential(2);
  const std::string moved = dir_ / "00000000000000000045.index.deleted";
  ASSERT_TRUE(index_->Rename(moved).ok());
  EXPECT_EQ(index_->path(), moved);
  EXPECT_FALSE(FileExists(path_));
  EXPECT_TRUE(FileExists(moved));
  EXPECT_EQ(index_->Lookup(Offset(100)), E(47, 20));
  ASSERT_TRUE(index_->Append(Offset(48), FilePosition(30)).ok());
  ASSERT_TRUE(index_->Close().ok());
  EXPECT_EQ(FileSize(moved), 24);
}

TEST_F(OffsetIndexTest, RenameIntoMissingDirectoryKeepsErrno) {
  Status st = index_->Rename(dir_ / "no/such/dir.index");
  EXPECT_EQ(st.code(), Code::kIoError);
  EXPECT_EQ(st.sys_errno(), ENOENT);
  EXPECT_EQ(index_->path(), path_);
}

TEST_F(OffsetIndexTest, DeleteRemovesTheFile) {
  AppendSequential(2);
  ASSERT_TRUE(index_->Delete().ok());
  EXPECT_FALSE(FileExists(path_));
  index_ = nullptr;  // the destructor must not recreate it
  EXPECT_FALSE(FileExists(path_));
}

TEST_F(OffsetIndexTest, CloseTrimsAndIsIdempotent) {
  AppendSequential(3);
  ASSERT_TRUE(index_->Close().ok());
  EXPECT_EQ(FileSize(path_), 24);
  EXPECT_TRUE(index_->Close().ok());
  EXPECT_EQ(FileSize(path_), 24);
}

TEST_F(OffsetIndexTest, MutationsAfterCloseFailAndLookupsSeeNoEntries) {
  AppendSequential(3);
  ASSERT_TRUE(index_->Close().ok());
  Status st = index_->Append(Offset(100), FilePosition(100));
  EXPECT_EQ(st.code(), Code::kIoError);
  EXPECT_EQ(st.sys_errno(), EBADF);
  EXPECT_FALSE(index_->Resize(kThirtySlots).ok());
  EXPECT_FALSE(index_->Reset().ok());
  EXPECT_FALSE(index_->Flush().ok());
  EXPECT_EQ(index_->Lookup(Offset(100)), E(45, 0));
}

TEST_F(OffsetIndexTest, DestructorTrimsTheFile) {
  AppendSequential(4);
  index_ = nullptr;
  EXPECT_EQ(FileSize(path_), 32);
}

TEST_F(OffsetIndexTest, FlushReportsTheSyncErrno) {
  FaultInjectingFileIo io;
  index_.reset();
  index_ = OpenOrDie(path_, kBase, kThirtySlots, &io);
  ASSERT_TRUE(index_->Flush().ok());
  io.FailSyncAfter(0, EIO);
  Status st = index_->Flush();
  EXPECT_EQ(st.code(), Code::kIoError);
  EXPECT_EQ(st.sys_errno(), EIO);
  index_.reset();  // before io goes
}

TEST_F(OffsetIndexTest, OpenInMissingDirectoryKeepsErrno) {
  auto idx = OffsetIndex::Open(dir_ / "missing/0.index", kBase, kThirtySlots);
  ASSERT_FALSE(idx.ok());
  EXPECT_EQ(idx.status().code(), Code::kIoError);
  EXPECT_EQ(idx.status().sys_errno(), ENOENT);
}

TEST_F(OffsetIndexTest, EntryAtOutOfRangeAnswersNoEntry) {
  AppendSequential(2);
  EXPECT_EQ(index_->EntryAt(1), E(47, 20));
  EXPECT_EQ(index_->EntryAt(2), E(45, 0));
  EXPECT_EQ(index_->EntryAt(-1), E(45, 0));
}

// One appender, three readers: a reader must only ever see the base entry
// or an entry the appender wrote, never a torn or stale-mapped one.
TEST(OffsetIndexConcurrentTest, ConcurrentLookupsSeeOnlyAppendedEntriesOrTheBase) {
  TempDir dir;
  constexpr int kEntries = 5000;  // several times the warm section
  auto index = OpenOrDie(dir / "concurrent.index", kBase, int64_t{kEntries} * 8);
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::atomic<int> started{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      std::mt19937 rng(r);
      std::uniform_int_distribution<int64_t> target(kBase.value - 2, kBase.value + 2 * kEntries + 2);
      Offset last_seen = kBase;
      ++started;
      while (!done.load()) {
        // std::shared_mutex prefers readers on glibc: readers that never
        // pause would starve the writer and stretch the test.
        std::this_thread::yield();
        const Offset t(target(rng));
        const Entry e = index->Lookup(t);
        // Entry i (0-based) is offset base+2i+1 at position 10i.
        const bool is_base = e == Entry{kBase, FilePosition(0)};
        const int64_t rel = e.offset - kBase;
        const bool is_appended = rel % 2 == 1 && e.position.value == 10 * (rel - 1) / 2;
        if (!is_base && !(is_appended && e.offset <= t)) ++bad;
        const Offset last = index->last_offset();
        if (last < last_seen) ++bad;  // entries never disappear
        last_seen = last;
        (void)index->FetchUpperBoundOffset(FilePosition(0), 10 * (rel / 2));
      }
    });
  }
  // Let every reader start first, so lookups overlap the writes.
  while (started.load() < 3) std::this_thread::yield();
  // No ASSERT inside: returning early would leave the readers unjoined.
  Status st;
  for (int i = 0; i < kEntries && st.ok(); ++i) {
    st = index->Append(kBase + (2 * i + 1), FilePosition(10 * i));
  }
  done = true;
  for (auto& t : readers) t.join();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(index->entries(), kEntries);
}

TEST(OffsetIndexConcurrentTest, ConcurrentLookupsDuringTrimAndResizeStayInsideTheMapping) {
  TempDir dir;
  auto index = OpenOrDie(dir / "resize.index", kBase, 4096 * 8);
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(index->Append(kBase + (i + 1), FilePosition(i)).ok());
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::atomic<int> started{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      ++started;
      while (!done.load()) {
        // std::shared_mutex prefers readers on glibc: readers that never
        // pause would starve the writer and stretch the test.
        std::this_thread::yield();
        const Entry e = index->Lookup(kBase + 5000);
        if (e != Entry{kBase + 2000, FilePosition(1999)}) ++bad;
      }
    });
  }
  // Let every reader start first, so lookups overlap the writes.
  while (started.load() < 3) std::this_thread::yield();
  Status st;
  for (int round = 0; round < 50 && st.ok(); ++round) {
    st = index->TrimToValidSize();
    if (st.ok()) st = index->Resize(4096 * 8);
  }
  done = true;
  for (auto& t : readers) t.join();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(bad.load(), 0);
}

// A parked index (store/io/file_cache.h) maps its file again on the next lookup.
TEST(OffsetIndexParkingTest, AParkedIndexAnswersLookupsAfterReopening) {
  TempDir dir;
  auto cache = std::make_shared<FileCache>(1);
  auto index = OffsetIndex::Open(dir / "0.index", Offset(0), 800, &FileIo::Default(), cache.get());
  ASSERT_TRUE(index.ok());
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE((*index)->Append(Offset(i * 10), FilePosition(i * 100)).ok());
  auto other = OffsetIndex::Open(dir / "1.index", Offset(0), 800, &FileIo::Default(), cache.get());  // parks the first
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(testing::DescriptorsUnder(dir / "0.index"), 0);
  EXPECT_EQ((*index)->Lookup(Offset(55)).position, FilePosition(500));
  ASSERT_TRUE((*index)->Append(Offset(200), FilePosition(2000)).ok());
  EXPECT_EQ((*index)->Lookup(Offset(999)).position, FilePosition(2000));
}

}  // namespace
}  // namespace topicfs::store
