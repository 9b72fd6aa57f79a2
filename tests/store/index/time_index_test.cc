// Ports Kafka's TimeIndexTest (storage/src/test/java/org/apache/kafka/
// storage/internals/log/TimeIndexTest.java) plus the behaviour the
// time index layers on the shared mmap file: the reserved last slot, the
// silently ignored repeat entry, and its sanity checks.

#include "store/index/time_index.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using topicfs::testing::FileSize;
using topicfs::testing::PokeFile;
using topicfs::testing::TempDir;
using topicfs::testing::TruncateFile;
using topicfs::testing::WriteFile;

constexpr Offset kBase{45};
constexpr int kMaxEntries = 30;
constexpr int64_t kThirtySlots = kMaxEntries * 12;  // 360 bytes

using Entry = TimeIndex::Entry;

Entry E(int64_t timestamp, int64_t offset) { return {Timestamp(timestamp), Offset(offset)}; }

std::unique_ptr<TimeIndex> OpenOrDie(const std::string& path, Offset base = kBase,
                                     int64_t max_size = kThirtySlots) {
  auto index = TimeIndex::Open(path, base, max_size);
  EXPECT_TRUE(index.ok()) << index.status().ToString();
  return index.ok() ? std::move(index).value() : nullptr;
}

// Twelve bytes of one entry, as Kafka writes them.
std::string EncodeEntry(int64_t timestamp, int32_t relative_offset) {
  std::string out(12, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(timestamp >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) out[8 + i] = static_cast<char>(relative_offset >> (24 - 8 * i));
  return out;
}

class TimeIndexTest : public ::testing::Test {
 protected:
  void SetUp() override { index_ = OpenOrDie(path_); }

  // Kafka's appendEntries: (10i, base + 10i) for i = 1..n.
  void AppendEntries(int n) {
    for (int i = 1; i <= n; ++i) {
      ASSERT_TRUE(index_->MaybeAppend(Timestamp(10 * i), kBase + 10 * i).ok()) << i;
    }
  }

  TempDir dir_;
  std::string path_ = dir_ / "00000000000000000045.timeindex";
  std::unique_ptr<TimeIndex> index_;
};

TEST_F(TimeIndexTest, LookupFindsLargestTimestampAtOrBelowTarget) {
  EXPECT_EQ(index_->Lookup(Timestamp(100)), E(-1, 45));

  AppendEntries(kMaxEntries - 1);
  EXPECT_EQ(index_->Lookup(Timestamp(9)), E(-1, 45));
  EXPECT_EQ(index_->Lookup(Timestamp(10)), E(10, 55));
  EXPECT_EQ(index_->Lookup(Timestamp(25)), E(20, 65));
  EXPECT_EQ(index_->Lookup(Timestamp(30)), E(30, 75));
  EXPECT_EQ(index_->Lookup(Timestamp(290)), E(290, 335));
  EXPECT_EQ(index_->Lookup(Timestamp::Max()), E(290, 335));
}

TEST_F(TimeIndexTest, RandomLookupMatchesFloorOfAppendedTimestamps) {
  for (uint32_t seed = 1; seed <= 25; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    ASSERT_TRUE(index_->Reset().ok());
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int64_t> gap(1, 7);
    std::map<int64_t, int64_t> model;
    int64_t ts = gap(rng) - 1;
    int64_t offset = kBase.value + gap(rng) - 1;
    while (!index_->IsFull()) {
      ASSERT_TRUE(index_->MaybeAppend(Timestamp(ts), Offset(offset)).ok());
      model[ts] = offset;
      for (int64_t target = -3; target <= ts + 8; ++target) {
        auto it = model.upper_bound(target);
        const Entry want = it == model.begin() ? E(-1, 45) : E(std::prev(it)->first, std::prev(it)->second);
        ASSERT_EQ(index_->Lookup(Timestamp(target)), want) << target;
      }
      ts += gap(rng);
      offset += gap(rng) - 1;  // offsets may repeat across entries
    }
  }
}

TEST_F(TimeIndexTest, LookupSearchesBothWarmAndColdSectionsOfALargeIndex) {
  // 3000 entries: more than the 682-entry warm section.
  auto big = OpenOrDie(dir_ / "big.timeindex", kBase, 3001 * 12);
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TRUE(big->MaybeAppend(Timestamp(1000 + 5 * i), kBase + i).ok());
  }
  EXPECT_EQ(big->Lookup(Timestamp(999)), E(-1, 45));
  for (int i = 0; i < 3000; ++i) {
    ASSERT_EQ(big->Lookup(Timestamp(1000 + 5 * i)), E(1000 + 5 * i, 45 + i));
    ASSERT_EQ(big->Lookup(Timestamp(1004 + 5 * i)), E(1000 + 5 * i, 45 + i));
  }
}

TEST_F(TimeIndexTest, EntryAtAndLastEntryReadBackAppendedEntries) {
  EXPECT_EQ(index_->LastEntry(), E(-1, 45));
  AppendEntries(3);
  EXPECT_EQ(index_->EntryAt(0), E(10, 55));
  EXPECT_EQ(index_->EntryAt(2), E(30, 75));
  EXPECT_EQ(index_->LastEntry(), E(30, 75));
}

TEST_F(TimeIndexTest, EntriesAreStoredBigEndianRelativeToBase) {
  ASSERT_TRUE(index_->MaybeAppend(Timestamp(0x0102030405060708), Offset(45 + 0x0a0b0c0d)).ok());
  ASSERT_TRUE(index_->TrimToValidSize().ok());
  EXPECT_EQ(topicfs::testing::ReadFile(path_), EncodeEntry(0x0102030405060708, 0x0a0b0c0d));
}

TEST_F(TimeIndexTest, IndexIsFullOneEntryBeforeMaxEntries) {
  AppendEntries(kMaxEntries - 2);
  EXPECT_FALSE(index_->IsFull());
  ASSERT_TRUE(index_->MaybeAppend(Timestamp(10 * (kMaxEntries - 1)), kBase + 10 * (kMaxEntries - 1)).ok());
  EXPECT_EQ(index_->entries(), kMaxEntries - 1);
  EXPECT_TRUE(index_->IsFull());
}

TEST_F(TimeIndexTest, AppendToFullIndexFailsButSkipFullCheckUsesTheReservedSlot) {
  AppendEntries(kMaxEntries - 1);
  EXPECT_EQ(index_->MaybeAppend(Timestamp(10000), Offset(1000)).code(), Code::kInvalidArgument);
  // With the full check skipped, the ordering checks still apply.
  EXPECT_EQ(index_->MaybeAppend(Timestamp(10000), Offset((kMaxEntries - 2) * 10), true).code(),
            Code::kInvalidArgument);
  ASSERT_TRUE(index_->MaybeAppend(Timestamp(10000), Offset(1000), true).ok());
  EXPECT_EQ(index_->entries(), kMaxEntries);
  EXPECT_EQ(index_->LastEntry(), E(10000, 1000));
}

TEST_F(TimeIndexTest, SkipFullCheckNeverWritesPastTheLastSlot) {
  AppendEntries(kMaxEntries - 1);
  ASSERT_TRUE(index_->MaybeAppend(Timestamp(10000), Offset(1000), true).ok());
  EXPECT_EQ(index_->MaybeAppend(Timestamp(20000), Offset(2000), true).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(index_->entries(), kMaxEntries);
}

TEST_F(TimeIndexTest, AppendOfEqualTimestampIsSilentlyIgnored) {
  ASSERT_TRUE(index_->MaybeAppend(Timestamp(100), Offset(50)).ok());
  // The final entry written at roll and close repeats the last one.
  EXPECT_TRUE(index_->MaybeAppend(Timestamp(100), Offset(50), true).ok());
  EXPECT_TRUE(index_->MaybeAppend(Timestamp(100), Offset(60)).ok());
  EXPECT_EQ(index_->entries(), 1);
  EXPECT_EQ(index_->LastEntry(), E(100, 50));
}

TEST_F(TimeIndexTest, AppendOfSmallerTimestampFails) {
  ASSERT_TRUE(index_->MaybeAppend(Timestamp(100), Offset(50)).ok());
  EXPECT_EQ(index_->MaybeAppend(Timestamp(99), Offset(60)).code(), Code::kInvalidArgument);
  EXPECT_EQ(index_->entries(), 1);
}

TEST_F(TimeIndexTest, AppendOfSmallerOffsetFails) {
  ASSERT_TRUE(index_->MaybeAppend(Timestamp(100), Offset(50)).ok());
  EXPECT_EQ(index_->MaybeAppend(Timestamp(200), Offset(49)).code(), Code::kInvalidArgument);
  EXPECT_EQ(index_->entries(), 1);
}

TEST_F(TimeIndexTest, AppendOfLargerTimestampAtTheSameOffsetSucceeds) {
  ASSERT_TRUE(index_->MaybeAppend(Timestamp(100), Offset(50)).ok());
  ASSERT_TRUE(index_->MaybeAppend(Timestamp(200), Offset(50)).ok());
  EXPECT_EQ(index_->entries(), 2);
}

TEST_F(TimeIndexTest, DataWithoutTimestampsLeavesTheIndexEmpty) {
  EXPECT_TRUE(index_->MaybeAppend(kNoTimestamp, Offset(50)).ok());
  EXPECT_EQ(index_->entries(), 0);
}

TEST_F(TimeIndexTest, AppendOfRelativeOffsetOutsideInt32Fails) {
  const int64_t max = std::numeric_limits<int32_t>::max();
  EXPECT_EQ(index_->MaybeAppend(Timestamp(1), kBase - 1).code(), Code::kInvalidArgument);
  EXPECT_EQ(index_->MaybeAppend(Timestamp(1), kBase + (max + 1)).code(), Code::kInvalidArgument);
  ASSERT_TRUE(index_->MaybeAppend(Timestamp(1), kBase + max).ok());
  EXPECT_EQ(index_->LastEntry(), E(1, kBase.value + max));
}

TEST_F(TimeIndexTest, TruncateToTheFirstEntrysOffsetEmptiesTheIndex) {
  AppendEntries(kMaxEntries - 1);
  ASSERT_TRUE(index_->Reset().ok());
  EXPECT_EQ(index_->entries(), 0);

  AppendEntries(kMaxEntries - 1);
  ASSERT_TRUE(index_->TruncateTo(Offset(55)).ok());
  EXPECT_EQ(index_->entries(), 0);
  EXPECT_EQ(index_->Lookup(Timestamp(1000)), E(-1, 45));
}

TEST_F(TimeIndexTest, TruncateRemovesEntriesAtOrAboveTheOffset) {
  AppendEntries(5);  // offsets 55, 65, 75, 85, 95
  ASSERT_TRUE(index_->TruncateTo(Offset(100)).ok());
  EXPECT_EQ(index_->entries(), 5);
  ASSERT_TRUE(index_->TruncateTo(Offset(95)).ok());
  EXPECT_EQ(index_->entries(), 4);
  ASSERT_TRUE(index_->TruncateTo(Offset(70)).ok());
  EXPECT_EQ(index_->entries(), 2);
  EXPECT_EQ(index_->LastEntry(), E(20, 65));
  ASSERT_TRUE(index_->MaybeAppend(Timestamp(30), Offset(70)).ok());
  EXPECT_EQ(index_->LastEntry(), E(30, 70));
}

TEST_F(TimeIndexTest, NewIndexFileIsPreallocatedToMaxSize) {
  EXPECT_EQ(FileSize(path_), kThirtySlots);
  EXPECT_EQ(index_->file_length(), kThirtySlots);
  EXPECT_EQ(index_->max_entries(), kMaxEntries);
}

TEST_F(TimeIndexTest, DefaultSegmentIndexBytesRoundsDownToWholeEntries) {
  const std::string path = dir_ / "default.timeindex";
  auto big = OpenOrDie(path, kBase, 10485760);
  EXPECT_EQ(FileSize(path), 10485756);
  EXPECT_EQ(big->max_entries(), 873813);
  EXPECT_TRUE(big->SanityCheck().ok());
}

TEST_F(TimeIndexTest, ReopenRestoresEntriesAtTheTrimmedLength) {
  AppendEntries(3);
  ASSERT_TRUE(index_->Close().ok());
  EXPECT_EQ(FileSize(path_), 36);

  auto reopened = OpenOrDie(path_);
  EXPECT_EQ(reopened->entries(), 3);
  EXPECT_EQ(reopened->LastEntry(), E(30, 75));
  EXPECT_EQ(reopened->Lookup(Timestamp(25)), E(20, 65));
  EXPECT_TRUE(reopened->SanityCheck().ok());
  // A trimmed index is full; growing it back makes room.
  EXPECT_TRUE(reopened->IsFull());
  ASSERT_TRUE(reopened->Resize(kThirtySlots).ok());
  EXPECT_TRUE(reopened->MaybeAppend(Timestamp(40), Offset(85)).ok());
}

TEST_F(TimeIndexTest, TrimAndResetChangeTheFileLength) {
  AppendEntries(4);
  ASSERT_TRUE(index_->TrimToValidSize().ok());
  EXPECT_EQ(FileSize(path_), 48);
  ASSERT_TRUE(index_->Reset().ok());
  EXPECT_EQ(FileSize(path_), kThirtySlots);
  EXPECT_EQ(index_->entries(), 0);
}

TEST_F(TimeIndexTest, EmptyIndexPassesSanityCheck) { EXPECT_TRUE(index_->SanityCheck().ok()); }

TEST_F(TimeIndexTest, WellFormedIndexPassesSanityCheck) {
  AppendEntries(5);
  EXPECT_TRUE(index_->SanityCheck().ok());
}

TEST_F(TimeIndexTest, LastTimestampBelowFirstFailsSanityCheck) {
  const std::string bad = dir_ / "bad_ts.timeindex";
  WriteFile(bad, EncodeEntry(100, 5) + EncodeEntry(50, 10));
  auto idx = OpenOrDie(bad);
  Status st = idx->SanityCheck();
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_NE(st.message().find(bad), std::string::npos) << st.message();
}

TEST_F(TimeIndexTest, LastOffsetBelowBaseFailsSanityCheck) {
  const std::string bad = dir_ / "bad_offset.timeindex";
  WriteFile(bad, EncodeEntry(100, 5) + EncodeEntry(200, -1));
  auto idx = OpenOrDie(bad);
  EXPECT_EQ(idx->SanityCheck().code(), Code::kCorruption);
}

TEST_F(TimeIndexTest, LengthNotAMultipleOfTwelveFailsSanityCheck) {
  AppendEntries(2);
  ASSERT_TRUE(index_->Close().ok());
  TruncateFile(path_, 25);
  auto idx = OpenOrDie(path_);
  EXPECT_EQ(idx->entries(), 2);
  EXPECT_EQ(idx->SanityCheck().code(), Code::kCorruption);
}

TEST_F(TimeIndexTest, GarbageLengthFileFailsSanityCheck) {
  const std::string garbage = dir_ / "garbage.timeindex";
  WriteFile(garbage, "\x01\x02");
  auto idx = OpenOrDie(garbage);
  EXPECT_EQ(idx->entries(), 0);
  EXPECT_EQ(idx->SanityCheck().code(), Code::kCorruption);
}

TEST_F(TimeIndexTest, CorruptedLastEntryIsCaughtAfterReopen) {
  AppendEntries(3);
  ASSERT_TRUE(index_->Close().ok());
  PokeFile(path_, 24, EncodeEntry(5, 30));  // timestamp below the first (10)
  auto idx = OpenOrDie(path_);
  EXPECT_EQ(idx->SanityCheck().code(), Code::kCorruption);
}

TEST_F(TimeIndexTest, RenameMovesTheFile) {
  AppendEntries(2);
  const std::string moved = dir_ / "00000000000000000045.timeindex.swap";
  ASSERT_TRUE(index_->Rename(moved).ok());
  EXPECT_FALSE(topicfs::testing::FileExists(path_));
  ASSERT_TRUE(index_->Close().ok());
  EXPECT_EQ(FileSize(moved), 24);
}

// One appender, three readers: a reader sees the "no entry" answer or an
// entry the appender wrote, and never one above its target.
TEST(TimeIndexConcurrentTest, ConcurrentLookupsSeeOnlyAppendedEntriesOrNoEntry) {
  TempDir dir;
  constexpr int kEntries = 5000;  // several times the warm section
  auto index = OpenOrDie(dir / "concurrent.timeindex", kBase, int64_t{kEntries + 1} * 12);
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::atomic<int> started{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      std::mt19937 rng(r);
      std::uniform_int_distribution<int64_t> target(-5, 3 * kEntries + 5);
      ++started;
      while (!done.load()) {
        // std::shared_mutex prefers readers on glibc: readers that never
        // pause would starve the writer and stretch the test.
        std::this_thread::yield();
        const Timestamp t(target(rng));
        const Entry e = index->Lookup(t);
        // Entry i is (1 + 3i, base + i).
        const bool no_entry = e == Entry{kNoTimestamp, kBase};
        const int64_t i = e.offset - kBase;
        const bool appended = e.timestamp.value == 1 + 3 * i && e.timestamp <= t;
        if (!no_entry && !appended) ++bad;
      }
    });
  }
  // Let every reader start first, so lookups overlap the writes.
  while (started.load() < 3) std::this_thread::yield();
  // No ASSERT inside: returning early would leave the readers unjoined.
  Status st;
  for (int i = 0; i < kEntries && st.ok(); ++i) {
    st = index->MaybeAppend(Timestamp(1 + 3 * i), kBase + i);
  }
  done = true;
  for (auto& t : readers) t.join();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace topicfs::store
