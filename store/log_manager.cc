#include "store/log_manager.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <random>

#include "store/atomic_file.h"
#include "store/checkpoint_file.h"
#include "store/file_names.h"
#include "store/topic_name.h"

namespace topicfs::store {
namespace {

constexpr std::string_view kMetaDir = ".topicfs";
constexpr std::string_view kTopicsDir = ".topicfs/topics";
constexpr std::string_view kDefaultsFile = ".topicfs/defaults.properties";
// A topic's config is <topics dir>/<topic>/config.properties: a directory
// per topic keeps the file name short for the longest (249-character) names.
constexpr std::string_view kTopicConfigFile = "config.properties";
constexpr std::string_view kDeleteDirSuffix = "-delete";

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return Status::FromErrno("mkdir", path);
  return Status::Ok();
}

// "<topic>-<partition>": split at the last '-', the partition a number.
std::optional<TopicPartition> ParsePartitionDir(std::string_view name) {
  size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  int32_t partition = 0;
  const char* first = name.data() + dash + 1;
  const char* last = name.data() + name.size();
  auto [ptr, ec] = std::from_chars(first, last, partition);
  if (ec != std::errc() || ptr != last || partition < 0) return std::nullopt;
  std::string topic(name.substr(0, dash));
  if (!ValidateTopicName(topic).ok()) return std::nullopt;
  return TopicPartition{topic, partition};
}

Result<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Status::FromErrno("opendir", dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(d);
  return names;
}

std::string RandomHex32() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  return fmt::format("{:016x}{:016x}", gen(), gen());
}

}  // namespace

LogManager::LogManager(Options options)
    : data_dir_(options.data_dir),
      clock_(options.clock),
      io_(options.io),
      options_(options),
      scheduler_(std::make_unique<Scheduler>(options.clock, 0)),
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
  RETURN_IF_ERROR(MakeDir(manager->data_dir_));
  RETURN_IF_ERROR(manager->Lock());
  Status loaded = manager->LoadAll();
  if (!loaded.ok()) {
    manager->StopBackground();
    ::close(manager->lock_fd_);
    return loaded;
  }
  manager->closed_ = false;
  if (interval > 0) manager->StartBackground(interval);
  return manager;
}

Status LogManager::Lock() {
  std::string path = data_dir_ + "/" + std::string(kLockFile);
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return Status::FromErrno("open", path);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    char pid[32] = {};
    ssize_t n = ::pread(lock_fd_, pid, sizeof(pid) - 1, 0);
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (e != EWOULDBLOCK) return Status::IoError(e, "flock " + path + ": " + Status::ErrnoName(e));
    std::string holder = n > 0 ? fmt::format(" (pid {})", std::string_view(pid).substr(0, n - (pid[n - 1] == '\n'))) : "";
    return Status::Busy(fmt::format("data directory {} is in use by another process{}", data_dir_, holder));
  }
  std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(lock_fd_, 0) != 0 || ::pwrite(lock_fd_, pid.data(), pid.size(), 0) < 0) {
    return Status::FromErrno("write", path);
  }
  return Status::Ok();
}

std::string LogManager::TopicConfigPath(std::string_view topic) const {
  return fmt::format("{}/{}/{}/{}", data_dir_, kTopicsDir, topic, kTopicConfigFile);
}

Status LogManager::WriteTopicConfig(std::string_view topic, const ConfigOverrides& overrides) {
  RETURN_IF_ERROR(MakeDir(fmt::format("{}/{}/{}", data_dir_, kTopicsDir, topic)));
  return WriteConfigFile(TopicConfigPath(topic), overrides);
}

Status LogManager::DeleteTopicConfigFile(std::string_view topic) {
  // The whole directory: a crash may have left a config.properties.tmp.
  std::string dir = fmt::format("{}/{}/{}", data_dir_, kTopicsDir, topic);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) return Status::IoError(ec.value(), fmt::format("remove {}: {}", dir, ec.message()));
  return Status::Ok();
}

Status LogManager::LoadAll() {
  RETURN_IF_ERROR(MakeDir(data_dir_ + "/" + std::string(kMetaDir)));
  RETURN_IF_ERROR(MakeDir(data_dir_ + "/" + std::string(kTopicsDir)));

  // The marker goes at once: a crash while loading must count as unclean.
  std::string marker = data_dir_ + "/" + std::string(kCleanShutdownFile);
  had_clean_shutdown_ = ::access(marker.c_str(), F_OK) == 0;
  if (had_clean_shutdown_) {
    if (::unlink(marker.c_str()) != 0) return Status::FromErrno("unlink", marker);
    RETURN_IF_ERROR(SyncDirectory(data_dir_));
  }
  // Unreadable checkpoints mean "no checkpoint", as in Kafka: recovery then
  // starts from the first segment.
  auto rp = ReadCheckpointFile(data_dir_ + "/" + std::string(kRecoveryPointCheckpoint));
  if (rp.ok()) recovery_points_ = *rp;
  else warnings_.push_back(rp.status().message());
  auto ls = ReadCheckpointFile(data_dir_ + "/" + std::string(kLogStartOffsetCheckpoint));
  if (ls.ok()) log_start_offsets_ = *ls;
  else warnings_.push_back(ls.status().message());

  RETURN_IF_ERROR(cleaner_->Load());
  ASSIGN_OR_RETURN(defaults_, ReadConfigFile(data_dir_ + "/" + std::string(kDefaultsFile)));
  RETURN_IF_ERROR(ResolveConfig(defaults_, {}).status().Annotate("data directory defaults"));

  // Topics: every config file, plus partition directories without one (a
  // Kafka log directory copied in), adopted with as many partitions as found.
  std::map<std::string, int32_t> partitions_seen;
  ASSIGN_OR_RETURN(auto names, ListDir(data_dir_));
  for (const auto& name : names) {
    if (name.size() > kDeleteDirSuffix.size() && name.ends_with(kDeleteDirSuffix)) {
      RemoveDirectoryInBackground(data_dir_ + "/" + name);
      continue;
    }
    auto tp = ParsePartitionDir(name);
    if (!tp) continue;
    int32_t& count = partitions_seen[tp->topic];
    count = std::max(count, tp->partition + 1);
  }
  ASSIGN_OR_RETURN(auto config_files, ListDir(data_dir_ + "/" + std::string(kTopicsDir)));
  std::map<std::string, ConfigOverrides> topic_overrides;
  for (const auto& topic : config_files) {
    if (!ValidateTopicName(topic).ok() || ::access(TopicConfigPath(topic).c_str(), F_OK) != 0) continue;
    ASSIGN_OR_RETURN(topic_overrides[topic], ReadConfigFile(TopicConfigPath(topic)));
  }
  for (const auto& [topic, count] : partitions_seen) {
    if (topic_overrides.count(topic)) continue;
    ConfigOverrides adopted{{"partitions", std::to_string(count)}};
    RETURN_IF_ERROR(WriteTopicConfig(topic, adopted));
    topic_overrides[topic] = adopted;
  }

  std::unique_lock lock(topics_mu_);
  for (auto& [topic, overrides] : topic_overrides) {
    Topic t;
    RETURN_IF_ERROR(ApplyTopicOverrides(topic, t, std::move(overrides)));
    topics_.emplace(topic, std::move(t));
  }
  return Status::Ok();
}

Result<std::shared_ptr<Log>> LogManager::OpenLog(const std::string& topic, int32_t partition,
                                                 const LogConfig& config) {
  TopicPartition tp{topic, partition};
  Log::Options o;
  o.dir = data_dir_ + "/" + tp.DirName();
  o.topic_partition = tp;
  o.config = config;
  auto rp = recovery_points_.find(tp);
  o.recovery_point = rp == recovery_points_.end() ? Offset(0) : rp->second;
  auto ls = log_start_offsets_.find(tp);
  o.log_start_offset = ls == log_start_offsets_.end() ? Offset(0) : ls->second;
  o.had_clean_shutdown = had_clean_shutdown_;
  o.clock = clock_;
  o.io = io_;
  o.scheduler = scheduler_.get();
  ASSIGN_OR_RETURN(auto log, Log::Open(std::move(o)));
  {
    std::lock_guard lock(warnings_mu_);
    for (const auto& w : log->warnings()) warnings_.push_back(w);
  }
  return std::shared_ptr<Log>(std::move(log));
}

// REQUIRES: topics_mu_ held exclusively. Resolves, opens partitions up to the
// configured count, and pushes the config to every open log.
Status LogManager::ApplyTopicOverrides(const std::string& topic, Topic& t,
                                       ConfigOverrides overrides) {
  ASSIGN_OR_RETURN(LogConfig config, ResolveConfig(defaults_, overrides));
  if (config.partitions < static_cast<int32_t>(t.partitions.size())) {
    return Status::InvalidArgument(fmt::format("partitions of topic '{}' can only grow: it has {}, asked for {}",
                                               topic, t.partitions.size(), config.partitions));
  }
  for (int32_t p = static_cast<int32_t>(t.partitions.size()); p < config.partitions; ++p) {
    ASSIGN_OR_RETURN(auto log, OpenLog(topic, p, config));
    t.partitions.push_back(std::move(log));
  }
  for (const auto& log : t.partitions) log->UpdateConfig(config);
  t.overrides = std::move(overrides);
  t.config = config;
  return Status::Ok();
}

std::vector<std::string> LogManager::warnings() const {
  std::lock_guard lock(warnings_mu_);
  return warnings_;
}

std::vector<std::string> LogManager::ListTopics() const {
  std::shared_lock lock(topics_mu_);
  std::vector<std::string> names;
  for (const auto& [name, t] : topics_) names.push_back(name);
  return names;
}

bool LogManager::TopicExists(std::string_view topic) const {
  std::shared_lock lock(topics_mu_);
  return topics_.find(topic) != topics_.end();
}

Status LogManager::CreateTopic(std::string_view topic, const ConfigOverrides& overrides) {
  RETURN_IF_ERROR(ValidateTopicName(topic));
  std::unique_lock lock(topics_mu_);
  for (const auto& [name, t] : topics_) {
    if (name == topic) return Status::AlreadyExists(fmt::format("topic '{}' exists", topic));
    if (TopicNamesCollide(name, topic)) {
      return Status::AlreadyExists(
          fmt::format("topic '{}' collides with existing topic '{}' ('.' and '_' collide)", topic, name));
    }
  }
  ASSIGN_OR_RETURN(LogConfig config, ResolveConfig(defaults_, overrides));
  // The partition count is pinned at creation so a later change of the
  // default does not resize existing topics.
  ConfigOverrides stored = overrides;
  stored["partitions"] = std::to_string(config.partitions);
  std::string name(topic);
  RETURN_IF_ERROR(WriteTopicConfig(name, stored));
  Topic t;
  Status s = ApplyTopicOverrides(name, t, std::move(stored));
  if (!s.ok()) {
    (void)DeleteTopicConfigFile(name);
    return s;
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
  {
    std::unique_lock lock(topics_mu_);
    auto it = topics_.find(topic);
    if (it == topics_.end()) return Status::NotFound(fmt::format("no topic '{}'", topic));
    // Partition directories are renamed out of the way first (a crash then
    // leaves "-delete" directories, removed at the next open, never data to
    // adopt); if one rename fails, the others are put back and nothing changed.
    std::vector<std::pair<std::string, std::string>> renamed;
    for (const auto& log : it->second.partitions) {
      std::string dir = log->dir();
      std::string doomed = DeleteDirName(dir);
      if (::rename(dir.c_str(), doomed.c_str()) != 0) {
        Status failed = Status::FromErrno("rename", dir);
        for (const auto& [from, to] : renamed) (void)::rename(to.c_str(), from.c_str());
        return failed;
      }
      renamed.emplace_back(dir, doomed);
    }
    for (const auto& log : it->second.partitions) {
      log->CloseWithoutFlush();
      cleaner_->Forget(log->topic_partition());
      // A topic created again under this name starts from nothing.
      recovery_points_.erase(log->topic_partition());
      log_start_offsets_.erase(log->topic_partition());
    }
    topics_.erase(it);
    for (const auto& [from, to] : renamed) RemoveDirectoryInBackground(to);
    RETURN_IF_ERROR(DeleteTopicConfigFile(topic));
  }
  return SyncDirectory(data_dir_);
}

// "<dir>.<32 hex>-delete", the partition directory's own name shortened so
// the whole name fits 255 bytes, as Kafka does.
std::string LogManager::DeleteDirName(const std::string& dir) const {
  constexpr size_t kMaxName = 255;
  std::string suffix = fmt::format(".{}{}", RandomHex32(), kDeleteDirSuffix);
  std::string name = dir.substr(data_dir_.size() + 1);
  name = name.substr(0, std::min(name.size(), kMaxName - suffix.size()));
  return fmt::format("{}/{}{}", data_dir_, name, suffix);
}

void LogManager::RemoveDirectoryInBackground(std::string path) {
  std::lock_guard lock(background_mu_);
  deleters_.emplace_back([path = std::move(path)] {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  });
}

Result<int32_t> LogManager::PartitionCount(std::string_view topic) const {
  std::shared_lock lock(topics_mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return Status::NotFound(fmt::format("no topic '{}'", topic));
  return static_cast<int32_t>(it->second.partitions.size());
}

std::shared_ptr<Log> LogManager::GetLog(std::string_view topic, int32_t partition) const {
  std::shared_lock lock(topics_mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end() || partition < 0 ||
      partition >= static_cast<int32_t>(it->second.partitions.size())) {
    return nullptr;
  }
  return it->second.partitions[partition];
}

std::vector<std::shared_ptr<Log>> LogManager::AllLogs() const {
  std::shared_lock lock(topics_mu_);
  std::vector<std::shared_ptr<Log>> logs;
  for (const auto& [name, t] : topics_) logs.insert(logs.end(), t.partitions.begin(), t.partitions.end());
  return logs;
}

ConfigOverrides LogManager::DefaultOverrides() const {
  std::shared_lock lock(topics_mu_);
  return defaults_;
}

Status LogManager::ApplyDefaults(ConfigOverrides defaults) {
  // Every topic must still resolve under the new defaults, or nothing changes.
  std::map<std::string, LogConfig> resolved;
  for (const auto& [name, t] : topics_) {
    ASSIGN_OR_RETURN(resolved[name], ResolveConfig(defaults, t.overrides));
  }
  RETURN_IF_ERROR(ResolveConfig(defaults, {}).status());
  RETURN_IF_ERROR(WriteConfigFile(data_dir_ + "/" + std::string(kDefaultsFile), defaults));
  defaults_ = std::move(defaults);
  for (auto& [name, t] : topics_) {
    t.config = resolved[name];
    for (const auto& log : t.partitions) log->UpdateConfig(t.config);
  }
  return Status::Ok();
}

Status LogManager::SetDefault(std::string_view name, std::string_view value) {
  RETURN_IF_ERROR(ValidateConfigValue(name, value));
  std::unique_lock lock(topics_mu_);
  ConfigOverrides defaults = defaults_;
  defaults[std::string(name)] = std::string(value);
  return ApplyDefaults(std::move(defaults));
}

Status LogManager::RemoveDefault(std::string_view name) {
  if (!IsConfigName(name)) return Status::NotFound(fmt::format("unknown config '{}'", name));
  std::unique_lock lock(topics_mu_);
  ConfigOverrides defaults = defaults_;
  if (defaults.erase(std::string(name)) == 0) {
    return Status::NotFound(fmt::format("default '{}' is not set", name));
  }
  return ApplyDefaults(std::move(defaults));
}

Result<ConfigOverrides> LogManager::TopicOverrides(std::string_view topic) const {
  std::shared_lock lock(topics_mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return Status::NotFound(fmt::format("no topic '{}'", topic));
  return it->second.overrides;
}

Result<LogConfig> LogManager::TopicConfig(std::string_view topic) const {
  std::shared_lock lock(topics_mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return Status::NotFound(fmt::format("no topic '{}'", topic));
  return it->second.config;
}

Status LogManager::SetTopicConfig(std::string_view topic, std::string_view name,
                                  std::string_view value) {
  RETURN_IF_ERROR(ValidateConfigValue(name, value));
  std::unique_lock lock(topics_mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return Status::NotFound(fmt::format("no topic '{}'", topic));
  ConfigOverrides overrides = it->second.overrides;
  overrides[std::string(name)] = std::string(value);
  // Check before persisting so a refused value changes nothing on disk.
  ASSIGN_OR_RETURN(LogConfig config, ResolveConfig(defaults_, overrides));
  if (config.partitions < static_cast<int32_t>(it->second.partitions.size())) {
    return Status::InvalidArgument(fmt::format("partitions of topic '{}' can only grow: it has {}, asked for {}",
                                               topic, it->second.partitions.size(), config.partitions));
  }
  RETURN_IF_ERROR(WriteTopicConfig(topic, overrides));
  return ApplyTopicOverrides(it->first, it->second, std::move(overrides));
}

Status LogManager::RemoveTopicConfig(std::string_view topic, std::string_view name) {
  if (!IsConfigName(name)) return Status::NotFound(fmt::format("unknown config '{}'", name));
  if (name == "partitions") {
    // Pinned per topic at creation, so the defaults never resize a topic.
    return Status::InvalidArgument(fmt::format(
        "partitions of topic '{}' cannot be removed, only raised", topic));
  }
  std::unique_lock lock(topics_mu_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) return Status::NotFound(fmt::format("no topic '{}'", topic));
  ConfigOverrides overrides = it->second.overrides;
  if (overrides.erase(std::string(name)) == 0) {
    return Status::NotFound(fmt::format("'{}' is not set on topic '{}'", name, topic));
  }
  ASSIGN_OR_RETURN(LogConfig config, ResolveConfig(defaults_, overrides));
  if (config.partitions < static_cast<int32_t>(it->second.partitions.size())) {
    return Status::InvalidArgument(fmt::format(
        "removing 'partitions' would shrink topic '{}' from {} to {} partitions", topic,
        it->second.partitions.size(), config.partitions));
  }
  RETURN_IF_ERROR(WriteTopicConfig(topic, overrides));
  return ApplyTopicOverrides(it->first, it->second, std::move(overrides));
}

Status LogManager::FlushAll() {
  Status first;
  for (const auto& log : AllLogs()) {
    Status s = log->Flush();
    if (first.ok()) first = s;
  }
  return first;
}

Status LogManager::FlushDueLogs() {
  Status first;
  for (const auto& log : AllLogs()) {
    Status s = log->FlushIfDue();
    if (first.ok()) first = s;
  }
  return first;
}

Status LogManager::WriteCheckpoints() {
  OffsetMap recovery, start;
  for (const auto& log : AllLogs()) {
    recovery[log->topic_partition()] = log->recovery_point();
    start[log->topic_partition()] = log->log_start_offset();
  }
  RETURN_IF_ERROR(WriteCheckpointFile(data_dir_ + "/" + std::string(kRecoveryPointCheckpoint), recovery, *io_));
  return WriteCheckpointFile(data_dir_ + "/" + std::string(kLogStartOffsetCheckpoint), start, *io_);
}

void LogManager::StartBackground(int64_t interval_ms) {
  scheduler_->Start(options_.background_threads);
  scheduler_->SchedulePeriodic("flush", interval_ms, interval_ms, [this] { (void)FlushDueLogs(); });
  // Not every second: a checkpoint's fsync makes the journal write out
  // appended data too.
  scheduler_->SchedulePeriodic("checkpoint", options_.checkpoint_interval_ms,
                               options_.checkpoint_interval_ms, [this] { (void)WriteCheckpoints(); });
  // A failed pass is retried at the next period; the daemon logs why.
  auto warn = [this](std::string_view task, const Status& s) {
    if (!s.ok() && options_.background_warning) {
      options_.background_warning(fmt::format("{}: {}", task, s.ToString()));
    }
  };
  scheduler_->SchedulePeriodic("retention", options_.retention_check_interval_ms,
                               options_.retention_check_interval_ms,
                               [this, warn] { warn("retention", RunRetention().status()); });
  // Retention taking a segment of the group being cleaned aborts the
  // cleaning ("cleaning aborted"); the next pass starts over.
  scheduler_->SchedulePeriodic("cleaner", options_.cleaner_backoff_ms, options_.cleaner_backoff_ms,
                               [this, warn] { warn("cleaner", RunCleaner().status()); });
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

Result<std::optional<CleanResult>> LogManager::RunCleaner() {
  return cleaner_->CleanFilthiest(AllLogs());
}

void LogManager::StopBackground() {
  scheduler_->Shutdown();
  std::vector<std::thread> deleters;
  {
    std::lock_guard lock(background_mu_);
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
  for (const auto& log : AllLogs()) {
    // A fenced log had a failed write or fsync: only recovery may trust it.
    if (log->fenced()) all_clean = false;
    Status s = log->Close();
    if (!s.ok()) all_clean = false;
    if (first.ok()) first = s;
  }
  Status cp = WriteCheckpoints();
  if (first.ok()) first = cp;
  if (all_clean && cp.ok()) {
    Status marker = WriteFileAtomically(data_dir_ + "/" + std::string(kCleanShutdownFile),
                                        "{\"version\":0,\"brokerEpoch\":0}", *io_);
    if (first.ok()) first = marker;
  }
  {
    std::unique_lock lock(topics_mu_);
    topics_.clear();
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
  lock_fd_ = -1;
  return first;
}

}  // namespace topicfs::store
