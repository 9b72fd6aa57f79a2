#pragma once
// One data directory: every topic's partitions in <topic>-<partition>/,
// topic configs and data-directory defaults under .topicfs/, Kafka's
// checkpoint files and clean-shutdown marker at the top (docs/format.md,
// "Data directory"). Holds an exclusive lock on the directory while open.
//
// Thread safety: every public method may be called from any thread.
// topics_mu_ guards the topic table; it is never held across a log's I/O
// except while creating or deleting a topic.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/base/clock.h"
#include "store/io/file_cache.h"
#include "store/io/file_io.h"
#include "store/log/log.h"
#include "store/cleanup/log_cleaner.h"
#include "store/log/log_config.h"
#include "store/base/mutex.h"
#include "store/base/scheduler.h"
#include "store/base/status.h"
#include "store/manager/data_dir_lock.h"

namespace topicfs::store {

class LogManager {
 public:
  struct Options {
    std::string data_dir;
    const Clock* clock = &Clock::System();
    FileIo* io = &FileIo::Default();
    // How often the background flushes logs whose flush.ms passed; 0 = no
    // background threads at all (tests call
    // FlushDueLogs, RunRetention, RunCleaner and scheduler().RunDueTasks()).
    int64_t background_interval_ms = 0;
    // How often the checkpoints are written (Kafka's
    // log.flush.offset.checkpoint.interval.ms).
    int64_t checkpoint_interval_ms = 60'000;
    // Kafka's log.retention.check.interval.ms.
    int64_t retention_check_interval_ms = 300'000;
    // Kafka's producer.id.expiration.ms and
    // producer.id.expiration.check.interval.ms: an idempotent producer is
    // forgotten that long after its last batch, checked that often.
    int64_t producer_id_expiration_ms = 86'400'000;
    int64_t producer_id_expiration_check_interval_ms = 600'000;
    // How often the cleaner looks for a log to clean (log.cleaner.backoff.ms).
    int64_t cleaner_backoff_ms = 15'000;
    int background_threads = 2;
    // How many segment files may hold a descriptor and a mapping at once;
    // 0: as many as RLIMIT_NOFILE and vm.max_map_count leave room for
    // (FileCache::CapacityFromLimits).
    size_t max_open_files = 0;
    // Reads check every batch's CRC-32C before serving it; off only to
    // measure what that costs.
    bool verify_reads = true;
    CleanerOptions cleaner;
    // Told what a background task failed at (a flush, a checkpoint, an
    // aborted cleaning, a failed retention, anything a task threw) and when
    // it works again, for the daemon's log; nothing is told when unset.
    std::function<void(const std::string&)> background_warning;
    // Told what each retention and cleaner pass did, for the daemon's
    // debug log; nothing is told when unset.
    std::function<void(const std::string&)> background_pass;
  };

  // Locks the directory (kBusy if another process holds it), reads the
  // clean-shutdown marker (and removes it, so a crash while loading counts
  // as unclean), the checkpoints and configs, and loads every partition. A
  // partition that cannot be loaded is served offline (Log::Offline), a
  // topic whose config cannot be read read-only (Log::SetReadOnly): the
  // rest of the directory opens. A failed open leaves every file as found.
  static Result<std::unique_ptr<LogManager>> Open(Options options);
  ~LogManager();

  // Flushes and closes every log, writes the checkpoints and, if every log
  // closed cleanly, the clean-shutdown marker. Then unlocks the directory.
  Status Close();
  // Writes this process's pid into .lock again: after a fork (the daemon
  // detaching) the lock is the child's, and the pid written at Open was
  // its parent's, which has exited. Call before other threads start.
  Status RecordLockOwner();

  const std::string& data_dir() const { return data_dir_; }
  // The clock records are stamped with (and relative times are read on).
  const Clock& clock() const { return *clock_; }
  bool had_clean_shutdown() const { return had_clean_shutdown_; }
  // Everything loading repaired or set aside, one line each.
  std::vector<std::string> warnings() const EXCLUDES(warnings_mu_);

  // ---- topics -------------------------------------------------------------
  std::vector<std::string> ListTopics() const EXCLUDES(topics_mu_);
  bool TopicExists(std::string_view topic) const EXCLUDES(topics_mu_);
  // kInvalidArgument for a bad name or config, kAlreadyExists (also for a
  // name colliding with an existing one over '.' and '_').
  Status CreateTopic(std::string_view topic, const ConfigOverrides& overrides = {})
      EXCLUDES(topics_mu_);
  // The store's own path to an internal topic ("__" name, such as
  // __consumer_offsets): creates it with the configs the store forces, or
  // does nothing if it exists (safe to race with itself). kInvalidArgument
  // for a name that is not internal. The fs layer keeps refusing users'
  // mkdir and writes under "__" names; this is not reachable from there.
  Status EnsureInternalTopic(std::string_view topic, const ConfigOverrides& forced)
      EXCLUDES(topics_mu_);
  // Closes the topic's logs, renames their directories (every <topic>-<n>
  // on disk) out of the way (<topic>-<p>.<id>-delete) and removes them in
  // the background. Crash-safe: once it has begun, the next open finishes it.
  Status DeleteTopic(std::string_view topic) EXCLUDES(topics_mu_);
  Result<int32_t> PartitionCount(std::string_view topic) const EXCLUDES(topics_mu_);
  // nullptr when the topic or partition does not exist.
  std::shared_ptr<Log> GetLog(std::string_view topic, int32_t partition) const EXCLUDES(topics_mu_);
  std::vector<std::shared_ptr<Log>> AllLogs() const EXCLUDES(topics_mu_);

  // ---- configuration --------------------------------------------------------
  ConfigOverrides DefaultOverrides() const EXCLUDES(topics_mu_);
  Status SetDefault(std::string_view name, std::string_view value) EXCLUDES(topics_mu_);
  Status RemoveDefault(std::string_view name) EXCLUDES(topics_mu_);
  Result<ConfigOverrides> TopicOverrides(std::string_view topic) const EXCLUDES(topics_mu_);
  Result<LogConfig> TopicConfig(std::string_view topic) const EXCLUDES(topics_mu_);
  // Validates, persists (atomically) and applies. Raising `partitions`
  // creates the new partitions at once, all or none; lowering it is
  // kInvalidArgument. kReadOnly for a topic whose config could not be read.
  Status SetTopicConfig(std::string_view topic, std::string_view name, std::string_view value)
      EXCLUDES(topics_mu_);
  Status RemoveTopicConfig(std::string_view topic, std::string_view name) EXCLUDES(topics_mu_);

  // Kafka's DeleteRecords on one partition: Log::DeleteRecordsBefore, then
  // the log-start-offset checkpoint written, so the new start survives a
  // crash once this returns. kNotFound for a partition that does not exist.
  Result<Offset> DeleteRecords(std::string_view topic, int32_t partition, Offset offset)
      EXCLUDES(topics_mu_);

  // ---- durability ---------------------------------------------------------
  // Flushes the logs whose flush.ms has passed.
  Status FlushDueLogs();
  // Writes recovery-point-offset-checkpoint and log-start-offset-checkpoint.
  Status WriteCheckpoints() EXCLUDES(checkpoint_mu_);
  // Starts the background threads: flushes past flush.ms and checkpoints
  // every interval_ms, retention, the cleaner, delayed file deletion. A
  // daemon calls it after daemonizing (a fork keeps no threads); Open
  // starts it when Options asks.
  // The periodic retention and cleaner passes, for a status a person reads:
  // when each last ran and what it did, and when it runs next.
  struct PassFigures {
    std::string task;             // "retention", "cleaner"
    int64_t interval_ms = 0;
    int64_t last_run_ms = 0;      // wall clock, epoch ms; 0 = not yet
    int64_t next_run_ms = 0;      // about: the last run (or the start) + the interval
    std::string last_result;      // what the last pass did, or why it failed
  };
  // Empty before StartBackground.
  std::vector<PassFigures> BackgroundPasses() const EXCLUDES(background_mu_);
  void StartBackground(int64_t interval_ms);

  // ---- cleanup ------------------------------------------------------------
  // Applies retention to every log now; returns the segments deleted.
  Result<int> RunRetention();
  // Forgets the expired idempotent producers of every log now; returns how
  // many.
  size_t RemoveExpiredProducers();
  // Cleans the filthiest eligible compacted log, if any.
  Result<std::optional<CleanResult>> RunCleaner();
  LogCleaner& cleaner() { return *cleaner_; }
  Scheduler& scheduler() { return *scheduler_; }

 private:
  struct Topic {
    ConfigOverrides overrides;
    LogConfig config;
    std::vector<std::shared_ptr<Log>> partitions;
    Status read_only;  // why the topic is read-only; ok() when it is not
  };
  // A topic's next overrides, their config, and the partitions they add
  // (opened, not yet part of the topic).
  struct TopicChange {
    ConfigOverrides overrides;
    LogConfig config;
    std::vector<std::shared_ptr<Log>> added;
  };

  explicit LogManager(Options options);
  Status Lock();
  void Unlock();
  // Holds topics_mu_ throughout (nobody else can reach the manager yet).
  Status LoadAll() EXCLUDES(topics_mu_);
  Result<ConfigOverrides> ReadResolvableConfig(const std::string& path,
                                               const ConfigOverrides& defaults) const;
  // loading: a partition that fails to load is returned offline instead.
  Result<std::shared_ptr<Log>> OpenLog(const std::string& topic, int32_t partition,
                                       const LogConfig& config, bool loading)
      REQUIRES_SHARED(topics_mu_);
  // Partitions [from, config.partitions), all or none.
  Result<std::vector<std::shared_ptr<Log>>> OpenPartitions(const std::string& topic, int32_t from,
                                                           const LogConfig& config, bool loading)
      REQUIRES_SHARED(topics_mu_);
  // Closes partitions a failed change opened and removes the directories
  // they made.
  void DiscardPartitions(const std::vector<std::shared_ptr<Log>>& logs);
  Result<TopicChange> PrepareTopicChange(const std::string& topic, const Topic& t,
                                         ConfigOverrides overrides) REQUIRES(topics_mu_);
  Status CommitTopicChange(const std::string& topic, Topic& t, TopicChange change)
      REQUIRES(topics_mu_);
  std::string TopicConfigPath(std::string_view topic) const;
  Status WriteTopicConfig(std::string_view topic, const ConfigOverrides& overrides);
  Status RemovePartitionDirectories(std::string_view topic);
  Status FinishTopicDeletions();
  std::string DeleteDirName(const std::string& partition_dir) const;
  void AddWarning(std::string warning) EXCLUDES(warnings_mu_);
  Status ApplyDefaults(ConfigOverrides defaults) REQUIRES(topics_mu_);
  void StopBackground() EXCLUDES(background_mu_);
  void ReportBackground(std::string_view task, const Status& s) EXCLUDES(background_mu_);
  // Records a retention or cleaner pass (BackgroundPasses) and tells it.
  void TellPass(std::string_view task, const std::string& what) EXCLUDES(background_mu_);
  void RemoveDirectoryInBackground(std::string path) EXCLUDES(background_mu_);

  const std::string data_dir_;
  const Clock* clock_;
  FileIo* io_;
  DataDirLock lock_;
  bool had_clean_shutdown_ = false;
  bool closed_ = false;
  OffsetMap recovery_points_ GUARDED_BY(topics_mu_);  // as read at open
  OffsetMap log_start_offsets_ GUARDED_BY(topics_mu_);

  // Serialises WriteCheckpoints: the background pass and DeleteRecords
  // write the same .tmp files.
  Mutex checkpoint_mu_ ACQUIRED_BEFORE(topics_mu_);
  mutable SharedMutex topics_mu_ ACQUIRED_BEFORE(warnings_mu_, background_mu_);
  ConfigOverrides defaults_ GUARDED_BY(topics_mu_);
  Status defaults_damaged_;  // why defaults.properties could not be read; set while loading
  std::map<std::string, Topic, std::less<>> topics_ GUARDED_BY(topics_mu_);
  mutable Mutex warnings_mu_;
  std::vector<std::string> warnings_ GUARDED_BY(warnings_mu_);

  const Options options_;
  std::shared_ptr<FileCache> file_cache_;
  std::unique_ptr<Scheduler> scheduler_;  // owns the background threads
  std::unique_ptr<LogCleaner> cleaner_;
  mutable Mutex background_mu_;
  std::vector<std::thread> deleters_ GUARDED_BY(background_mu_);
  std::map<std::string, PassFigures, std::less<>> passes_ GUARDED_BY(background_mu_);
  // Per failing background task: its message and when it was last told.
  std::map<std::string, std::pair<std::string, int64_t>, std::less<>> background_failures_
      GUARDED_BY(background_mu_);
};

}  // namespace topicfs::store
