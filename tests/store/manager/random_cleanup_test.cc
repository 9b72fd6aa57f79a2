// A seeded random test of retention and compaction against an in-memory
// model of what must survive (issue 4, "A seeded random test mixing appends,
// retention and compaction runs against an in-memory model").
//
// One compacted topic ("cleanup.policy" compact or delete,compact, key
// separator ':') in a LogManager on a FakeClock, without background threads.
// A random sequence of: appends of keyed lines "k<0..50>:<value>@<offset>"
// and tombstones "k<n>:", keyless lines (refused, nothing appended), rolls,
// clock advances, retention runs with random retention.ms / retention.bytes,
// cleaner passes (LogCleaner::Clean, or RunCleaner), delayed-deletion tasks
// and clean reopens (some of them with the clean-shutdown marker and the
// recovery points removed, so that loading validates every segment the
// cleaner wrote). After every step the stored log is checked:
//   - reading the whole log (odd-sized Log::Read chunks from offset 0)
//     returns exactly the stored records at or above the log start, back to
//     back, in increasing offset order, each equal to the model's line at
//     its offset; a read starting in removed data continues at the next
//     survivor;
//   - every record in the active segment survives;
//   - a record at or above the log start that is the latest for its key
//     survives, unless it is a tombstone that may be past its horizon (a
//     cleaning at least delete.retention.ms after the first cleaning that
//     could have stamped it);
//   - a record superseded by a newer one for its key that a cleaning pass
//     covered (newer offset < the cleaner's checkpointed end) is gone, and
//     so is a tombstone covered by a pass at time T once a later pass ran at
//     T + delete.retention.ms or after;
//   - the log end offset never changes through cleanup or reopen; the log
//     start only grows and is the first segment's base;
//   - after a retention run the first remaining segment is not deletable
//     (retention.ms / retention.bytes), and a compact-only topic loses no
//     segment to retention.
// Two concurrent tests (TSan runs tests matching "Concurren"): appends,
// cleaning, retention and readers at once, checked against the model once
// they stop; and readers that must never skip a survivor while the cleaner
// merges the segments they are reading.

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/format/file_names.h"
#include "store/cleanup/log_cleaner.h"
#include "store/manager/log_manager.h"
#include "store/format/presented_record.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

constexpr std::string_view kTopic = "r";
const TopicPartition kTp{"r", 0};

struct ModelRecord {
  std::string line;
  std::string key;
  bool tombstone = false;
  size_t passes_before = 0;  // cleaner passes run before it was appended
};

struct Pass {
  int64_t time = 0;
  bool effective = false;  // rewrote segments
  Offset end;              // the cleaner's checkpointed end after it
};

struct Stored {
  Offset offset;
  std::optional<std::string> key;
  bool tombstone = false;
  std::string presented;
};

struct Model {
  std::map<int64_t, ModelRecord> records;            // by offset
  std::map<std::string, std::vector<int64_t>> keys;  // offsets per key, increasing
  std::vector<Pass> passes;
  Offset end;
  int64_t delete_retention_ms = 0;

  void Add(Offset offset, std::string_view line) {
    ModelRecord r;
    r.line = std::string(line);
    size_t colon = line.find(':');
    r.key = std::string(line.substr(0, colon));
    r.tombstone = colon + 1 == line.size();
    r.passes_before = passes.size();
    keys[r.key].push_back(offset.value);
    records.emplace(offset.value, std::move(r));
    end = offset + static_cast<int64_t>(line.size()) + 1;
  }
  // The offset of the next record for the same key, if any.
  std::optional<int64_t> Newer(int64_t offset) const {
    const auto& list = keys.at(records.at(offset).key);
    auto it = std::upper_bound(list.begin(), list.end(), offset);
    if (it == list.end()) return std::nullopt;
    return *it;
  }
  // A tombstone may be gone: some effective pass after its append (the
  // earliest time its batch could be stamped) was followed by another
  // effective pass at least delete.retention.ms later.
  bool TombstoneMayBeGone(const ModelRecord& r) const {
    for (size_t a = r.passes_before; a < passes.size(); ++a) {
      if (!passes[a].effective) continue;
      for (size_t j = a + 1; j < passes.size(); ++j) {
        if (passes[j].effective && passes[j].time >= passes[a].time + delete_retention_ms) return true;
      }
      return false;
    }
    return false;
  }
  // A tombstone must be gone: an effective pass covered it (end > offset)
  // and stamped it at the latest then; a later effective pass ran at or past
  // that horizon.
  bool TombstoneMustBeGone(int64_t offset, const ModelRecord& r) const {
    for (size_t i = r.passes_before; i < passes.size(); ++i) {
      if (!passes[i].effective || passes[i].end.value <= offset) continue;
      for (size_t j = i + 1; j < passes.size(); ++j) {
        if (passes[j].effective && passes[j].time >= passes[i].time + delete_retention_ms) return true;
      }
      return false;
    }
    return false;
  }
};

std::vector<Stored> StoredRecords(const Log& log) {
  std::vector<Stored> out;
  for (const auto& segment : log.Segments()) {
    auto batches = segment->Batches();
    EXPECT_TRUE(batches.ok()) << batches.status().ToString();
    if (!batches.ok()) continue;
    for (const BatchLocation& b : *batches) {
      if (b.control) continue;
      Status s = segment->ForEachRecord(b, [&](const RecordView& r) {
        Stored st;
        st.offset = r.offset;
        if (r.key) st.key = std::string(*r.key);
        st.tombstone = !r.value.has_value();
        st.presented.resize(static_cast<size_t>(PresentedSize(r)));
        CopyPresented(r, 0, PresentedSize(r), st.presented.data());
        out.push_back(std::move(st));
      });
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
  }
  return out;
}

// Everything the log presents from offset 0, read in random chunk sizes;
// checks that a read starting in removed data continues at the next stored
// record (offsets: the stored records' offsets, increasing).
std::string ReadAll(const Log& log, std::mt19937_64& rng, const std::vector<int64_t>& offsets,
                    const std::vector<int64_t>& ends) {
  std::string out;
  std::vector<char> buf(4096);
  for (Offset at(0);;) {
    int64_t chunk = std::uniform_int_distribution<int64_t>(1, 4096)(rng);
    auto r = log.Read(at, buf.data(), chunk);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->bytes == 0) break;
    if (r->start != at) {
      // `at` was removed: the read starts at the first record stored after it.
      auto it = std::lower_bound(offsets.begin(), offsets.end(), at.value);
      EXPECT_TRUE(it != offsets.end() && r->start.value == *it)
          << "read at " << at.value << " started at " << r->start.value
          << ", not at the next stored record " << (it == offsets.end() ? -1 : *it);
      // ... and `at` was not inside a stored record.
      auto inside = std::upper_bound(offsets.begin(), offsets.end(), at.value);
      if (inside != offsets.begin()) {
        size_t i = static_cast<size_t>(inside - offsets.begin()) - 1;
        EXPECT_GE(at.value, ends[i]) << "read at " << at.value << " skipped a stored record at "
                                     << offsets[i];
      }
    }
    out.append(buf.data(), static_cast<size_t>(r->bytes));
    EXPECT_GT(r->next, at);
    at = r->next;
  }
  return out;
}

// The checks never depend on what survives power loss: fsync buys nothing
// here but seconds of waiting on a slow disk.
class NoSyncFileIo : public FileIo {
 public:
  Status Sync(int, std::string_view) override { return Status::Ok(); }
};

// A temporary directory in memory (/dev/shm) when there is one: the
// cleaner syncs the partition directory at every segment swap, and on a
// disk those directory fsyncs, not the checks, would dominate the run.
std::unique_ptr<testing::TempDir> MakeTempDir() {
  const char* old = std::getenv("TMPDIR");
  std::string saved = old != nullptr ? old : "";
  bool shm = ::access("/dev/shm", W_OK | X_OK) == 0;
  if (shm) ::setenv("TMPDIR", "/dev/shm", 1);
  auto dir = std::make_unique<testing::TempDir>();
  if (shm) {
    if (old != nullptr) {
      ::setenv("TMPDIR", saved.c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
  }
  return dir;
}

class Harness {
 public:
  explicit Harness(uint64_t seed) : dir_(MakeTempDir()), rng_(seed) {}

  void Open() {
    LogManager::Options o;
    o.data_dir = dir_->path() + "/data";
    o.clock = &clock_;
    o.io = &io_;
    o.cleaner.dedupe_buffer_bytes = map_bytes_;
    auto m = LogManager::Open(o);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    manager_ = std::move(m).value();
  }
  // A clean close and open; with recover_all, the clean-shutdown marker and
  // the recovery points are removed in between, so that loading validates
  // every segment the cleaner wrote (its batches with holes, horizons and
  // emptied last batches must all pass recovery untouched).
  void Reopen(bool recover_all = false) {
    const Offset end = log()->log_end_offset();
    const Offset start = log()->log_start_offset();
    const Offset checkpoint = manager_->cleaner().CheckpointedOffset(kTp);
    ASSERT_TRUE(manager_->Close().ok());
    manager_.reset();
    if (recover_all) {
      std::filesystem::remove(dir_->path() + "/data/" + std::string(kCleanShutdownFile));
      std::filesystem::remove(dir_->path() + "/data/" + std::string(kRecoveryPointCheckpoint));
    }
    Open();
    ASSERT_EQ(manager_->had_clean_shutdown(), !recover_all);
    EXPECT_EQ(manager_->warnings(), std::vector<std::string>{}) << "loading repaired something";
    EXPECT_EQ(DeletedFiles(), 0) << "a reopen leaves .deleted files behind";
    EXPECT_EQ(log()->log_end_offset(), end) << "reopen moved the log end";
    EXPECT_EQ(log()->log_start_offset(), start) << "reopen moved the log start";
    EXPECT_EQ(manager_->cleaner().CheckpointedOffset(kTp), checkpoint)
        << "cleaner-offset-checkpoint lost across a clean close";
  }
  std::shared_ptr<Log> log() const { return manager_->GetLog(kTopic, 0); }

  // Appends `lines` and records them in the model.
  void Append(const std::vector<std::string>& lines) {
    std::vector<std::string_view> views(lines.begin(), lines.end());
    std::vector<Offset> offsets;
    auto r = log()->Append(views, &offsets);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->first_offset, model_.end);
    ASSERT_EQ(offsets.size(), lines.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      ASSERT_EQ(offsets[i], model_.end);
      model_.Add(offsets[i], lines[i]);
    }
    ASSERT_EQ(r->end_offset, model_.end);
  }

  std::string RandomLine(bool allow_tombstone = true) {
    int key = Uniform(0, 50);
    if (allow_tombstone && Uniform(0, 9) == 0) return fmt::format("k{}:", key);
    std::string value;
    int n = Uniform(0, 24);
    for (int i = 0; i < n; ++i) value.push_back(static_cast<char>('a' + Uniform(0, 25)));
    return fmt::format("k{}:{}", key, value);
  }
  // Lines embedding their own offset ("...@<offset>"), for self-checking readers.
  std::vector<std::string> RandomLines(int count) {
    std::vector<std::string> lines;
    Offset at = model_.end;
    for (int i = 0; i < count; ++i) {
      std::string line = RandomLine();
      if (line.back() != ':') line += fmt::format("@{}", at.value);
      at += static_cast<int64_t>(line.size()) + 1;
      lines.push_back(std::move(line));
    }
    return lines;
  }

  void Clean(bool through_manager) {
    const Offset end = log()->log_end_offset();
    Pass pass;
    pass.time = clock_.Now().value;
    if (through_manager) {
      auto r = manager_->RunCleaner();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      pass.effective = r->has_value() && (*r)->segments_cleaned > 0;
    } else {
      auto r = manager_->cleaner().Clean(*log());
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      pass.effective = r->segments_cleaned > 0;
      if (pass.effective) {
        EXPECT_EQ(r->end_offset, manager_->cleaner().CheckpointedOffset(kTp));
      }
    }
    pass.end = manager_->cleaner().CheckpointedOffset(kTp);
    if (!model_.passes.empty()) {
      EXPECT_GE(pass.end, std::min(model_.passes.back().end, log()->log_start_offset()))
          << "the cleaner's checkpoint went back";
    }
    model_.passes.push_back(pass);
    EXPECT_EQ(log()->log_end_offset(), end) << "cleaning moved the log end";
  }

  void Retention() {
    const Offset end = log()->log_end_offset();
    const Offset start = log()->log_start_offset();
    LogConfig config = log()->config();
    if (config.cleanup_delete) {
      // A random retention setting each time (-1 = unlimited).
      std::string ms = Uniform(0, 2) == 0 ? "-1" : std::to_string(Uniform(0, 20'000));
      std::string bytes = Uniform(0, 2) == 0 ? "-1" : std::to_string(Uniform(0, 6'000));
      ASSERT_TRUE(manager_->SetTopicConfig(kTopic, "retention.ms", ms).ok());
      ASSERT_TRUE(manager_->SetTopicConfig(kTopic, "retention.bytes", bytes).ok());
      config = log()->config();
    }
    const size_t before = log()->Segments().size();
    auto deleted = Uniform(0, 1) == 0 ? log()->DeleteOldSegments() : manager_->RunRetention();
    ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
    auto segments = log()->Segments();
    EXPECT_EQ(log()->log_end_offset(), end) << "retention moved the log end";
    EXPECT_GE(log()->log_start_offset(), start);
    if (!config.cleanup_delete) {
      EXPECT_EQ(*deleted, 0) << "retention deleted segments of a compact-only topic";
      EXPECT_EQ(segments.size(), before);
      return;
    }
    // The walk stopped at a segment that stays.
    const auto& first = segments.front();
    if (!first->empty()) {
      const Timestamp now = clock_.Now();
      if (config.retention_ms >= 0) {
        EXPECT_LE(now - first->LargestTimestamp(), config.retention_ms)
            << "segment " << first->base_offset().value << " outlived retention.ms";
      }
      if (config.retention_bytes >= 0) {
        int64_t total = 0;
        for (const auto& s : segments) total += s->size();
        EXPECT_LT(total - first->size(), config.retention_bytes)
            << "segment " << first->base_offset().value << " outlived retention.bytes";
      }
    }
  }

  // Checks the stored log against the model.
  void Check(const std::string& where) {
    SCOPED_TRACE(where);
    std::shared_ptr<Log> l = log();
    ASSERT_EQ(l->log_end_offset(), model_.end) << "log end offset";
    const Offset start = l->log_start_offset();
    auto segments = l->Segments();
    ASSERT_FALSE(segments.empty());
    EXPECT_GE(start, last_start_) << "the log start went back";
    last_start_ = start;
    EXPECT_EQ(start, segments.front()->base_offset()) << "log start vs the first segment";
    const Offset active = segments.back()->base_offset();
    const Offset checkpoint = manager_->cleaner().CheckpointedOffset(kTp);

    std::vector<Stored> stored = StoredRecords(*l);
    std::set<int64_t> present;
    std::vector<int64_t> offsets, ends;
    std::string expected_read;
    int64_t prev_end = -1;
    for (const Stored& s : stored) {
      EXPECT_GE(s.offset.value, prev_end) << "stored records overlap or go back at " << s.offset.value;
      prev_end = s.offset.value + static_cast<int64_t>(s.presented.size());
      EXPECT_LE(prev_end, model_.end.value) << "a record past the log end";
      if (s.offset < start) continue;
      auto it = model_.records.find(s.offset.value);
      if (it == model_.records.end()) {
        ADD_FAILURE() << "stored record at " << s.offset.value << " was never written: "
                      << s.presented;
        continue;
      }
      const ModelRecord& m = it->second;
      EXPECT_EQ(s.presented, m.line + "\n") << "record at " << s.offset.value;
      EXPECT_EQ(s.key, std::optional<std::string>(m.key)) << "key at " << s.offset.value;
      EXPECT_EQ(s.tombstone, m.tombstone) << "tombstone at " << s.offset.value;
      present.insert(s.offset.value);
      offsets.push_back(s.offset.value);
      ends.push_back(prev_end);
      expected_read += s.presented;
    }

    for (const auto& [offset, m] : model_.records) {
      if (offset < start.value) continue;
      const bool here = present.count(offset) > 0;
      std::optional<int64_t> newer = model_.Newer(offset);
      if (offset >= active.value) {
        EXPECT_TRUE(here) << "record at " << offset << " in the active segment is gone: " << m.line;
        continue;
      }
      if (!newer) {  // the latest for its key
        if (!m.tombstone) {
          EXPECT_TRUE(here) << "the latest record for " << m.key << " at " << offset
                            << " is gone: " << m.line;
        } else if (!here) {
          EXPECT_TRUE(model_.TombstoneMayBeGone(m))
              << "tombstone for " << m.key << " at " << offset << " dropped before its horizon";
        }
      }
      if (here && newer && *newer < checkpoint.value) {
        ADD_FAILURE() << "record at " << offset << " (" << m.line << ") superseded at " << *newer
                      << " survived a pass that covered it (checkpoint " << checkpoint.value << ")";
      }
      if (here && m.tombstone && model_.TombstoneMustBeGone(offset, m)) {
        ADD_FAILURE() << "tombstone " << m.line << " at " << offset
                      << " survived a cleaning past its horizon";
      }
    }

    EXPECT_EQ(ReadAll(*l, rng_, offsets, ends), expected_read) << "Log::Read of the whole log";

    // Between operations no cleaner output is left half-swapped, and the
    // files of every live segment are there under their final names. With
    // file.delete.delay.ms = 0, .deleted files go at the scheduler's next
    // run (Kafka's asyncDelete), not inside the call that renamed them.
    manager_->scheduler().RunDueTasks();
    std::set<int64_t> live;
    for (const auto& segment : segments) live.insert(segment->base_offset().value);
    for (const auto& e : std::filesystem::directory_iterator(l->dir())) {
      std::string name = e.path().filename().string();
      auto parsed = ParseSegmentFileName(name);
      if (!parsed) continue;
      EXPECT_TRUE(parsed->state_suffix != kCleanedSuffix && parsed->state_suffix != kSwapSuffix)
          << "left over: " << name;
      if (parsed->state_suffix.empty() && parsed->kind == SegmentFileKind::kLog) {
        EXPECT_TRUE(live.count(parsed->base_offset.value)) << "a .log of no live segment: " << name;
      }
      if (parsed->state_suffix == kDeletedSuffix) {
        EXPECT_GT(l->config().file_delete_delay_ms, 0) << name << " not removed by the scheduler";
      }
    }
  }

  // .deleted files left in the partition directory.
  int DeletedFiles() {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(log()->dir())) {
      auto parsed = ParseSegmentFileName(e.path().filename().string());
      n += parsed && parsed->state_suffix == kDeletedSuffix;
    }
    return n;
  }

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  std::unique_ptr<testing::TempDir> dir_;
  FakeClock clock_;
  NoSyncFileIo io_;
  std::mt19937_64 rng_;
  int64_t map_bytes_ = 32 << 20;
  std::unique_ptr<LogManager> manager_;
  Model model_;
  Offset last_start_{0};
};

class RandomCleanupTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(RandomCleanupTest, OperationSequencesMatchTheModel) {
  const uint64_t seed = GetParam();
  SCOPED_TRACE(fmt::format("seed {}", seed));
  Harness h(seed);
  // A small key map now and then: cleaning then goes in several partial passes.
  h.map_bytes_ = h.Uniform(0, 2) == 0 ? KeyOffsetMap::kSlotSize * h.Uniform(8, 40) : 1 << 20;
  ASSERT_NO_FATAL_FAILURE(h.Open());
  const bool with_delete = seed % 2 == 0;
  h.model_.delete_retention_ms = std::vector<int64_t>{0, 700, 5000}[h.Uniform(0, 2)];
  ConfigOverrides config{
      {"cleanup.policy", with_delete ? "delete,compact" : "compact"},
      {"key.separator", ":"},
      {"internal.segment.bytes", std::to_string(h.Uniform(200, 1500))},
      {"segment.index.bytes", "4096"},
      {"index.interval.bytes", std::to_string(h.Uniform(0, 400))},
      {"delete.retention.ms", std::to_string(h.model_.delete_retention_ms)},
      {"file.delete.delay.ms", h.Uniform(0, 1) == 0 ? "0" : "1000"},
      {"min.cleanable.dirty.ratio", "0.01"},
      {"min.compaction.lag.ms", h.Uniform(0, 2) == 0 ? "2000" : "0"},
  };
  ASSERT_TRUE(h.manager_->CreateTopic(kTopic, config).ok());
  SCOPED_TRACE(fmt::format("policy {}, internal.segment.bytes {}, delete.retention.ms {}, key map {} bytes",
                           config["cleanup.policy"], config["internal.segment.bytes"],
                           h.model_.delete_retention_ms, h.map_bytes_));

  const int steps = 1000;
  int cleanings = 0, effective = 0, retention_runs = 0, reopens = 0;
  for (int step = 0; step < steps; ++step) {
    int op = h.Uniform(0, 99);
    std::string what;
    if (op < 45) {
      what = "append";
      ASSERT_NO_FATAL_FAILURE(h.Append(h.RandomLines(h.Uniform(1, 6))));
    } else if (op < 48) {
      what = "keyless line";
      const Offset end = h.log()->log_end_offset();
      std::vector<std::string> lines = h.RandomLines(2);
      lines.push_back("no separator here");
      std::vector<std::string_view> views(lines.begin(), lines.end());
      auto r = h.log()->Append(views);
      ASSERT_FALSE(r.ok()) << "a keyless line on a compacted topic was accepted";
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
      EXPECT_EQ(h.log()->log_end_offset(), end) << "a refused write appended something";
    } else if (op < 55) {
      what = "roll";
      ASSERT_TRUE(h.log()->Roll().ok());
    } else if (op < 65) {
      what = "advance clock";
      int64_t ms = h.Uniform(0, 3000);
      h.clock_.Advance(ms);
      h.manager_->scheduler().RunDueTasks();  // delayed deletions
      if (ms > h.log()->config().file_delete_delay_ms) {
        // Only files renamed within the last `ms` may be left.
        h.clock_.Advance(h.log()->config().file_delete_delay_ms + 1);
        h.manager_->scheduler().RunDueTasks();
        EXPECT_EQ(h.DeletedFiles(), 0) << ".deleted files outlived file.delete.delay.ms";
      }
    } else if (op < 75) {
      what = "retention";
      ++retention_runs;
      ASSERT_NO_FATAL_FAILURE(h.Retention());
    } else if (op < 96) {
      what = "clean";
      ++cleanings;
      ASSERT_NO_FATAL_FAILURE(h.Clean(/*through_manager=*/op >= 93));
      effective += h.model_.passes.back().effective;
    } else {
      what = op < 98 ? "reopen" : "reopen recovering every segment";
      ++reopens;
      ASSERT_NO_FATAL_FAILURE(h.Reopen(/*recover_all=*/op >= 98));
    }
    ASSERT_NO_FATAL_FAILURE(h.Check(fmt::format("step {} ({})", step, what)));
    if (HasFailure()) break;
  }

  if (HasFailure()) return;
  // Quiesce: roll, clean until nothing moves, past every horizon; then
  // every key appears at most once outside the active segment and no
  // tombstone older than the horizon is left.
  for (int i = 0;; ++i) {
    ASSERT_LT(i, 300) << "the cleaner never caught up with the active segment";
    h.clock_.Advance(h.model_.delete_retention_ms + 1);
    ASSERT_NO_FATAL_FAILURE(h.Append({h.RandomLine(false)}));
    ASSERT_TRUE(h.log()->Roll().ok());
    h.clock_.Advance(h.log()->config().min_compaction_lag_ms + 1);
    ASSERT_NO_FATAL_FAILURE(h.Clean(false));
    ASSERT_NO_FATAL_FAILURE(h.Check(fmt::format("final pass {}", i)));
    if (i >= 3 && h.manager_->cleaner().CheckpointedOffset(kTp) ==
                      h.log()->Segments().back()->base_offset()) {
      break;
    }
  }
  std::map<std::string, int> per_key;
  auto segments = h.log()->Segments();
  const Offset active = segments.back()->base_offset();
  for (const Stored& s : StoredRecords(*h.log())) {
    if (s.offset >= active || s.offset < h.log()->log_start_offset()) continue;
    EXPECT_EQ(++per_key[*s.key], 1) << "key " << *s.key << " kept twice outside the active segment";
  }
  ASSERT_NO_FATAL_FAILURE(h.Reopen(/*recover_all=*/true));
  ASSERT_NO_FATAL_FAILURE(h.Check("after the final reopen"));
  RecordProperty("cleanings", cleanings);
  std::printf("seed %llu: %zu records written, %d cleanings (%d effective), %d retention runs, "
              "%d reopens, %zu segments, log start %lld, end %lld\n",
              static_cast<unsigned long long>(seed), h.model_.records.size(), cleanings, effective,
              retention_runs, reopens, h.log()->Segments().size(),
              static_cast<long long>(h.log()->log_start_offset().value),
              static_cast<long long>(h.log()->log_end_offset().value));
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomCleanupTest,
                         ::testing::Values(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20251125, 424242));

// Appends, cleaner passes, retention and readers at once, as the daemon's
// scheduler threads and FUSE readers run them. Readers check what they see
// on their own (lines carry their offset); the final state is checked
// against the model once everything stopped.
TEST(RandomCleanupConcurrencyTest, ConcurrentAppendsCleaningRetentionAndReads) {
  Harness h(77);
  ASSERT_NO_FATAL_FAILURE(h.Open());
  h.model_.delete_retention_ms = 86'400'000;  // tombstones stay: pass times do not matter
  ConfigOverrides config{
      {"cleanup.policy", "delete,compact"}, {"key.separator", ":"},
      {"internal.segment.bytes", "600"},    {"segment.index.bytes", "4096"},
      {"index.interval.bytes", "100"},      {"delete.retention.ms", "86400000"},
      {"file.delete.delay.ms", "0"},        {"retention.bytes", "40000"},
      {"min.cleanable.dirty.ratio", "0.01"},
  };
  ASSERT_TRUE(h.manager_->CreateTopic(kTopic, config).ok());
  std::shared_ptr<Log> log = h.log();

  std::atomic<bool> done{false};
  std::atomic<int> passes{0}, deletions{0}, reads{0}, aborted{0}, skips{0};
  std::vector<Pass> pass_log;
  std::thread cleaner([&] {
    while (!done.load()) {
      Pass p;
      p.time = h.clock_.Now().value;
      auto r = h.manager_->cleaner().Clean(*log);
      if (!r.ok() && r.status().code() == Code::kInvalidArgument &&
          r.status().message().find("cleaning aborted") != std::string::npos) {
        ++aborted;  // retention took a segment of the group: a documented abort
        continue;
      }
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) return;
      p.effective = r->segments_cleaned > 0;
      p.end = h.manager_->cleaner().CheckpointedOffset(kTp);
      pass_log.push_back(p);
      passes += p.effective;
    }
  });
  std::thread retention([&] {
    while (!done.load()) {
      auto r = log->DeleteOldSegments();
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) return;
      deletions += *r;
      // As the daemon's periodic check, not back to back: a pass over the
      // whole log must get a chance to finish between two deletions.
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });
  auto reader = [&] {
    std::vector<char> buf(777);
    while (!done.load()) {
      std::string partial;
      int64_t last_tagged = -1;
      for (Offset at(0);;) {
        auto r = log->Read(at, buf.data(), static_cast<int64_t>(buf.size()));
        EXPECT_TRUE(r.ok()) << r.status().ToString();
        if (!r.ok() || r->bytes == 0) break;
        std::string chunk(buf.data(), static_cast<size_t>(r->bytes));
        if (r->start != at) {
          // The data at `at` was removed meanwhile (if the reader was in the
          // middle of a record, that record went under it: its head is
          // dropped). The read continued at the next survivor: a record
          // starts there, tagged with that offset unless a tombstone.
          partial.clear();
          ++skips;
          size_t nl = chunk.find('\n');
          std::string first = chunk.substr(0, nl);
          size_t tag = first.rfind('@');
          if (tag != std::string::npos && nl != std::string::npos) {
            EXPECT_EQ(first.substr(tag + 1), std::to_string(r->start.value))
                << "a read at removed offset " << at.value << " did not start at a record";
          }
        }
        partial += chunk;
        for (size_t nl; (nl = partial.find('\n')) != std::string::npos;) {
          std::string line = partial.substr(0, nl);
          partial.erase(0, nl + 1);
          EXPECT_TRUE(line.size() >= 3 && line[0] == 'k' && line.find(':') != std::string::npos)
              << "garbled line " << line;
          size_t tag = line.rfind('@');
          if (tag != std::string::npos) {
            int64_t offset = std::stoll(line.substr(tag + 1));
            EXPECT_GT(offset, last_tagged) << "lines out of offset order";
            last_tagged = offset;
          }
        }
        at = r->next;
      }
      ++reads;
    }
  };
  std::thread reader1(reader), reader2(reader);
  // The daemon's periodic flush: syncs the segments below each roll while
  // appends, cleanings and retention go on.
  std::thread flusher([&] {
    while (!done.load()) {
      Status s = log->FlushIfDue();
      EXPECT_TRUE(s.ok()) << s.ToString();
      if (!s.ok()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });

  std::mt19937_64 rng(7);
  for (int i = 0; i < 3000 && !::testing::Test::HasFailure(); ++i) {
    std::vector<std::string> lines = h.RandomLines(static_cast<int>(rng() % 4) + 1);
    std::vector<std::string_view> views(lines.begin(), lines.end());
    std::vector<Offset> offsets;
    auto r = log->Append(views, &offsets);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) break;
    for (size_t j = 0; j < lines.size(); ++j) h.model_.Add(offsets[j], lines[j]);
    h.clock_.Advance(1);
    if (i % 8 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  done = true;
  cleaner.join();
  retention.join();
  flusher.join();
  reader1.join();
  reader2.join();
  ASSERT_FALSE(::testing::Test::HasFailure());
  // Appends ran before the passes were recorded: treat every pass as later
  // than every append (only tombstone horizons use the order, and with a day
  // of delete.retention.ms no tombstone may go).
  h.model_.passes = pass_log;
  for (auto& [offset, m] : h.model_.records) m.passes_before = 0;
  h.last_start_ = Offset(0);
  ASSERT_NO_FATAL_FAILURE(h.Check("after the concurrent phase"));
  ASSERT_TRUE(log->Roll().ok());
  ASSERT_NO_FATAL_FAILURE(h.Clean(false));
  ASSERT_NO_FATAL_FAILURE(h.Check("after a final pass"));
  ASSERT_NO_FATAL_FAILURE(h.Reopen());
  ASSERT_NO_FATAL_FAILURE(h.Check("after reopen"));
  std::printf("%zu records, %d effective passes (%d aborted), %d segments deleted, %d whole reads "
              "(%d skips over removed data)\n",
              h.model_.records.size(), passes.load(), aborted.load(), deletions.load(), reads.load(),
              skips.load());
}

// A read that goes on from one segment to the next while the cleaner merges
// segments must not skip survivors. Records with unique keys are never
// removed; each Log::Read from offset 0 must return all of them up to where
// it stopped. The cleaner rewrites the whole log on every pass and merges
// the segments that earlier passes shrank (many versions of five hot keys),
// so readers keep meeting segments that are being swapped out.
TEST(RandomCleanupConcurrencyTest, ConcurrentReadsDuringMergingCleaningsSkipNoSurvivor) {
  auto dir = MakeTempDir();
  FakeClock clock;
  NoSyncFileIo io;
  LogManager::Options o;
  o.data_dir = dir->path() + "/data";
  o.clock = &clock;
  o.io = &io;
  auto opened = LogManager::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<LogManager> manager = std::move(opened).value();
  ASSERT_TRUE(manager
                  ->CreateTopic(kTopic, {{"cleanup.policy", "compact"},
                                         {"key.separator", ":"},
                                         {"internal.segment.bytes", "1000"},
                                         {"segment.index.bytes", "4096"},
                                         {"file.delete.delay.ms", "0"}})
                  .ok());
  std::shared_ptr<Log> log = manager->GetLog(kTopic, 0);

  std::mutex mu;
  std::vector<int64_t> unique;  // offsets of the unique-key records, guarded by mu
  int next_unique = 0;
  auto append = [&](int rounds) {
    for (int i = 0; i < rounds; ++i) {
      std::vector<std::string> lines;
      const Offset at = log->log_end_offset();
      lines.push_back(fmt::format("u{}:@{}", next_unique++, at.value));
      for (int h = 0; h < 5; ++h) lines.push_back(fmt::format("h{}:{}", h, std::string(40, 'x')));
      {
        // Known before the append: a reader may see the line at once.
        std::lock_guard lock(mu);
        unique.push_back(at.value);
      }
      std::vector<std::string_view> views(lines.begin(), lines.end());
      auto r = log->Append(views);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  };
  ASSERT_NO_FATAL_FAILURE(append(200));

  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, skipped{0};
  std::thread reader([&] {
    std::vector<char> buf(1 << 20);
    while (!done.load()) {
      auto r = log->Read(Offset(0), buf.data(), static_cast<int64_t>(buf.size()));
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) return;
      std::string_view got(buf.data(), static_cast<size_t>(r->bytes));
      std::vector<int64_t> seen;
      for (size_t p = 0; (p = got.find(":@", p)) != std::string_view::npos; p += 2) {
        seen.push_back(std::stoll(std::string(got.substr(p + 2, 20))));
      }
      std::lock_guard lock(mu);
      for (size_t k = 0; k < seen.size(); ++k) {
        if (k >= unique.size() || unique[k] != seen[k]) {
          if (skipped++ == 0) {
            ADD_FAILURE() << "one Log::Read from 0 skipped the surviving record at "
                          << (k < unique.size() ? unique[k] : -1) << " (next seen: " << seen[k]
                          << ") while the cleaner swapped segments";
          }
          break;
        }
      }
      ++reads;
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(2500);
  int passes = 0;
  while (std::chrono::steady_clock::now() < deadline && skipped.load() == 0 &&
         !::testing::Test::HasFailure()) {
    append(3);
    EXPECT_TRUE(log->Roll().ok());
    auto r = manager->cleaner().Clean(*log);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) break;
    // The replaced segments' files go on the scheduler (file.delete.delay.ms
    // 0): run it as the daemon's threads would, or their fds pile up.
    manager->scheduler().RunDueTasks();
    ++passes;
  }
  done = true;
  reader.join();
  std::printf("%d cleaner passes, %d whole reads, %zu segments\n", passes, reads.load(),
              log->Segments().size());
  EXPECT_TRUE(manager->Close().ok());
}

}  // namespace
}  // namespace topicfs::store
