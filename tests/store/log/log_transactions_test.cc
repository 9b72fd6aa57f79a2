// Transactions in a partition (issue 13): control batches and the records
// of aborted transactions are not presented; each segment's Kafka
// .txnindex is read at open, rebuilt when missing or damaged (also for a
// transaction that starts a segment before its marker), and its entries
// are Kafka's (TransactionIndexBuilder, docs/format.md "Transaction
// index"). Segments are written here batch by batch in the one coordinate,
// as a copied-in Kafka directory would hold them (topicfs's own appends
// refuse transactional batches).

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/base/big_endian.h"
#include "store/base/format.h"
#include "store/format/aborted_txn.h"
#include "store/format/batch_builder.h"
#include "store/format/file_names.h"
#include "store/log/aborted_transactions.h"
#include "store/log/log.h"
#include "store/log/transaction_index_builder.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::ReadAll;
using testing::TempDir;

constexpr int64_t kTime = 1'700'000'000'000;

BatchLocation Data(int64_t pid, int64_t base, int64_t last) {
  BatchLocation b;
  b.producer_id = pid;
  b.base_offset = Offset(base);
  b.last_offset = Offset(last);
  b.records = 1;
  b.transactional = true;
  return b;
}

BatchLocation Marker(int64_t pid, int64_t offset) {
  BatchLocation b = Data(pid, offset, offset);
  b.control = true;
  return b;
}

// ---- TransactionIndexBuilder: Kafka's entries ----

TEST(TransactionIndexBuilderTest, AnAbortSpansFromTheTransactionsFirstBatchToItsMarker) {
  TransactionIndexBuilder b;
  EXPECT_FALSE(b.Add(Data(7, 10, 19), std::nullopt));
  EXPECT_FALSE(b.Add(Data(7, 20, 29), std::nullopt));
  auto e = b.Add(Marker(7, 30), ControlType::kAbort);
  ASSERT_TRUE(e);
  EXPECT_EQ((AbortedTxn{7, Offset(10), Offset(30), Offset(31)}), *e);
  // The next transaction of the producer starts anew.
  EXPECT_FALSE(b.Add(Data(7, 40, 49), std::nullopt));
  EXPECT_EQ((AbortedTxn{7, Offset(40), Offset(50), Offset(51)}), b.Add(Marker(7, 50), ControlType::kAbort));
}

TEST(TransactionIndexBuilderTest, TheLastStableOffsetIsTheEarliestTransactionStillOpenOfAnother) {
  TransactionIndexBuilder b;
  EXPECT_FALSE(b.Add(Data(8, 5, 9), std::nullopt));    // open until the end
  EXPECT_FALSE(b.Add(Data(7, 10, 19), std::nullopt));
  EXPECT_FALSE(b.Add(Data(9, 20, 29), std::nullopt));
  EXPECT_EQ((AbortedTxn{7, Offset(10), Offset(30), Offset(5)}), b.Add(Marker(7, 30), ControlType::kAbort));
  EXPECT_FALSE(b.Add(Marker(8, 31), ControlType::kCommit));  // a commit adds no entry
  EXPECT_EQ((AbortedTxn{9, Offset(20), Offset(32), Offset(33)}), b.Add(Marker(9, 32), ControlType::kAbort));
}

// Kafka's appendEndTxnMarker: a marker with no transaction open (its
// records gone to retention) spans only itself.
TEST(TransactionIndexBuilderTest, AnAbortWithNoOpenTransactionSpansItsMarker) {
  TransactionIndexBuilder b;
  EXPECT_EQ((AbortedTxn{7, Offset(30), Offset(30), Offset(31)}), b.Add(Marker(7, 30), ControlType::kAbort));
  EXPECT_FALSE(b.Add(Marker(7, 31), std::nullopt));  // another control type ends nothing
}

// ---- AbortedTransactions: what reads hide ----

TEST(AbortedTransactionsTest, CoversTheProducersBatchesFromTheFirstOffsetToTheMarker) {
  AbortedTransactions t;
  EXPECT_TRUE(t.empty());
  const std::vector<AbortedTxn> entries{{7, Offset(10), Offset(30), Offset(31)},
                                        {7, Offset(50), Offset(60), Offset(61)}};
  t.Publish(entries);
  EXPECT_FALSE(t.empty());
  EXPECT_TRUE(t.Covers(7, Offset(10), Offset(19)));
  EXPECT_TRUE(t.Covers(7, Offset(20), Offset(29)));
  EXPECT_FALSE(t.Covers(8, Offset(20), Offset(29)));   // another producer's
  EXPECT_FALSE(t.Covers(7, Offset(0), Offset(9)));     // before the transaction
  EXPECT_FALSE(t.Covers(7, Offset(40), Offset(49)));   // a committed one between
  EXPECT_TRUE(t.Covers(7, Offset(50), Offset(59)));
  EXPECT_FALSE(t.Covers(7, Offset(70), Offset(79)));   // after: open or committed
  EXPECT_EQ(entries, t.Collect(Offset(0), Offset(100)));
  EXPECT_EQ((std::vector<AbortedTxn>{entries[1]}), t.Collect(Offset(31), Offset(100)));
  EXPECT_EQ((std::vector<AbortedTxn>{entries[0]}), t.Collect(Offset(0), Offset(50)));
  t.Publish({});
  EXPECT_FALSE(t.Covers(7, Offset(10), Offset(19)));
}

// ---- Log: reads, the index at open and in recovery ----

// Writes a partition directory's segments batch by batch, each record at
// the offset where its presented bytes start (value + "\n"), a marker
// taking one offset.
class SegmentWriter {
 public:
  explicit SegmentWriter(std::string dir) : dir_(std::move(dir)) { std::filesystem::create_directories(dir_); }

  void NewSegment() {
    Close();
    base_ = next_;
  }
  // Returns the batch's base offset.
  int64_t Values(const std::vector<std::string>& values, int64_t pid = -1, bool transactional = false) {
    const int64_t base = next_;
    b_.Reset(Offset(base), Timestamp(kTime + base));
    b_.SetProducer(pid, pid < 0 ? -1 : 0, pid < 0 ? -1 : 0);
    b_.SetAttributes(transactional ? format::kTransactionalBit : 0);
    for (const auto& v : values) {
      b_.Add(Offset(next_), Timestamp(kTime + next_), std::nullopt, std::string_view(v));
      next_ += static_cast<int64_t>(v.size()) + 1;
    }
    bytes_.append(b_.Finish());
    return base;
  }
  int64_t Marker(int64_t pid, bool commit) {
    std::string key(4, '\0'), value(6, '\0');
    be::Store<int16_t>(key.data() + 2, commit ? 1 : 0);
    const int64_t at = next_;
    b_.Reset(Offset(at), Timestamp(kTime + at));
    b_.SetProducer(pid, 0, -1);
    b_.SetAttributes(format::kTransactionalBit | format::kControlBit);
    b_.Add(Offset(at), Timestamp(kTime + at), std::string_view(key), std::string_view(value));
    bytes_.append(b_.Finish());
    next_ += 1;
    return at;
  }
  void Close() {
    if (bytes_.empty()) return;
    testing::WriteFile(SegmentFilePath(dir_, Offset(base_), kLogSuffix), bytes_);
    bytes_.clear();
  }
  std::string TxnIndex(int64_t base) const { return SegmentFilePath(dir_, Offset(base), kTxnIndexSuffix); }
  int64_t base() const { return base_; }
  int64_t end() const { return next_; }

 private:
  std::string dir_;
  BatchBuilder b_;
  std::string bytes_;
  int64_t base_ = 0, next_ = 0;
};

class LogTransactionsTest : public ::testing::Test {
 protected:
  std::string LogDir() const { return dir_ / "t-0"; }

  std::unique_ptr<Log> Open(bool clean, int64_t recovery_point = 0) {
    Log::Options o;
    o.dir = LogDir();
    o.topic_partition = {"t", 0};
    o.clock = &clock_;
    o.had_clean_shutdown = clean;
    o.recovery_point = Offset(recovery_point);
    return testing::OpenTestLog(o);
  }

  // Two segments: plain records; producer 7's transaction, aborted in the
  // second segment; producer 8's, committed; producer 9's, open at the end.
  void WriteTwoSegments() {
    SegmentWriter w(LogDir());
    w.Values({"plain-0", "plain-1"});
    first7_ = w.Values({"aborted-a", "aborted-b"}, 7, true);
    first8_ = w.Values({"committed-a"}, 8, true);
    w.NewSegment();
    second_base_ = w.base();
    w.Values({"aborted-c"}, 7, true);
    first9_ = w.Values({"open-a"}, 9, true);
    w.Marker(8, /*commit=*/true);
    marker7_ = w.Marker(7, /*commit=*/false);
    w.Values({"plain-2"});
    w.Values({"open-b"}, 9, true);
    end_ = w.end();
    w.Close();
    second_index_ = w.TxnIndex(second_base_);
    first_index_ = w.TxnIndex(0);
  }

  // What a reader sees: read_uncommitted's view less the aborted records.
  static constexpr std::string_view kPresented = "plain-0\nplain-1\ncommitted-a\nopen-a\nplain-2\nopen-b\n";

  AbortedTxn Expected() const { return {7, Offset(first7_), Offset(marker7_), Offset(first9_)}; }

  TempDir dir_;
  FakeClock clock_;
  int64_t first7_ = 0, first8_ = 0, first9_ = 0, marker7_ = 0, second_base_ = 0, end_ = 0;
  std::string first_index_, second_index_;
};

TEST_F(LogTransactionsTest, AbortedRecordsAndMarkersAreNotPresentedAndTheIndexIsRebuilt) {
  WriteTwoSegments();
  auto log = Open(/*clean=*/false);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(kPresented, ReadAll(*log));
  EXPECT_EQ(Offset(end_), log->log_end_offset());
  // Kafka's entry, in the segment holding the marker; none in the other.
  EXPECT_EQ(EncodeAbortedTxns(std::vector<AbortedTxn>{Expected()}), testing::ReadFile(second_index_));
  EXPECT_FALSE(testing::FileExists(first_index_));
  EXPECT_EQ((std::vector<AbortedTxn>{Expected()}), log->AbortedTransactionsIn(Offset(0), Offset(end_)));
  EXPECT_TRUE(log->AbortedTransactionsIn(Offset(marker7_ + 1), Offset(end_)).empty());
}

TEST_F(LogTransactionsTest, AReadInsideAbortedRecordsContinuesAtTheNextPresentedOne) {
  WriteTwoSegments();
  auto log = Open(/*clean=*/false);
  ASSERT_NE(log, nullptr);
  char buf[64];
  for (int64_t at : {first7_, first7_ + 3, first7_ + 10}) {
    auto r = log->Read(Offset(at), buf, sizeof buf);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(Offset(first8_), r->start) << at;
    EXPECT_EQ("committed-a\n", std::string(buf, static_cast<size_t>(std::min<int64_t>(r->bytes, 12)))) << at;
  }
  // In the second segment: over producer 7's last batch to producer 9's.
  auto r = log->Read(Offset(second_base_ + 2), buf, sizeof buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Offset(first9_), r->start);
  auto found = log->FirstRecordAtOrAfter(Offset(first7_));
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(Offset(first8_), *found);
}

TEST_F(LogTransactionsTest, TheLastNRecordsAndTheRecordCountLeaveAbortedOnesOut) {
  WriteTwoSegments();
  auto log = Open(/*clean=*/false);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(6, log->Figures().records);
  auto third = log->OffsetOfNthRecordFromEnd(4);  // committed-a, past aborted-c
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(Offset(first8_), *third);
  EXPECT_EQ("committed-a\nopen-a\nplain-2\nopen-b\n", ReadAll(*log, *third));
}

TEST_F(LogTransactionsTest, TheIndexIsReadAtACleanOpenAndRebuiltWhenDamaged) {
  WriteTwoSegments();
  {
    auto log = Open(/*clean=*/false);
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->Close().ok());
  }
  const std::string good = testing::ReadFile(second_index_);
  {
    auto log = Open(/*clean=*/true, end_);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(kPresented, ReadAll(*log));
    ASSERT_TRUE(log->Close().ok());
  }
  EXPECT_EQ(good, testing::ReadFile(second_index_));
  // Torn, another version, an entry past the segment's end: each rebuilt
  // at the next open, clean or not.
  std::string other_version = good;
  be::Store<int16_t>(other_version.data(), 1);
  const std::string past_end =
      EncodeAbortedTxns(std::vector<AbortedTxn>{{7, Offset(first7_), Offset(end_ + 5), Offset(0)}});
  for (const std::string& damaged : {good.substr(0, 20), other_version, past_end}) {
    testing::WriteFile(second_index_, damaged);
    auto log = Open(/*clean=*/true, end_);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(kPresented, ReadAll(*log));
    EXPECT_EQ(good, testing::ReadFile(second_index_));
    ASSERT_TRUE(log->Close().ok());
  }
  // A stray .txnindex of a segment without markers goes when it is
  // recovered; so does the staging file of one being written at a crash.
  testing::WriteFile(first_index_, good);
  testing::WriteFile(second_index_ + ".tmp", good.substr(0, 7));
  auto log = Open(/*clean=*/false);
  ASSERT_NE(log, nullptr);
  EXPECT_FALSE(testing::FileExists(first_index_));
  EXPECT_FALSE(testing::FileExists(second_index_ + ".tmp"));
  EXPECT_EQ(good, testing::ReadFile(second_index_));
  EXPECT_EQ(kPresented, ReadAll(*log));
}

// After a clean shutdown the index is read, not rebuilt, as Kafka trusts
// it: one that says producer 8's transaction was aborted hides it.
TEST_F(LogTransactionsTest, AnIndexIsTrustedAfterACleanShutdown) {
  WriteTwoSegments();
  {
    auto log = Open(/*clean=*/false);
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->Close().ok());
  }
  const AbortedTxn eight{8, Offset(first8_), Offset(marker7_ - 1), Offset(first9_)};
  testing::WriteFile(second_index_, EncodeAbortedTxns(std::vector<AbortedTxn>{eight, Expected()}));
  auto log = Open(/*clean=*/true, end_);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ("plain-0\nplain-1\nopen-a\nplain-2\nopen-b\n", ReadAll(*log));
}

// A torn ABORT marker is cut by recovery, and its entry goes with it: the
// transaction is open again, and its records are presented as Kafka's
// read_uncommitted consumer shows an open transaction's.
TEST_F(LogTransactionsTest, RecoveryCuttingAMarkerRemovesItsEntry) {
  SegmentWriter w(LogDir());
  w.Values({"plain"});
  const int64_t first = w.Values({"was-aborted"}, 7, true);
  const int64_t marker = w.Marker(7, /*commit=*/false);
  w.Close();
  const std::string log_path = SegmentFilePath(LogDir(), Offset(0), kLogSuffix);
  {
    auto log = Open(/*clean=*/false);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ("plain\n", ReadAll(*log));
    EXPECT_EQ(EncodeAbortedTxns(std::vector<AbortedTxn>{{7, Offset(first), Offset(marker), Offset(marker + 1)}}),
              testing::ReadFile(w.TxnIndex(0)));
    ASSERT_TRUE(log->Close().ok());
  }
  testing::TruncateFile(log_path, testing::FileSize(log_path) - 5);
  auto log = Open(/*clean=*/false);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ("plain\nwas-aborted\n", ReadAll(*log));
  EXPECT_FALSE(testing::FileExists(w.TxnIndex(0)));
  EXPECT_TRUE(log->AbortedTransactionsIn(Offset(0), log->log_end_offset()).empty());
}

TEST_F(LogTransactionsTest, RetentionDeletesTheIndexWithItsSegment) {
  WriteTwoSegments();
  {
    auto log = Open(/*clean=*/false);
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->Roll().ok());
    LogConfig c = log->config();
    c.retention_bytes = 1;
    log->UpdateConfig(c);
    auto deleted = log->DeleteOldSegments();
    ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
    EXPECT_EQ(2, *deleted);
    EXPECT_FALSE(testing::FileExists(second_index_));
    EXPECT_TRUE(log->AbortedTransactionsIn(Offset(0), Offset(end_)).empty());
    EXPECT_EQ("", ReadAll(*log));
  }
}

}  // namespace
}  // namespace topicfs::store
