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
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/clock.h"
#include "store/file_io.h"
#include "store/log.h"
#include "store/log_cleaner.h"
#include "store/log_config.h"
#include "store/scheduler.h"
#include "store/status.h"

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
    // How often the cleaner looks for a log to clean (log.cleaner.backoff.ms).
    int64_t cleaner_backoff_ms = 15'000;
    int background_threads = 2;
    CleanerOptions cleaner;
    // Told what a background task failed at (an aborted cleaning, a failed
    // retention), for the daemon's log; nothing is told when unset.
    std::function<void(const std::string&)> background_warning;
  };

  // Locks the directory (kBusy if another process holds it), reads the
  // clean-shutdown marker (and removes it, so a crash while loading counts
  // as unclean), the checkpoints and configs, and loads every partition.
  static Result<std::unique_ptr<LogManager>> Open(Options options);
  ~LogManager();

  // Flushes and closes every log, writes the checkpoints and, if every log
  // closed cleanly, the clean-shutdown marker. Then unlocks the directory.
  Status Close();

  const std::string& data_dir() const { return data_dir_; }
  // The clock records are stamped with (and relative times are read on).
  const Clock& clock() const { return *clock_; }
  bool had_clean_shutdown() const { return had_clean_shutdown_; }
  // Everything loading repaired or set aside, one line each.
  std::vector<std::string> warnings() const;

  // ---- topics -------------------------------------------------------------
  std::vector<std::string> ListTopics() const;
  bool TopicExists(std::string_view topic) const;
  // kInvalidArgument for a bad name or config, kAlreadyExists (also for a
  // name colliding with an existing one over '.' and '_').
  Status CreateTopic(std::string_view topic, const ConfigOverrides& overrides = {});
  // The store's own path to an internal topic ("__" name, such as
  // __consumer_offsets): creates it with the configs the store forces, or
  // does nothing if it exists (safe to race with itself). kInvalidArgument
  // for a name that is not internal. The fs layer keeps refusing users'
  // mkdir and writes under "__" names; this is not reachable from there.
  Status EnsureInternalTopic(std::string_view topic, const ConfigOverrides& forced);
  // Closes the topic's logs, renames their directories out of the way
  // (<topic>-<p>.<id>-delete) and removes them in the background.
  Status DeleteTopic(std::string_view topic);
  Result<int32_t> PartitionCount(std::string_view topic) const;
  // nullptr when the topic or partition does not exist.
  std::shared_ptr<Log> GetLog(std::string_view topic, int32_t partition) const;
  std::vector<std::shared_ptr<Log>> AllLogs() const;

  // ---- configuration --------------------------------------------------------
  ConfigOverrides DefaultOverrides() const;
  Status SetDefault(std::string_view name, std::string_view value);
  Status RemoveDefault(std::string_view name);
  Result<ConfigOverrides> TopicOverrides(std::string_view topic) const;
  Result<LogConfig> TopicConfig(std::string_view topic) const;
  // Validates, persists (atomically) and applies. Raising `partitions`
  // creates the new partitions at once; lowering it is kInvalidArgument.
  Status SetTopicConfig(std::string_view topic, std::string_view name, std::string_view value);
  Status RemoveTopicConfig(std::string_view topic, std::string_view name);

  // ---- durability ---------------------------------------------------------
  Status FlushAll();
  // Flushes the logs whose flush.ms has passed.
  Status FlushDueLogs();
  // Writes recovery-point-offset-checkpoint and log-start-offset-checkpoint.
  Status WriteCheckpoints();
  // Starts the background threads: flushes past flush.ms and checkpoints
  // every interval_ms, retention, the cleaner, delayed file deletion. A
  // daemon calls it after daemonizing (a fork keeps no threads); Open
  // starts it when Options asks.
  void StartBackground(int64_t interval_ms);

  // ---- cleanup ------------------------------------------------------------
  // Applies retention to every log now; returns the segments deleted.
  Result<int> RunRetention();
  // Cleans the filthiest eligible compacted log, if any.
  Result<std::optional<CleanResult>> RunCleaner();
  LogCleaner& cleaner() { return *cleaner_; }
  Scheduler& scheduler() { return *scheduler_; }

 private:
  struct Topic {
    ConfigOverrides overrides;
    LogConfig config;
    std::vector<std::shared_ptr<Log>> partitions;
  };

  explicit LogManager(Options options);
  Status Lock();
  Status LoadAll();
  Result<std::shared_ptr<Log>> OpenLog(const std::string& topic, int32_t partition,
                                       const LogConfig& config);
  std::string TopicConfigPath(std::string_view topic) const;
  Status WriteTopicConfig(std::string_view topic, const ConfigOverrides& overrides);
  Status DeleteTopicConfigFile(std::string_view topic);
  std::string DeleteDirName(const std::string& partition_dir) const;
  // REQUIRES: topics_mu_ held exclusively.
  Status ApplyTopicOverrides(const std::string& topic, Topic& t, ConfigOverrides overrides);
  Status ApplyDefaults(ConfigOverrides defaults);
  void StopBackground();
  void RemoveDirectoryInBackground(std::string path);

  const std::string data_dir_;
  const Clock* clock_;
  FileIo* io_;
  int lock_fd_ = -1;
  bool had_clean_shutdown_ = false;
  bool closed_ = false;
  OffsetMap recovery_points_;  // as read at open; guarded by topics_mu_
  OffsetMap log_start_offsets_;

  mutable std::shared_mutex topics_mu_;
  ConfigOverrides defaults_;                  // guarded by topics_mu_
  std::map<std::string, Topic, std::less<>> topics_;  // guarded by topics_mu_
  mutable std::mutex warnings_mu_;
  std::vector<std::string> warnings_;         // guarded by warnings_mu_

  const Options options_;
  std::unique_ptr<Scheduler> scheduler_;  // owns the background threads
  std::unique_ptr<LogCleaner> cleaner_;
  std::mutex background_mu_;
  std::vector<std::thread> deleters_;  // guarded by background_mu_
};

}  // namespace topicfs::store
