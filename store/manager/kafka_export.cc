#include "store/manager/kafka_export.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "store/base/format.h"
#include "store/format/batch_header.h"
#include "store/format/checkpoint_file.h"
#include "store/format/file_names.h"
#include "store/io/atomic_file.h"
#include "store/manager/data_dir_lock.h"

namespace topicfs::store {
namespace {

// The broker's own files. Kept here rather than in file_names.h: topicfs
// never writes them in its data directory, only the export does, in the
// broker's.
constexpr std::string_view kMetaProperties = "meta.properties";
constexpr std::string_view kPartitionMetadata = "partition.metadata";
constexpr std::string_view kLeaderEpochCheckpoint = "leader-epoch-checkpoint";

constexpr size_t kCopyChunk = 1 << 20;

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsRegularFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// One file of a topicfs partition to carry over.
struct SourceFile {
  std::string name;
  SegmentFileKind kind;
  Offset base;
};

// Everything about one partition, found before anything changes.
struct Plan {
  TopicPartition tp;
  std::string source_dir;
  std::string target_dir;
  std::vector<SourceFile> files;          // topicfs's segment files
  std::vector<std::string> broker_files;  // the broker's to keep (partition.metadata, ...)
  PartitionExport report;
};

// Partition numbers per topic among a directory's partition directories
// (Kafka's "-delete", "-stray" and "-future" ones do not parse as such).
Result<std::map<std::string, std::set<int32_t>>> PartitionDirs(const std::string& dir, FileIo& io) {
  ASSIGN_OR_RETURN(auto names, io.List(dir));
  std::map<std::string, std::set<int32_t>> found;
  for (const auto& name : names) {
    auto tp = ParsePartitionDirName(name);
    if (tp && IsDirectory(dir + "/" + name)) found[tp->topic].insert(tp->partition);
  }
  return found;
}

// Walks every batch header of the partition's segments (in base offset
// order): the log end, and the first offset of each leader epoch, as
// Kafka's leader epoch cache holds them (batches without an epoch, -1, as
// older topicfs versions wrote them, count for none).
Status ScanBatches(Plan& plan, FileIo& io) {
  std::vector<const SourceFile*> logs;
  for (const auto& f : plan.files) {
    if (f.kind == SegmentFileKind::kLog) logs.push_back(&f);
  }
  std::vector<std::pair<int32_t, Offset>>& epochs = plan.report.epochs;
  std::optional<Offset> end;
  char header[format::kBatchHeaderSize];
  for (const SourceFile* f : logs) {
    const std::string path = plan.source_dir + "/" + f->name;
    ASSIGN_OR_RETURN(int fd, io.Open(path, O_RDONLY));
    auto size = io.Size(fd, path);
    if (!size.ok()) {
      io.Close(fd);
      return size.status();
    }
    plan.report.bytes += *size;
    ++plan.report.segments;
    end = f->base;  // an empty (last) segment: the log ends at its base
    Status status;
    for (int64_t pos = 0; pos < *size && status.ok();) {
      auto n = io.PRead(fd, header, sizeof header, pos, path);
      if (!n.ok()) {
        status = n.status();
        break;
      }
      if (*n < static_cast<size_t>(format::kHeaderSizeUpToMagic)) {
        status = Status::Corruption(fmt::format("{}: {} bytes at position {} are not a batch", path, *n, pos));
        break;
      }
      const BatchFrame frame = PeekFrame(std::string_view(header, *n));
      if (frame.length < format::kMinLegacyEntrySize || pos + frame.size() > *size) {
        status = Status::Corruption(fmt::format("{}: the bytes at position {} do not frame a batch", path, pos));
        break;
      }
      if (frame.magic != format::kMagicV2) {
        status = Status::Unsupported(fmt::format("{}: a magic {} batch at position {}", path, frame.magic, pos));
        break;
      }
      auto h = ParseBatchHeader(std::string_view(header, *n));
      if (!h.ok() || pos + h->size() > *size) {
        status = Status::Corruption(fmt::format("{}: the batch at position {} does not frame{}", path, pos,
                                                h.ok() ? "" : ": " + h.status().message()));
        break;
      }
      if (h->partition_leader_epoch >= 0 &&
          (epochs.empty() || h->partition_leader_epoch > epochs.back().first)) {
        epochs.emplace_back(h->partition_leader_epoch, h->base_offset);
      }
      end = h->last_offset() + 1;
      pos += h->size();
    }
    io.Close(fd);
    RETURN_IF_ERROR(status);
  }
  plan.report.log_end = end.value_or(plan.report.log_start);
  if (plan.report.log_end < plan.report.log_start) plan.report.log_start = plan.report.log_end;
  // Kafka's truncateFromStart: epochs wholly before the log start go, and
  // the first starts at the log start: also where compaction removed its
  // first batches (a broker's cache keeps the offset it was first written
  // at, which no batch holds any more either).
  const Offset start = plan.report.log_start;
  while (epochs.size() > 1 && epochs[1].second <= start) epochs.erase(epochs.begin());
  if (!epochs.empty()) epochs.front().second = start;
  return Status::Ok();
}

std::string LeaderEpochCheckpoint(const std::vector<std::pair<int32_t, Offset>>& epochs) {
  std::string out = fmt::format("0\n{}\n", epochs.size());
  for (const auto& [epoch, offset] : epochs) out += fmt::format("{} {}\n", epoch, offset.value);
  return out;
}

// Copies from's bytes (and modification time: Kafka's retention falls back
// on it) into a new file `to`, fsynced.
Status CopyFile(const std::string& from, const std::string& to, FileIo& io) {
  ASSIGN_OR_RETURN(int in, io.Open(from, O_RDONLY));
  auto out = io.Open(to, O_WRONLY | O_CREAT | O_EXCL);
  if (!out.ok()) {
    io.Close(in);
    return out.status();
  }
  Status status;
  std::string buf(kCopyChunk, '\0');
  for (int64_t pos = 0;;) {
    auto n = io.PRead(in, buf.data(), buf.size(), pos, from);
    if (!n.ok()) {
      status = n.status();
      break;
    }
    if (*n == 0) break;
    status = io.PWrite(*out, buf.data(), *n, pos, to);
    if (!status.ok()) break;
    pos += static_cast<int64_t>(*n);
  }
  if (status.ok()) {
    struct stat st {};
    if (::fstat(in, &st) == 0) {
      const struct timespec times[2] = {st.st_atim, st.st_mtim};
      (void)::futimens(*out, times);
    }
    status = io.Sync(*out, to);
  }
  io.Close(in);
  io.Close(*out);
  return status;
}

Status LinkFile(const std::string& from, const std::string& to) {
  if (::link(from.c_str(), to.c_str()) != 0) return Status::FromErrno("link", from + " -> " + to);
  return Status::Ok();
}

// Puts `staged` in `target`'s place in one rename, and returns where the
// broker's old directory now is. Where the filesystem cannot exchange
// (RENAME_EXCHANGE is Linux 3.15+, not on every filesystem), the broker's
// goes aside first: a crash between the two renames leaves the partition
// without its directory and both copies under -delete names, and running
// the export again puts it back (the data directory is only read).
Result<std::string> Exchange(const std::string& staged, const std::string& target, const std::string& aside,
                             FileIo& io) {
  if (::renameat2(AT_FDCWD, staged.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) return staged;
  if (errno != EINVAL && errno != ENOSYS) {
    return Status::FromErrno("renameat2 RENAME_EXCHANGE", staged + " <-> " + target);
  }
  RETURN_IF_ERROR(io.Rename(target, aside));
  RETURN_IF_ERROR(io.Rename(staged, target));
  return aside;
}

Result<Plan> PlanPartition(const KafkaExportOptions& o, const TopicPartition& tp, const OffsetMap& starts,
                           FileIo& io) {
  Plan plan;
  plan.tp = tp;
  plan.source_dir = o.data_dir + "/" + tp.DirName();
  plan.target_dir = o.kafka_log_dir + "/" + tp.DirName();
  plan.report.tp = tp;
  ASSIGN_OR_RETURN(auto names, io.List(plan.source_dir));
  for (const auto& name : names) {
    auto parsed = ParseSegmentFileName(name);
    if (!parsed || !parsed->state_suffix.empty()) continue;
    if (!IsRegularFile(plan.source_dir + "/" + name)) continue;
    plan.files.push_back({name, parsed->kind, parsed->base_offset});
  }
  std::sort(plan.files.begin(), plan.files.end(),
            [](const SourceFile& a, const SourceFile& b) { return std::tie(a.base, a.name) < std::tie(b.base, b.name); });
  ASSIGN_OR_RETURN(auto theirs, io.List(plan.target_dir));
  for (const auto& name : theirs) {
    if (ParseSegmentFileName(name) || name == kLeaderEpochCheckpoint) continue;
    if (IsRegularFile(plan.target_dir + "/" + name)) plan.broker_files.push_back(name);
  }
  Offset first_base;
  bool any_log = false;
  for (const auto& f : plan.files) {
    if (f.kind == SegmentFileKind::kLog) {
      first_base = f.base;
      any_log = true;
      break;
    }
  }
  auto start = starts.find(tp);
  plan.report.log_start = start != starts.end() ? start->second : (any_log ? first_base : Offset(0));
  if (any_log && plan.report.log_start < first_base) plan.report.log_start = first_base;
  RETURN_IF_ERROR(ScanBatches(plan, io));
  return plan;
}

Status ExportPartition(const KafkaExportOptions& o, Plan& plan, FileIo& io) {
  const std::string staged = o.kafka_log_dir + "/" + DeletedPartitionDirName(plan.tp.DirName());
  ASSIGN_OR_RETURN(bool made, io.MakeDir(staged));
  (void)made;
  // The last segment's files the broker appends to: never shared.
  std::optional<Offset> last_base;
  for (const auto& f : plan.files) {
    if (f.kind == SegmentFileKind::kLog) last_base = f.base;
  }
  Status status;
  for (const auto& f : plan.files) {
    const std::string from = plan.source_dir + "/" + f.name;
    const std::string to = staged + "/" + f.name;
    const bool shared = o.link && !(f.base == last_base && f.kind != SegmentFileKind::kSnapshot);
    status = shared ? LinkFile(from, to) : CopyFile(from, to, io);
    if (!status.ok()) break;
    ++(shared ? plan.report.files_linked : plan.report.files_copied);
  }
  for (const auto& name : plan.broker_files) {
    if (!status.ok()) break;
    status = CopyFile(plan.target_dir + "/" + name, staged + "/" + name, io);
  }
  if (status.ok()) {
    status = WriteFileAtomically(staged + "/" + std::string(kLeaderEpochCheckpoint),
                                 LeaderEpochCheckpoint(plan.report.epochs), io);
  }
  if (status.ok()) status = io.SyncDir(staged);
  if (status.ok()) status = io.SyncDir(o.kafka_log_dir);
  if (!status.ok()) {
    (void)io.RemoveTree(staged);
    return status;
  }
  const std::string aside = o.kafka_log_dir + "/" + DeletedPartitionDirName(plan.tp.DirName());
  ASSIGN_OR_RETURN(const std::string old, Exchange(staged, plan.target_dir, aside, io));
  RETURN_IF_ERROR(io.SyncDir(o.kafka_log_dir));
  // The broker's old files: Kafka would delete a -delete directory at its
  // next start anyway.
  return io.RemoveTree(old);
}

}  // namespace

Result<KafkaExportReport> KafkaExport::Run(const KafkaExportOptions& o) {
  FileIo& io = *o.io;
  KafkaExportReport report;
  if (!IsDirectory(o.data_dir)) {
    return Status::InvalidArgument(fmt::format("{} is not a directory", o.data_dir));
  }
  if (!IsDirectory(o.kafka_log_dir)) {
    return Status::InvalidArgument(fmt::format("{} is not a directory", o.kafka_log_dir));
  }
  if (!IsRegularFile(o.kafka_log_dir + "/" + std::string(kMetaProperties))) {
    return Status::InvalidArgument(fmt::format(
        "{} is not a Kafka log directory (no {}): format it and start the broker once", o.kafka_log_dir,
        kMetaProperties));
  }
  // The broker's lock first: refused while a broker runs, before anything
  // (even .lock's pid) is written in the data directory.
  ASSIGN_OR_RETURN(BrokerRecordLock broker_lock,
                   BrokerRecordLock::Acquire(o.kafka_log_dir + "/" + std::string(kLockFile), io));
  ASSIGN_OR_RETURN(DataDirLock data_lock, DataDirLock::Acquire(o.data_dir, io, &report.warnings));

  if (!IsRegularFile(o.data_dir + "/" + std::string(kCleanShutdownFile))) {
    return Status::InvalidArgument(fmt::format(
        "{} was not shut down cleanly (no {}): mount it and unmount it once, so recovery runs first",
        o.data_dir, kCleanShutdownFile));
  }
  report.broker_clean_shutdown = IsRegularFile(o.kafka_log_dir + "/" + std::string(kCleanShutdownFile));
  if (o.link) {
    struct stat a {}, b {};
    if (::stat(o.data_dir.c_str(), &a) != 0 || ::stat(o.kafka_log_dir.c_str(), &b) != 0 ||
        a.st_dev != b.st_dev) {
      return Status::InvalidArgument(fmt::format("--link needs {} and {} on one filesystem", o.data_dir,
                                                 o.kafka_log_dir));
    }
  }

  ASSIGN_OR_RETURN(auto ours, PartitionDirs(o.data_dir, io));
  ASSIGN_OR_RETURN(auto theirs, PartitionDirs(o.kafka_log_dir, io));
  std::vector<std::string> topics = o.topics;
  if (topics.empty()) {
    for (const auto& [topic, partitions] : ours) {
      if (!topic.starts_with("__")) topics.push_back(topic);
    }
  }
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  if (topics.empty()) return Status::InvalidArgument(fmt::format("{} has no topic to export", o.data_dir));

  std::vector<std::string> problems;
  std::vector<TopicPartition> selected;
  for (const auto& topic : topics) {
    auto mine = ours.find(topic);
    if (mine == ours.end()) {
      problems.push_back(fmt::format("topic {} is not in {}", topic, o.data_dir));
      continue;
    }
    const int32_t count = static_cast<int32_t>(mine->second.size());
    if (*mine->second.rbegin() != count - 1) {
      problems.push_back(fmt::format("topic {} in {} lacks partition directories (has {} of {})", topic,
                                     o.data_dir, count, *mine->second.rbegin() + 1));
      continue;
    }
    auto broker = theirs.find(topic);
    const int32_t broker_count = broker == theirs.end() ? 0 : static_cast<int32_t>(broker->second.size());
    if (broker_count == 0) {
      problems.push_back(fmt::format("topic {} is not in the broker's {}: create it with {} partition{}",
                                     topic, o.kafka_log_dir, count, count == 1 ? "" : "s"));
      continue;
    }
    if (broker_count != count || *broker->second.rbegin() != count - 1) {
      problems.push_back(fmt::format("topic {} has {} partition{} in {} but {} in the broker's {}", topic, count,
                                     count == 1 ? "" : "s", o.data_dir, broker_count, o.kafka_log_dir));
      continue;
    }
    for (int32_t p = 0; p < count; ++p) {
      TopicPartition tp{topic, p};
      const std::string metadata = o.kafka_log_dir + "/" + tp.DirName() + "/" + std::string(kPartitionMetadata);
      if (!IsRegularFile(metadata)) {
        problems.push_back(fmt::format("{} is missing (the broker writes it when it creates the topic)", metadata));
        continue;
      }
      selected.push_back(std::move(tp));
    }
  }
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    return Status::InvalidArgument(fmt::format("nothing exported: {}", all));
  }

  ASSIGN_OR_RETURN(OffsetMap starts,
                   ReadCheckpointFile(o.data_dir + "/" + std::string(kLogStartOffsetCheckpoint), io));
  const std::string recovery_path = o.kafka_log_dir + "/" + std::string(kRecoveryPointCheckpoint);
  const std::string start_path = o.kafka_log_dir + "/" + std::string(kLogStartOffsetCheckpoint);
  ASSIGN_OR_RETURN(OffsetMap broker_recovery, ReadCheckpointFile(recovery_path, io));
  ASSIGN_OR_RETURN(OffsetMap broker_starts, ReadCheckpointFile(start_path, io));
  std::vector<Plan> plans;
  for (const auto& tp : selected) {
    ASSIGN_OR_RETURN(Plan plan, PlanPartition(o, tp, starts, io));
    plans.push_back(std::move(plan));
  }

  // Every check passed: the changes, a partition at a time, its
  // checkpoint entries right after it (a failure part way leaves the
  // partitions done whole and the others as they were).
  for (Plan& plan : plans) {
    const std::string what = fmt::format("exporting {}", plan.tp.DirName());
    RETURN_IF_ERROR(ExportPartition(o, plan, io).Annotate(what));
    broker_recovery[plan.tp] = plan.report.log_end;
    broker_starts[plan.tp] = plan.report.log_start;
    RETURN_IF_ERROR(WriteCheckpointFile(recovery_path, broker_recovery, io).Annotate(what));
    RETURN_IF_ERROR(WriteCheckpointFile(start_path, broker_starts, io).Annotate(what));
    report.partitions.push_back(plan.report);
  }
  return report;
}

}  // namespace topicfs::store
