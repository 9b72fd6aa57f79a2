#include "store/manager/log_manager.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>


#include "store/io/atomic_file.h"
#include "store/manager/layout_migration.h"
#include "store/format/checkpoint_file.h"
#include "store/format/file_names.h"
#include "store/format/topic_name.h"

namespace topicfs::store {

LogManager::LogManager(Options options)
    : data_dir_(options.data_dir),
      clock_(options.clock),
      io_(options.io),
      options_(options),
      file_cache_(std::make_shared<FileCache>(options.max_open_files > 0
                                                  ? options.max_open_files
                                                  : FileCache::CapacityFromLimits())),
      scheduler_(std::make_unique<Scheduler>(
          options.clock, 0,
          [this](const std::string& task, const std::string& what) {
            ReportBackground(task, Status::IoError(0, fmt::format("threw: {}", what)));
          })),
      cleaner_(std::make_unique<LogCleaner>(
          options.data_dir + "/" + std::string(kCleanerOffsetCheckpoint), options.clock,
          options.cleaner)) {}

LogManager::~LogManager() {
  if (!closed_) (void)Close();
}

Result<std::unique_ptr<LogManager>> LogManager::Open(Options options) {
  int64_t interval = options.background_interval_ms;
  std::unique_ptr<LogManager> manager(new LogManager(std::move(options)));
  // A manager that failed to open owns nothing to flush or checkpoint: its
  // destructor must not write into a directory another process may hold.
  manager->closed_ = true;
  RETURN_IF_ERROR(manager->io_->MakeDir(manager->data_dir_).status());
  RETURN_IF_ERROR(manager->Lock());
  Status loaded = manager->LoadAll();
  if (!loaded.ok()) {
    manager->StopBackground();
    {
      // Opened partitions close without writing: nothing is trimmed or
      // checkpointed on the way out of a failed open.
      WriterLock lock(&manager->topics_mu_);
      for (auto& [name, t] : manager->topics_) {
        for (const auto& log : t.partitions) log->CloseWithoutFlush();
      }
      manager->topics_.clear();
    }
    manager->Unlock();
    return loaded;
  }
  manager->closed_ = false;
  if (interval > 0) manager->StartBackground(interval);
  return manager;
}

// The directory's locks (store/manager/data_dir_lock.h); what they could
// not fully take is told as a warning.
Status LogManager::Lock() {
  std::vector<std::string> warnings;
  ASSIGN_OR_RETURN(lock_, DataDirLock::Acquire(data_dir_, *io_, &warnings));
  for (auto& w : warnings) AddWarning(std::move(w));
  return Status::Ok();
}

Status LogManager::RecordLockOwner() { return lock_.RecordOwner(); }

void LogManager::Unlock() { lock_.Release(); }

std::string LogManager::TopicConfigPath(std::string_view topic) const {
  return fmt::format("{}/{}", data_dir_, TopicConfigFileName(topic));
}

Status LogManager::WriteTopicConfig(std::string_view topic, const ConfigOverrides& overrides) {
  return WriteConfigFile(TopicConfigPath(topic), overrides, *io_);
}

// A config file's overrides, if they parse and resolve over `defaults`.
Result<ConfigOverrides> LogManager::ReadResolvableConfig(const std::string& path,
                                                         const ConfigOverrides& defaults) const {
  ASSIGN_OR_RETURN(ConfigOverrides overrides, ReadConfigFile(path, *io_));
  RETURN_IF_ERROR(ResolveConfig(defaults, overrides).status().Annotate(path));
  return overrides;
}

Status LogManager::LoadAll() {
  WriterLock lock(&topics_mu_);
  bool moved = false;
  RETURN_IF_ERROR(MoveConfigsOutOfOldMetaDir(data_dir_, *io_, &moved));
  if (moved) {
    AddWarning(fmt::format("moved topicfs's configs out of {}/{} to the data directory's root "
                           "(a Kafka broker refuses a directory holding it)", data_dir_, kOldMetaDir));
  }

  // The marker goes at once: a crash while loading must count as unclean.
  std::string marker = data_dir_ + "/" + std::string(kCleanShutdownFile);
  had_clean_shutdown_ = ::access(marker.c_str(), F_OK) == 0;
  if (had_clean_shutdown_) {
    RETURN_IF_ERROR(io_->Remove(marker));
    RETURN_IF_ERROR(io_->SyncDir(data_dir_));
  }
  // Unreadable checkpoints mean "no checkpoint", as in Kafka: recovery then
  // starts from the first segment.
  auto rp = ReadCheckpointFile(data_dir_ + "/" + std::string(kRecoveryPointCheckpoint), *io_);
  if (rp.ok()) recovery_points_ = *rp;
  else AddWarning(rp.status().message());
  auto ls = ReadCheckpointFile(data_dir_ + "/" + std::string(kLogStartOffsetCheckpoint), *io_);
  if (ls.ok()) log_start_offsets_ = *ls;
  else AddWarning(ls.status().message());

  RETURN_IF_ERROR(cleaner_->Load());
  auto defaults = ReadResolvableConfig(data_dir_ + "/" + std::string(kDefaultsFile), {});
  if (!defaults.ok()) {
    // Every topic's effective config depends on them: none may be written
    // to or cleaned up on a guess.
    defaults_damaged_ = defaults.status().Annotate("data directory defaults");
    AddWarning(fmt::format("{}: every topic is read-only until it is fixed", defaults_damaged_.message()));
  } else {
    defaults_ = std::move(defaults).value();
  }

  // Topics: every config file, plus partition directories without one (a
  // Kafka log directory copied in), adopted with as many partitions as found.
  RETURN_IF_ERROR(FinishTopicDeletions());
  std::map<std::string, int32_t> partitions_seen;
  ASSIGN_OR_RETURN(auto names, io_->List(data_dir_));
  for (const auto& name : names) {
    if (IsDeletedPartitionDirName(name)) {
      RemoveDirectoryInBackground(data_dir_ + "/" + name);
      continue;
    }
    auto tp = ParsePartitionDirName(name);
    if (!tp) continue;
    // Only directories make partitions: a file of such a name is not
    // adopted as a topic (a configured topic's partition of that name is
    // then served offline, saying why).
    struct stat st {};
    if (::stat((data_dir_ + "/" + name).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      AddWarning(fmt::format("{}/{} is not a directory: not a partition", data_dir_, name));
      continue;
    }
    int32_t& count = partitions_seen[tp->topic];
    count = std::max(count, tp->partition + 1);
  }
  std::map<std::string, ConfigOverrides> topic_overrides;
  std::map<std::string, Status> damaged;
  for (const auto& name : names) {
    std::optional<std::string> config_of = TopicOfConfigFileName(name);
    if (!config_of) continue;
    const std::string& topic = *config_of;
    auto read = ReadResolvableConfig(TopicConfigPath(topic), defaults_);
    if (read.ok()) {
      topic_overrides[topic] = std::move(read).value();
      continue;
    }
    // Only this topic: served read-only, with the defaults and as many
    // partitions as it has directories.
    damaged[topic] = read.status();
    topic_overrides[topic] = {{"partitions", std::to_string(std::max(1, partitions_seen[topic]))}};
    AddWarning(fmt::format("topic {} is read-only: {}", topic, read.status().message()));
  }
  for (const auto& [topic, count] : partitions_seen) {
    if (topic_overrides.count(topic)) continue;
    ConfigOverrides adopted{{"partitions", std::to_string(count)}};
    RETURN_IF_ERROR(WriteTopicConfig(topic, adopted));
    topic_overrides[topic] = adopted;
  }

  for (auto& [topic, overrides] : topic_overrides) {
    ASSIGN_OR_RETURN(LogConfig config, ResolveConfig(defaults_, overrides));
    Topic t;
    ASSIGN_OR_RETURN(t.partitions, OpenPartitions(topic, 0, config, /*loading=*/true));
    t.overrides = std::move(overrides);
    t.config = config;
    if (auto it = damaged.find(topic); it != damaged.end()) t.read_only = it->second;
    else if (!defaults_damaged_.ok()) t.read_only = defaults_damaged_;
    if (!t.read_only.ok()) {
      for (const auto& log : t.partitions) log->SetReadOnly(t.read_only.message());
    }
    topics_.emplace(topic, std::move(t));
  }
  return Status::Ok();
}

Result<std::shared_ptr<Log>> LogManager::OpenLog(const std::string& topic, int32_t partition,
                                                 const LogConfig& config, bool loading) {
  TopicPartition tp{topic, partition};
  Log::Options o;
  o.dir = data_dir_ + "/" + tp.DirName();
  o.topic_partition = tp;
  o.config = config;
  // A partition missing from the checkpoint starts at 0, below any end it
  // has: the loader then validates all of it, clean shutdown or not.
  auto rp = recovery_points_.find(tp);
  o.recovery_point = rp == recovery_points_.end() ? Offset(0) : rp->second;
  auto ls = log_start_offsets_.find(tp);
  o.log_start_offset = ls == log_start_offsets_.end() ? Offset(0) : ls->second;
  o.had_clean_shutdown = had_clean_shutdown_;
  o.clock = clock_;
  o.io = io_;
  o.scheduler = scheduler_.get();
  o.file_cache = file_cache_.get();
  o.verify_reads = options_.verify_reads;
  o.producer_id_expiration_ms = options_.producer_id_expiration_ms;
  // A new partition that fails to open leaves nothing behind (what it made
  // of its directory goes with it); a loaded one leaves everything as found.
  const bool existed = ::access(o.dir.c_str(), F_OK) == 0;
  auto log = Log::Open(o);
  if (!log.ok()) {
    if (!loading) {
      if (!existed) (void)io_->RemoveTree(o.dir);
      return log.status();
    }
    // One partition that cannot be loaded is not a dead mount: it is served
    // offline (every read and write says why), and its files stay as found.
    AddWarning(fmt::format("partition {} is offline: {}", tp.DirName(), log.status().message()));
    return std::shared_ptr<Log>(Log::Offline(std::move(o), log.status()));
  }
  for (const auto& w : (*log)->warnings()) AddWarning(w);
  return std::shared_ptr<Log>(std::move(log).value());
}

void LogManager::AddWarning(std::string warning) {
  MutexLock lock(&warnings_mu_);
  warnings_.push_back(std::move(warning));
}

Result<std::vector<std::shared_ptr<Log>>> LogManager::OpenPartitions(const std::string& topic,
                                                                     int32_t from,
                                                                     const LogConfig& config,
                                                                     bool loading) {
  std::vector<std::shared_ptr<Log>> opened;
  for (int32_t p = from; p < config.partitions; ++p) {
    auto log = OpenLog(topic, p, config, loading);
    if (!log.ok()) {
      DiscardPartitions(opened);
      return log.status().Annotate(fmt::format("topic '{}': creating partition {} of {}", topic, p,
                                               config.partitions));
    }
    opened.push_back(std::move(log).value());
  }
  return opened;
}

void LogManager::DiscardPartitions(const std::vector<std::shared_ptr<Log>>& logs) {
  for (const auto& log : logs) {
    log->CloseWithoutFlush();
    // Only what this attempt made: a directory that was there before keeps
    // whatever it held.
    if (log->created_directory()) (void)io_->RemoveTree(log->dir());
  }
  if (!logs.empty()) (void)io_->SyncDir(data_dir_);
}

// REQUIRES: topics_mu_ held exclusively. Checks what a new set of overrides
// makes of the topic and opens the partitions it adds (all or none), without
// changing the topic yet.
Result<LogManager::TopicChange> LogManager::PrepareTopicChange(const std::string& topic, const Topic& t,
                                                               ConfigOverrides overrides) {
  if (!t.read_only.ok()) return Status::ReadOnly(fmt::format("topic '{}': {}", topic, t.read_only.message()));
  ASSIGN_OR_RETURN(LogConfig config, ResolveConfig(defaults_, overrides));
  if (config.partitions < static_cast<int32_t>(t.partitions.size())) {
    return Status::InvalidArgument(fmt::format("partitions of topic '{}' can only grow: it has {}, asked for {}",
                                               topic, t.partitions.size(), config.partitions));
  }
  TopicChange change;
  ASSIGN_OR_RETURN(change.added, OpenPartitions(topic, static_cast<int32_t>(t.partitions.size()), config,
                                                /*loading=*/false));
  change.overrides = std::move(overrides);
  change.config = config;
  return change;
}

// REQUIRES: topics_mu_ held exclusively. The change is persisted, then
// applied; if it cannot be persisted, the partitions it opened go again.
Status LogManager::CommitTopicChange(const std::string& topic, Topic& t, TopicChange change) {
  Status written = WriteTopicConfig(topic, change.overrides);
  if (!written.ok()) {
    DiscardPartitions(change.added);
    return written;
  }
  for (auto& log : change.added) t.partitions.push_back(std::move(log));
  for (const auto& log : t.partitions) log->UpdateConfig(change.config);
  t.overrides = std::move(change.overrides);
  t.config = change.config;
  return Status::Ok();
}

std::vector<std::string> LogManager::warnings() const {
  MutexLock lock(&warnings_mu_);
  return warnings_;
}

std::vector<std::string> LogManager::ListTopics() const {
  ReaderLock lock(&topics_mu_);
  std::vector<std::string> names;
  for (const auto& [name, t] : topics_) names.push_back(name);
  return names;
}

bool LogManager::TopicExists(std::string_view topic) const {
  ReaderLock lock(&topics_mu_);
  return topics_.find(topic) != topics_.end();
}

Status LogManager::CreateTopic(std::string_view topic, const ConfigOverrides& overrides) {
  RETURN_IF_ERROR(ValidateTopicName(topic));
  WriterLock lock(&topics_mu_);
  for (const auto& [name, t] : topics_) {
    if (name == topic) return Status::AlreadyExists(fmt::format("topic '{}' exists", topic));
    if (TopicNamesCollide(name, topic)) {
      return Status::AlreadyExists(
          fmt::format("topic '{}' collides with existing topic '{}' ('.' and '_' collide)", topic, name));
    }
  }
  if (!defaults_damaged_.ok()) return Status::ReadOnly(defaults_damaged_.message());
  ASSIGN_OR_RETURN(LogConfig config, ResolveConfig(defaults_, overrides));
  // The partition count is pinned at creation so a later change of the
  // default does not resize existing topics.
  ConfigOverrides stored = overrides;
  stored["partitions"] = std::to_string(config.partitions);
  std::string name(topic);
  Topic t;
  ASSIGN_OR_RETURN(TopicChange change, PrepareTopicChange(name, t, std::move(stored)));
  Status committed = CommitTopicChange(name, t, std::move(change));
  if (!committed.ok()) {
    if (io_->Remove(TopicConfigPath(name)).ok()) (void)io_->SyncDir(data_dir_);
    return committed;
  }
  topics_.emplace(name, std::move(t));
  return Status::Ok();
}

Status LogManager::EnsureInternalTopic(std::string_view topic, const ConfigOverrides& forced) {
  if (!IsInternalTopic(topic)) {
    return Status::InvalidArgument(fmt::format("'{}' is not an internal topic name (no '__' prefix)", topic));
  }
  Status created = CreateTopic(topic, forced);
  // Another caller may have created it first; a collision with another
  // name ('.' vs '_') is still an error.
  if (created.code() == Code::kAlreadyExists && TopicExists(topic)) return Status::Ok();
  return created;
}

Status LogManager::DeleteTopic(std::string_view topic) {
  WriterLock lock(&topics_mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return Status::NotFound(fmt::format("no topic '{}'", topic));
  // The commit point is the topic's config file going, after a marker
  // naming the topic was written: before, the topic is whole (the next open
  // finds its config and drops the marker); after, the next open finishes
  // the deletion (FinishTopicDeletions) whatever a crash left, and nothing
  // brings the topic back.
  const std::string marker = fmt::format("{}/{}", data_dir_, DeletingMarkerName());
  RETURN_IF_ERROR(WriteFileAtomically(marker, topic, *io_));
  if (Status removed = io_->Remove(TopicConfigPath(topic)); !removed.ok()) {
    (void)io_->Remove(marker);
    return removed;
  }
  Status synced = io_->SyncDir(data_dir_);
  // What a crash while its config was rewritten may have left.
  (void)io_->Remove(StagingPathFor(TopicConfigPath(topic)));
  for (const auto& log : it->second.partitions) {
    log->CloseWithoutFlush();
    cleaner_->Forget(log->topic_partition());
    // A topic created again under this name starts from nothing.
    recovery_points_.erase(log->topic_partition());
    log_start_offsets_.erase(log->topic_partition());
  }
  topics_.erase(it);
  RETURN_IF_ERROR(RemovePartitionDirectories(topic));
  RETURN_IF_ERROR(io_->SyncDir(data_dir_));
  // The partitions' renames are durable: the marker has nothing left to
  // finish (one a crash keeps is dropped at the next open).
  (void)io_->Remove(marker);
  return synced;
}

// Every <topic>-<n> directory on disk, whether the topic knew it or a
// failed partition creation left it, renamed out of the way and removed in
// the background.
Status LogManager::RemovePartitionDirectories(std::string_view topic) {
  ASSIGN_OR_RETURN(auto names, io_->List(data_dir_));
  Status first;
  for (const auto& name : names) {
    auto tp = ParsePartitionDirName(name);
    if (!tp || tp->topic != topic) continue;
    const std::string dir = data_dir_ + "/" + name;
    const std::string doomed = DeleteDirName(dir);
    Status renamed = io_->Rename(dir, doomed);
    if (renamed.ok()) RemoveDirectoryInBackground(doomed);
    else if (first.ok()) first = renamed;
  }
  return first;
}

// Deletions a crash interrupted: a ~<id>.deleting file names its topic.
// Without the topic's config the deletion had committed: the topic's
// partition directories go, then the marker. With it, the deletion had not
// committed (or the topic was created again since): only the marker goes.
Status LogManager::FinishTopicDeletions() {
  ASSIGN_OR_RETURN(auto names, io_->List(data_dir_));
  for (const auto& name : names) {
    if (!IsDeletingMarkerName(name)) continue;
    const std::string marker = data_dir_ + "/" + name;
    auto topic = ReadSmallFile(marker, *io_);
    if (topic.ok() && ValidateTopicName(*topic).ok() && ::access(TopicConfigPath(*topic).c_str(), F_OK) != 0) {
      RETURN_IF_ERROR(RemovePartitionDirectories(*topic));
      RETURN_IF_ERROR(io_->SyncDir(data_dir_));
      AddWarning(fmt::format("finished deleting topic {}", *topic));
    }
    (void)io_->Remove(marker);
  }
  return Status::Ok();
}

std::string LogManager::DeleteDirName(const std::string& dir) const {
  return fmt::format("{}/{}", data_dir_, DeletedPartitionDirName(dir.substr(data_dir_.size() + 1)));
}

void LogManager::RemoveDirectoryInBackground(std::string path) {
  MutexLock lock(&background_mu_);
  deleters_.emplace_back([this, path = std::move(path)] { (void)io_->RemoveTree(path); });
}

Result<int32_t> LogManager::PartitionCount(std::string_view topic) const {
  ReaderLock lock(&topics_mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return Status::NotFound(fmt::format("no topic '{}'", topic));
  return static_cast<int32_t>(it->second.partitions.size());
}

std::shared_ptr<Log> LogManager::GetLog(std::string_view topic, int32_t partition) const {
  ReaderLock lock(&topics_mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end() || partition < 0 ||
      partition >= static_cast<int32_t>(it->second.partitions.size())) {
    return nullptr;
  }
  return it->second.partitions[partition];
}

std::vector<std::shared_ptr<Log>> LogManager::AllLogs() const {
  ReaderLock lock(&topics_mu_);
  std::vector<std::shared_ptr<Log>> logs;
  for (const auto& [name, t] : topics_) logs.insert(logs.end(), t.partitions.begin(), t.partitions.end());
  return logs;
}

ConfigOverrides LogManager::DefaultOverrides() const {
  ReaderLock lock(&topics_mu_);
  return defaults_;
}

Status LogManager::ApplyDefaults(ConfigOverrides defaults) {
  if (!defaults_damaged_.ok()) return Status::ReadOnly(defaults_damaged_.message());
  // Every topic must still resolve under the new defaults, or nothing changes.
  std::map<std::string, LogConfig> resolved;
  for (const auto& [name, t] : topics_) {
    ASSIGN_OR_RETURN(resolved[name], ResolveConfig(defaults, t.overrides));
  }
  RETURN_IF_ERROR(ResolveConfig(defaults, {}).status());
  RETURN_IF_ERROR(WriteConfigFile(data_dir_ + "/" + std::string(kDefaultsFile), defaults, *io_));
  defaults_ = std::move(defaults);
  for (auto& [name, t] : topics_) {
    t.config = resolved[name];
    for (const auto& log : t.partitions) log->UpdateConfig(t.config);
  }
  return Status::Ok();
}

Status LogManager::SetDefault(std::string_view name, std::string_view value) {
  RETURN_IF_ERROR(ValidateConfigValue(name, value));
  WriterLock lock(&topics_mu_);
  ConfigOverrides defaults = defaults_;
  defaults[std::string(name)] = std::string(value);
  return ApplyDefaults(std::move(defaults));
}

Status LogManager::RemoveDefault(std::string_view name) {
  if (!IsConfigName(name)) return Status::NotFound(fmt::format("unknown config '{}'", name));
  WriterLock lock(&topics_mu_);
  ConfigOverrides defaults = defaults_;
  if (defaults.erase(std::string(name)) == 0) {
    return Status::NotFound(fmt::format("default '{}' is not set", name));
  }
  return ApplyDefaults(std::move(defaults));
}

Result<ConfigOverrides> LogManager::TopicOverrides(std::string_view topic) const {
  ReaderLock lock(&topics_mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return Status::NotFound(fmt::format("no topic '{}'", topic));
  return it->second.overrides;
}

Result<LogConfig> LogManager::TopicConfig(std::string_view topic) const {
  ReaderLock lock(&topics_mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return Status::NotFound(fmt::format("no topic '{}'", topic));
  return it->second.config;
}

Status LogManager::SetTopicConfig(std::string_view topic, std::string_view name,
                                  std::string_view value) {
  RETURN_IF_ERROR(ValidateConfigValue(name, value));
  WriterLock lock(&topics_mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return Status::NotFound(fmt::format("no topic '{}'", topic));
  ConfigOverrides overrides = it->second.overrides;
  overrides[std::string(name)] = std::string(value);
  // Checked, and new partitions opened, before anything is persisted: a
  // refused value changes nothing on disk.
  ASSIGN_OR_RETURN(TopicChange change, PrepareTopicChange(it->first, it->second, std::move(overrides)));
  return CommitTopicChange(it->first, it->second, std::move(change));
}

Status LogManager::RemoveTopicConfig(std::string_view topic, std::string_view name) {
  if (!IsConfigName(name)) return Status::NotFound(fmt::format("unknown config '{}'", name));
  if (name == "partitions") {
    // Pinned per topic at creation, so the defaults never resize a topic.
    return Status::InvalidArgument(fmt::format(
        "partitions of topic '{}' cannot be removed, only raised", topic));
  }
  WriterLock lock(&topics_mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return Status::NotFound(fmt::format("no topic '{}'", topic));
  ConfigOverrides overrides = it->second.overrides;
  if (overrides.erase(std::string(name)) == 0) {
    return Status::NotFound(fmt::format("'{}' is not set on topic '{}'", name, topic));
  }
  ASSIGN_OR_RETURN(TopicChange change, PrepareTopicChange(it->first, it->second, std::move(overrides)));
  return CommitTopicChange(it->first, it->second, std::move(change));
}

Status LogManager::FlushDueLogs() {
  Status first;
  for (const auto& log : AllLogs()) {
    Status s = log->FlushIfDue();
    if (first.ok()) first = s;
  }
  return first;
}

Result<Offset> LogManager::DeleteRecords(std::string_view topic, int32_t partition, Offset offset) {
  std::shared_ptr<Log> log = GetLog(topic, partition);
  if (log == nullptr) return Status::NotFound(fmt::format("no partition {}-{}", topic, partition));
  ASSIGN_OR_RETURN(Offset start, log->DeleteRecordsBefore(offset));
  RETURN_IF_ERROR(WriteCheckpoints());
  return start;
}

Status LogManager::WriteCheckpoints() {
  MutexLock lock(&checkpoint_mu_);
  OffsetMap recovery, start;
  for (const auto& log : AllLogs()) {
    recovery[log->topic_partition()] = log->CheckpointedRecoveryPoint();
    start[log->topic_partition()] = log->log_start_offset();
  }
  RETURN_IF_ERROR(WriteCheckpointFile(data_dir_ + "/" + std::string(kRecoveryPointCheckpoint), recovery, *io_));
  return WriteCheckpointFile(data_dir_ + "/" + std::string(kLogStartOffsetCheckpoint), start, *io_);
}

// Every background pass reports how it went: a failure is told at once, and
// again if it changes or a minute later if it persists, and its end is told
// too; so a failing flush every second is one line a minute, not sixty.
void LogManager::ReportBackground(std::string_view task, const Status& s) {
  if (!options_.background_warning) return;
  std::string told;
  {
    MutexLock lock(&background_mu_);
    const int64_t now = clock_->MonotonicMs();
    auto it = background_failures_.find(task);
    if (s.ok()) {
      if (it == background_failures_.end()) return;
      background_failures_.erase(it);
      told = fmt::format("{}: works again", task);
    } else {
      std::string message = s.ToString();
      if (it != background_failures_.end() && it->second.first == message &&
          now - it->second.second < 60'000) {
        return;
      }
      background_failures_[std::string(task)] = {message, now};
      told = fmt::format("{} failed: {}", task, message);
    }
  }
  options_.background_warning(told);
}

void LogManager::TellPass(std::string_view task, const std::string& what) {
  {
    MutexLock lock(&background_mu_);
    auto it = passes_.find(task);
    if (it != passes_.end()) {
      it->second.last_run_ms = clock_->Now().value;
      it->second.next_run_ms = it->second.last_run_ms + it->second.interval_ms;
      it->second.last_result = what;
    }
  }
  if (options_.background_pass) options_.background_pass(what);
}

std::vector<LogManager::PassFigures> LogManager::BackgroundPasses() const {
  MutexLock lock(&background_mu_);
  std::vector<PassFigures> out;
  for (const auto& [task, figures] : passes_) out.push_back(figures);
  return out;
}

void LogManager::StartBackground(int64_t interval_ms) {
  {
    MutexLock lock(&background_mu_);
    const int64_t now = clock_->Now().value;
    for (auto [task, interval] : {std::pair<const char*, int64_t>{"retention", options_.retention_check_interval_ms},
                                  {"cleaner", options_.cleaner_backoff_ms}}) {
      passes_[task] = PassFigures{task, interval, 0, now + interval, ""};
    }
  }
  scheduler_->Start(options_.background_threads);
  // A failed pass is retried at the next period; the daemon logs why.
  scheduler_->SchedulePeriodic("flush", interval_ms, interval_ms,
                               [this] { ReportBackground("flush", FlushDueLogs()); });
  // Not every second: a checkpoint's fsync makes the journal write out
  // appended data too.
  scheduler_->SchedulePeriodic("checkpoint", options_.checkpoint_interval_ms,
                               options_.checkpoint_interval_ms,
                               [this] { ReportBackground("checkpoint", WriteCheckpoints()); });
  scheduler_->SchedulePeriodic("retention", options_.retention_check_interval_ms,
                               options_.retention_check_interval_ms, [this] {
                                 Result<int> r = RunRetention();
                                 TellPass("retention",
                                          r.ok() ? fmt::format("retention pass: {} segments deleted", *r)
                                                 : "retention pass failed: " + r.status().ToString());
                                 ReportBackground("retention", r.status());
                               });
  scheduler_->SchedulePeriodic("producer-expiration", options_.producer_id_expiration_check_interval_ms,
                               options_.producer_id_expiration_check_interval_ms, [this] {
                                 const size_t removed = RemoveExpiredProducers();
                                 if (removed > 0) {
                                   TellPass("producer-expiration",
                                            fmt::format("{} expired producer ids forgotten", removed));
                                 }
                               });
  // Retention taking a segment of the group being cleaned aborts the
  // cleaning ("cleaning aborted"); the next pass starts over.
  scheduler_->SchedulePeriodic("cleaner", options_.cleaner_backoff_ms, options_.cleaner_backoff_ms, [this] {
    Result<std::optional<CleanResult>> r = RunCleaner();
    if (!r.ok()) {
      TellPass("cleaner", "cleaner pass failed: " + r.status().ToString());
    } else if (!r->has_value()) {
      TellPass("cleaner", "cleaner pass: no log to clean");
    } else {
      const CleanResult& c = **r;
      TellPass("cleaner", fmt::format("cleaner pass: {} segments from offset {} to {}: {} of {} records kept, "
                           "{} bytes read, {} written",
                           c.segments_cleaned, c.first_dirty.value, c.end_offset.value, c.records_kept,
                           c.records_read, c.bytes_read, c.bytes_written));
    }
    ReportBackground("cleaner", r.status());
  });
}

Result<int> LogManager::RunRetention() {
  int deleted = 0;
  Status first;
  for (const auto& log : AllLogs()) {
    auto n = log->DeleteOldSegments();
    if (n.ok()) {
      deleted += *n;
    } else if (first.ok()) {
      first = n.status();
    }
  }
  if (deleted > 0) RETURN_IF_ERROR(WriteCheckpoints());
  if (!first.ok()) return first;
  return deleted;
}

size_t LogManager::RemoveExpiredProducers() {
  size_t removed = 0;
  for (const auto& log : AllLogs()) removed += log->RemoveExpiredProducers();
  return removed;
}

Result<std::optional<CleanResult>> LogManager::RunCleaner() {
  return cleaner_->CleanFilthiest(AllLogs());
}

void LogManager::StopBackground() {
  scheduler_->Shutdown();
  std::vector<std::thread> deleters;
  {
    MutexLock lock(&background_mu_);
    deleters.swap(deleters_);
  }
  for (auto& t : deleters) t.join();
}

Status LogManager::Close() {
  if (closed_) return Status::Ok();
  closed_ = true;
  StopBackground();
  Status first;
  bool all_clean = true;
  const auto logs = AllLogs();
  for (const auto& log : logs) {
    // A fenced log had a failed write or fsync: only recovery may trust it.
    // An offline one was never loaded: its checkpoint values, kept as they
    // were, make the next open validate it wherever it may need it.
    if (log->fenced() && log->offline().ok()) all_clean = false;
    // Files are closed unsynced, then one syncfs makes all of them durable
    // (thousands of partitions would take three fsyncs each).
    Status s = log->Close(/*sync_files=*/false);
    if (!s.ok()) all_clean = false;
    if (first.ok()) first = s;
  }
  Status synced = io_->SyncFilesystem(data_dir_);
  if (synced.ok()) {
    for (const auto& log : logs) log->RecordSyncedAtClose();
  } else {
    all_clean = false;
    if (first.ok()) first = synced;
  }
  Status cp = WriteCheckpoints();
  if (first.ok()) first = cp;
  if (all_clean && cp.ok()) {
    Status marker = WriteFileAtomically(data_dir_ + "/" + std::string(kCleanShutdownFile),
                                        "{\"version\":0,\"brokerEpoch\":0}", *io_);
    if (first.ok()) first = marker;
  }
  {
    WriterLock lock(&topics_mu_);
    topics_.clear();
  }
  Unlock();
  return first;
}

}  // namespace topicfs::store
