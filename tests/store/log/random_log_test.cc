// Seeded random operation sequences on one partition Log, checked after
// every step against a model that is just the presented file: the string of
// every line + "\n" in append order. Appends, rolls, reads at random
// offsets, flushes, clean reopens, and unclean reopens after cutting a
// segment's .log at a random byte at or after the recovery point.
//
// A failure prints the seed and the step; rerun one seed (optionally longer)
// with TOPICFS_RANDOM_SEED=<seed> [TOPICFS_RANDOM_OPS=<n>]
// store_tests --gtest_filter='RandomLog*'.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "store/base/clock.h"
#include "store/log/log.h"
#include "tests/common/test_util.h"

namespace topicfs::store {

namespace {

using testing::TempDir;

#ifdef TOPICFS_SANITIZED
constexpr int kOperationsPerSeed = 1000;  // several times slower under the sanitizers
#else
constexpr int kOperationsPerSeed = 1500;
#endif

// Crashes here are simulated by cutting files, never by losing the page
// cache, so fsync buys nothing but minutes of waiting on a slow disk.
class NoSyncFileIo : public FileIo {
 public:
  Status Sync(int, std::string_view) override { return Status::Ok(); }
};

class RandomLogRun {
 public:
  explicit RandomLogRun(uint64_t seed) : rng_(seed) {
    config_.segment_bytes = 4000;
    // Appends of up to 20 lines split into several batches; a line alone
    // (at most 300 bytes) always fits.
    config_.max_message_bytes = static_cast<int32_t>(Uniform(400, 3000));
    // Mostly roomy indexes; some seeds get tiny ones that fill and force rolls.
    const int32_t index_bytes[] = {4096, 4096, 4096, 36, 60};
    config_.segment_index_bytes = index_bytes[Uniform(0, 4)];
    // Time-based rolls happen too: the clock moves up to 50 ms a step and
    // sometimes jumps.
    config_.segment_ms = 60'000;
  }

  void Run(int operations) {
    ASSERT_NO_FATAL_FAILURE(Open(/*clean=*/false, Offset(0)));
    for (step_ = 0; step_ < operations; ++step_) {
      clock_.Advance(Uniform(0, 50));
      int op = Uniform(0, 99);
      if (op < 30) {
        ASSERT_NO_FATAL_FAILURE(Append());
      } else if (op < 58) {
        ASSERT_NO_FATAL_FAILURE(ReadAtRandomOffset());
      } else if (op < 63) {
        ASSERT_TRUE(log_->Roll().ok());
      } else if (op < 70) {
        ASSERT_NO_FATAL_FAILURE(Flush());
      } else if (op < 72) {
        ASSERT_NO_FATAL_FAILURE(CleanReopen());
      } else if (op < 76) {
        ASSERT_NO_FATAL_FAILURE(UncleanReopenAfterCut());
      } else if (op < 83) {
        ASSERT_NO_FATAL_FAILURE(NthRecordFromEnd());
      } else if (op < 90) {
        ASSERT_NO_FATAL_FAILURE(OffsetForTimestamp());
      } else if (op < 93) {
        clock_.Advance(Uniform(0, 120'000));
      } else {
        ASSERT_NO_FATAL_FAILURE(ReadAtEnd());
      }
      ASSERT_NO_FATAL_FAILURE(CheckFigures());
    }
    ASSERT_NO_FATAL_FAILURE(CheckWholeLog());
    ASSERT_TRUE(log_->Close().ok());
  }

  int step() const { return step_; }
  int older_segment_tears() const { return older_segment_tears_; }
  int lossy_recoveries() const { return lossy_recoveries_; }

 private:
  int64_t Uniform(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  Offset End() const { return Offset(static_cast<int64_t>(model_.size())); }

  void Open(bool clean, Offset recovery_point) {
    LogConfig config = config_;
    config.index_interval_bytes = static_cast<int32_t>(Uniform(0, 500));
    Log::Options o;
    o.dir = dir_ / "t-0";
    o.topic_partition = {"t", 0};
    o.config = config;
    o.clock = &clock_;
    o.io = &io_;
    o.had_clean_shutdown = clean;
    o.recovery_point = recovery_point;
    auto log = Log::Open(o);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(log).value();
  }

  void Append() {
    int n = static_cast<int>(Uniform(1, 20));
    std::vector<std::string> lines(n);
    for (auto& line : lines) {
      line.resize(static_cast<size_t>(Uniform(0, 300)));
      for (char& c : line) {
        c = static_cast<char>(Uniform(0, 254));
        if (c == '\n') c = static_cast<char>(255);
      }
    }
    std::vector<std::string_view> views(lines.begin(), lines.end());
    std::vector<Offset> offsets;
    auto r = log_->Append(views, &offsets);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->first_offset, End());
    ASSERT_EQ(offsets.size(), lines.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      ASSERT_EQ(offsets[i], End()) << "line " << i;
      starts_.push_back(End().value);
      times_.push_back(clock_.Now().value);
      model_ += lines[i];
      model_ += '\n';
    }
    gone_.resize(model_.size(), false);
    EXPECT_EQ(r->end_offset, End());
    EXPECT_EQ(r->records, n);
    EXPECT_EQ(log_->log_end_offset(), End());
  }

  // What a read of up to max bytes at `at` returns in the model: the bytes
  // of surviving records from there on, skipping those recovery cut.
  std::string Expected(int64_t at, int64_t max, int64_t* start, int64_t* next) const {
    const int64_t end = static_cast<int64_t>(model_.size());
    int64_t p = at;
    while (p < end && gone_[static_cast<size_t>(p)]) ++p;
    *start = *next = p;
    std::string out;
    for (; p < end && static_cast<int64_t>(out.size()) < max; ++p) {
      if (gone_[static_cast<size_t>(p)]) continue;
      out += model_[static_cast<size_t>(p)];
      *next = p + 1;
    }
    return out;
  }

  void ReadAtRandomOffset() {
    if (model_.empty()) return;
    int64_t at = Uniform(0, static_cast<int64_t>(model_.size()) - 1);
    int64_t max = Uniform(1, 5000);
    std::string buf(static_cast<size_t>(max), '\0');
    auto r = log_->Read(Offset(at), buf.data(), max);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    int64_t start = 0, next = 0;
    const std::string expected = Expected(at, max, &start, &next);
    ASSERT_EQ(r->bytes, static_cast<int64_t>(expected.size())) << "read at " << at << " max " << max;
    if (r->bytes > 0) {
      EXPECT_EQ(r->start, Offset(start));
      EXPECT_EQ(r->next, Offset(next));
    }
    ASSERT_TRUE(buf.compare(0, expected.size(), expected) == 0)
        << "read at " << at << " max " << max << " returned other bytes";
  }

  void ReadAtEnd() {
    char buf[16];
    auto r = log_->Read(End(), buf, sizeof(buf));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->bytes, 0);
  }

  void Flush() {
    ASSERT_TRUE(log_->Flush().ok());
    EXPECT_EQ(log_->recovery_point(), End());
  }

  void CleanReopen() {
    Status closed = log_->Close();
    ASSERT_TRUE(closed.ok()) << closed.ToString();
    log_.reset();
    ASSERT_NO_FATAL_FAILURE(Open(/*clean=*/true, End()));
    EXPECT_EQ(log_->log_end_offset(), End());
    EXPECT_EQ(log_->recovery_point(), End());
    if (Uniform(0, 3) == 0) {
      ASSERT_NO_FATAL_FAILURE(CheckWholeLog());
    }
  }

  // Drops the log without flushing, cuts one segment at or after the
  // recovery point, and reopens as after a crash.
  void UncleanReopenAfterCut() {
    const Offset old_end = End();
    const Offset recovery_point = log_->recovery_point();
    struct Candidate {
      std::string path;
      int64_t min_cut = 0;
      int64_t size = 0;
      std::vector<BatchLocation> batches;
      std::vector<int64_t> batch_ends;  // positions where a batch ends
      bool active = false;
      Offset next_offset;
    };
    std::vector<Candidate> candidates;
    auto segments = log_->Segments();
    for (size_t i = 0; i < segments.size(); ++i) {
      const LogSegment& s = *segments[i];
      bool active = i + 1 == segments.size();
      if (!active && s.next_offset() <= recovery_point) continue;
      auto batches = s.Batches();
      ASSERT_TRUE(batches.ok()) << batches.status().ToString();
      Candidate c{s.log_path(), s.size(), s.size(), *batches, {}, active, s.next_offset()};
      for (const auto& b : *batches) {
        if (b.base_offset >= recovery_point) c.min_cut = std::min(c.min_cut, b.position.value);
        c.batch_ends.push_back(b.position.value + b.size);
      }
      candidates.push_back(std::move(c));
    }
    segments.clear();
    ASSERT_FALSE(candidates.empty());
    // Mostly the active segment, as a crash while appending leaves it.
    const Candidate cut = Uniform(0, 2) == 0 ? candidates[Uniform(0, candidates.size() - 1)]
                                             : candidates.back();
    int64_t at = Uniform(cut.min_cut, cut.size);
    if (!cut.active && cut.min_cut < cut.size) {
      // An older segment cut exactly between batches looks whole, and its
      // successors were written after it: no crash leaves that, and
      // recovery (as Kafka's) cannot tell. Tear it inside a batch instead.
      while (std::find(cut.batch_ends.begin(), cut.batch_ends.end(), at) != cut.batch_ends.end() ||
             at == cut.min_cut) {
        at = Uniform(cut.min_cut, cut.size);
        if (cut.size - cut.min_cut < 2) break;
      }
    }
    // An older segment torn inside a batch loses that batch and what
    // followed it in the segment; the later segments stay (offsets may have
    // gaps, so nothing after a tear is suspect).
    std::optional<std::pair<int64_t, int64_t>> lost;
    if (!cut.active && at < cut.size) {
      ++older_segment_tears_;
      for (const auto& b : cut.batches) {
        if (b.position.value <= at && at < b.position.value + b.size) {
          lost.emplace(b.base_offset.value, cut.next_offset.value);
        }
      }
    }
    log_.reset();  // no flush, no checkpoint
    testing::TruncateFile(cut.path, at);

    // The checkpoint may lag the recovery point; recovery then does more.
    Offset checkpoint = Uniform(0, 3) == 0 ? Offset(0) : recovery_point;
    ASSERT_NO_FATAL_FAILURE(Open(/*clean=*/false, checkpoint));
    if (lost) {
      ++lossy_recoveries_;
      ASSERT_EQ(log_->log_end_offset(), old_end);
      for (int64_t p = lost->first; p < lost->second; ++p) gone_[static_cast<size_t>(p)] = true;
      std::vector<int64_t> starts, times;
      for (size_t i = 0; i < starts_.size(); ++i) {
        if (gone_[static_cast<size_t>(starts_[i])]) continue;
        starts.push_back(starts_[i]);
        times.push_back(times_[i]);
      }
      starts_ = std::move(starts);
      times_ = std::move(times);
      EXPECT_EQ(log_->recovery_point(), std::min(checkpoint, old_end));
      ASSERT_NO_FATAL_FAILURE(CheckWholeLog());
      return;
    }
    const Offset end = log_->log_end_offset();
    ASSERT_LE(end, old_end);
    if (end < old_end) ++lossy_recoveries_;
    ASSERT_GE(end, recovery_point) << "flushed data was lost";
    ASSERT_TRUE(end == old_end || std::binary_search(starts_.begin(), starts_.end(), end.value))
        << "recovered end " << end.value << " is not a line boundary";
    EXPECT_EQ(log_->recovery_point(), std::min(checkpoint, end));
    auto first_gone = std::lower_bound(starts_.begin(), starts_.end(), end.value);
    size_t kept = static_cast<size_t>(first_gone - starts_.begin());
    starts_.resize(kept);
    times_.resize(kept);
    model_.resize(static_cast<size_t>(end.value));
    gone_.resize(model_.size());
    ASSERT_NO_FATAL_FAILURE(CheckWholeLog());
  }

  void NthRecordFromEnd() {
    int64_t n = Uniform(1, static_cast<int64_t>(starts_.size()) + 3);
    auto r = log_->OffsetOfNthRecordFromEnd(n);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    int64_t expected = n <= static_cast<int64_t>(starts_.size()) ? starts_[starts_.size() - n] : 0;
    EXPECT_EQ(r->value, expected) << "n = " << n << " of " << starts_.size();
  }

  void OffsetForTimestamp() {
    if (times_.empty()) return;
    int64_t ts = Uniform(times_.front() - 10, times_.back() + 10);
    auto r = log_->OffsetForTimestamp(Timestamp(ts));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto it = std::lower_bound(times_.begin(), times_.end(), ts);
    if (it == times_.end()) {
      EXPECT_FALSE(r->has_value()) << "ts " << ts;
    } else {
      ASSERT_TRUE(r->has_value()) << "ts " << ts;
      EXPECT_EQ((*r)->value, starts_[it - times_.begin()]) << "ts " << ts;
    }
  }

  void CheckFigures() {
    LogFigures f = log_->Figures();
    EXPECT_EQ(f.log_end_offset, End());
    EXPECT_EQ(f.records, static_cast<int64_t>(starts_.size()));
    EXPECT_LE(f.recovery_point, End());
  }

  // Every offset index entry names a batch start and that batch's last
  // offset; time index entries never go back; segments follow each other
  // (with a gap where recovery cut the end of one).
  void CheckIndexes() {
    auto segments = log_->Segments();
    for (size_t i = 0; i < segments.size(); ++i) {
      const LogSegment& s = *segments[i];
      if (i + 1 < segments.size()) {
        ASSERT_LE(s.next_offset(), segments[i + 1]->base_offset()) << s.log_path();
      }
      auto batches = s.Batches();
      ASSERT_TRUE(batches.ok()) << batches.status().ToString();
      std::map<int64_t, Offset> last_offset_at;
      for (const auto& b : *batches) last_offset_at[b.position.value] = b.last_offset;
      const OffsetIndex& index = s.offset_index();
      for (int n = 0; n < index.entries(); ++n) {
        OffsetIndex::Entry e = index.EntryAt(n);
        auto it = last_offset_at.find(e.position.value);
        ASSERT_TRUE(it != last_offset_at.end())
            << s.log_path() << ": offset index entry " << n << " points at no batch";
        ASSERT_EQ(e.offset, it->second) << s.log_path() << ": offset index entry " << n;
      }
      const TimeIndex& times = s.time_index();
      for (int n = 1; n < times.entries(); ++n) {
        ASSERT_GE(times.EntryAt(n).timestamp, times.EntryAt(n - 1).timestamp) << s.log_path();
        ASSERT_GE(times.EntryAt(n).offset, times.EntryAt(n - 1).offset) << s.log_path();
      }
    }
  }

  void CheckWholeLog() {
    ASSERT_NO_FATAL_FAILURE(CheckIndexes());
    std::string all;
    std::vector<char> buf(7000);
    Offset at(0);
    while (true) {
      auto r = log_->Read(at, buf.data(), static_cast<int64_t>(buf.size()));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      if (r->bytes == 0) break;
      ASSERT_GE(r->start, at);
      all.append(buf.data(), static_cast<size_t>(r->bytes));
      at = r->next;
    }
    int64_t start = 0, next = 0;
    const std::string expected = Expected(0, static_cast<int64_t>(model_.size()), &start, &next);
    ASSERT_EQ(all.size(), expected.size());
    ASSERT_TRUE(all == expected) << "log content differs from the model";
  }

  TempDir dir_;
  FakeClock clock_;
  NoSyncFileIo io_;
  std::mt19937_64 rng_;
  LogConfig config_;
  std::unique_ptr<Log> log_;
  std::string model_;            // the presented file
  std::vector<bool> gone_;       // per byte of model_: cut by a recovery
  std::vector<int64_t> starts_;  // offset of each line
  std::vector<int64_t> times_;   // timestamp of each line (non-decreasing)
  int step_ = 0;
  int older_segment_tears_ = 0;
  int lossy_recoveries_ = 0;
};

std::vector<uint64_t> Seeds() {
  if (const char* s = std::getenv("TOPICFS_RANDOM_SEED")) return {std::strtoull(s, nullptr, 10)};
#ifdef TOPICFS_SANITIZED
  return {1, 2};
#else
  return {1, 2, 3, 4};
#endif
}

int Operations() {
  if (const char* s = std::getenv("TOPICFS_RANDOM_OPS")) return std::atoi(s);
  return kOperationsPerSeed;
}

TEST(RandomLogTest, OperationSequencesMatchTheModel) {
  int older_segment_tears = 0;
  int lossy_recoveries = 0;
  for (uint64_t seed : Seeds()) {
    RandomLogRun run(seed);
    run.Run(Operations());
    older_segment_tears += run.older_segment_tears();
    lossy_recoveries += run.lossy_recoveries();
    ASSERT_FALSE(HasFatalFailure()) << "seed " << seed << " failed at step " << run.step();
    EXPECT_FALSE(HasNonfatalFailure()) << "seed " << seed;
    if (HasNonfatalFailure()) return;
  }
  // The interesting cases did happen (with the default seeds; one chosen
  // seed may miss them).
  if (std::getenv("TOPICFS_RANDOM_SEED") == nullptr) {
    EXPECT_GT(older_segment_tears, 0);
    EXPECT_GT(lossy_recoveries, 0);
  }
  RecordProperty("older_segment_tears", older_segment_tears);
  RecordProperty("lossy_recoveries", lossy_recoveries);
}

}  // namespace
}  // namespace topicfs::store
