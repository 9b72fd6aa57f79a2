#pragma once
// Consumer groups' committed positions (and classic groups' metadata
// records, which the coordinator of store/groups/ writes and reads back
// through here, since they share the partitions), kept as Kafka keeps them: records in
// the internal compacted topic __consumer_offsets (key version 1, value
// version 3; store/format/consumer_offsets_format.h, docs/format.md "Consumer
// offsets"), one record per commit, a tombstone per forgotten position, all
// of a group's records in partition PartitionForGroup(group, partitions).
// Memory holds the latest position per (group, topic, partition); the log is
// the truth it is rebuilt from at Open.
//
// Durability: Commit, Forget and ForgetTopic return after their records are
// appended AND fsynced (Log::Flush), the single-node counterpart of Kafka's
// acks=all: a position a caller was told is committed survives a crash.
// Recovery keeps whole batches only (CRC-checked), so a torn commit is lost
// whole, never half-read. Commits are rare (a file close, a setxattr), so an
// fsync each is affordable.
//
// Thread safety: every method may be called from any thread. Appends to one
// __consumer_offsets partition are serialised by a per-partition lock held
// across append, flush and the memory update, so memory ends in the order
// the log has. mu_ guards the positions and is never held across I/O.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/format/checkpoint_file.h"
#include "store/format/consumer_offsets_format.h"
#include "store/base/clock.h"
#include "store/base/mutex.h"
#include "store/log/log.h"
#include "store/manager/log_manager.h"
#include "store/format/record_reader.h"
#include "store/base/status.h"
#include "store/base/types.h"

namespace topicfs::store {

class GroupOffsets {
 public:
  // A committed position with what OffsetCommit stores beside it.
  struct Position {
    Offset offset;
    int32_t leader_epoch = -1;
    std::string metadata;
    int64_t commit_timestamp_ms = 0;
  };
  // One position of a commit of several.
  struct PositionCommit {
    TopicPartition tp;
    Offset offset;
    int32_t leader_epoch = -1;
    std::string metadata;
  };

  // Reads every partition of __consumer_offsets, if the topic exists (the
  // latest record per key wins, a tombstone forgets), and creates nothing.
  // Group metadata records are kept for LoadedGroupMetadata; records of
  // newer types are skipped; malformed ones too, each with a line in
  // warnings(). Positions of topics that no longer
  // exist (a deletion interrupted before ForgetTopic) are forgotten with
  // tombstones. `manager` and `clock` must outlive the object. Call it
  // before serving requests (it is not meant to race with appends to
  // __consumer_offsets).
  static Result<std::unique_ptr<GroupOffsets>> Open(LogManager& manager, const Clock& clock);

  // Group names come from file names: non-empty, at most 255 bytes, no '/'
  // and no NUL. kInvalidArgument with the reason otherwise.
  static Status ValidateGroupName(std::string_view group);

  // The group's committed position in tp, nullopt when it has none.
  std::optional<Offset> Committed(std::string_view group, const TopicPartition& tp) const
      EXCLUDES(mu_);

  // Records `offset` as the group's position in tp. Creates __consumer_offsets
  // (50 partitions, cleanup.policy=compact, segment.bytes=104857600) on first
  // use. kInvalidArgument for a bad group name or a negative offset,
  // kNotFound when tp is not a partition of an existing topic, the log's
  // error (kFenced, kIoError with errno) if the append or fsync fails;
  // memory is then unchanged.
  Status Commit(std::string_view group, const TopicPartition& tp, Offset offset) EXCLUDES(mu_);

  // Commits several positions of one group in one append and one fsync: all
  // of them land or none. Errors as Commit's; the first bad one refuses
  // the lot before anything is written. REQUIRES: metadata shorter than
  // 32768 bytes.
  Status CommitAll(std::string_view group, std::span<const PositionCommit> commits) EXCLUDES(mu_);

  // The group's position in tp with its leader epoch, metadata and time.
  std::optional<Position> CommittedPosition(std::string_view group, const TopicPartition& tp) const
      EXCLUDES(mu_);
  // Every position of the group.
  std::map<TopicPartition, Position> PositionsOf(std::string_view group) const EXCLUDES(mu_);
  // Every group with at least one position, sorted.
  std::vector<std::string> GroupsWithPositions() const EXCLUDES(mu_);

  // Forgets the group's positions in `tps` (those it has) in one append.
  Status ForgetAll(std::string_view group, std::span<const TopicPartition> tps) EXCLUDES(mu_);

  // The group metadata records found at Open, the latest per group (a
  // tombstone removes one). Malformed values are skipped with a warning.
  std::map<std::string, consumer_offsets::GroupMetadataValue> LoadedGroupMetadata() const EXCLUDES(mu_);
  // Appends (and fsyncs) the group's metadata record.
  Status WriteGroupMetadata(std::string_view group, const consumer_offsets::GroupMetadataValue& value)
      EXCLUDES(mu_);
  // Deletes a group in one append: a tombstone for each of its positions
  // and, when `metadata_tombstone`, for its metadata record.
  Status DeleteGroup(std::string_view group, bool metadata_tombstone) EXCLUDES(mu_);

  // Forgets the group's position in tp: appends a tombstone (compaction later
  // removes both). Ok, and nothing written, when there is no position.
  Status Forget(std::string_view group, const TopicPartition& tp) EXCLUDES(mu_);

  // The groups with a position in tp, sorted.
  std::vector<std::string> Groups(const TopicPartition& tp) const EXCLUDES(mu_);

  // Forgets every group's position in every partition of `topic`, as Kafka
  // does when a topic is deleted, so a topic created again under the name
  // starts with no positions. Call it after LogManager::DeleteTopic
  // succeeded; if a crash comes between the two, Open finishes the job.
  Status ForgetTopic(std::string_view topic) EXCLUDES(mu_);

  // Malformed records skipped while loading, one line each.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  // Appends to one partition of __consumer_offsets are serialised by one of
  // these, chosen by partition number.
  static constexpr size_t kAppendLocks = 64;
  using GroupMap = std::map<std::string, Position, std::less<>>;

  GroupOffsets(LogManager& manager, const Clock& clock);
  Status Load();
  // Applies one record of __consumer_offsets to memory (loading only).
  void Apply(const RecordView& record, const Log& where) EXCLUDES(mu_);
  // Forgets positions of topics that no longer exist: a deletion that
  // stopped before its ForgetTopic (loading only).
  Status ForgetDeletedTopics() EXCLUDES(mu_);
  // The __consumer_offsets partition that holds `group`'s records, the
  // topic created first if needed. The hash is over the existing topic's
  // partition count (50 unless someone changed it), as Kafka's coordinator
  // uses the count in the metadata.
  Result<std::shared_ptr<Log>> LogForGroup(std::string_view group);
  // Appends and fsyncs records to `log`. REQUIRES: its append lock held
  // (AppendLockFor(log): a lock picked at run time, so a comment, not an
  // annotation).
  static Status AppendDurably(Log& log, std::span<const KeyValue> records);
  Mutex& AppendLockFor(const Log& log);
  void ErasePositionLocked(std::string_view group, const TopicPartition& tp) REQUIRES(mu_);
  // Applies a group metadata record (loading only).
  void ApplyGroupMetadata(std::string group, const RecordView& record, const Log& where) REQUIRES(mu_);

  LogManager& manager_;
  const Clock& clock_;
  std::array<Mutex, kAppendLocks> append_mu_;

  mutable SharedMutex mu_;
  std::map<TopicPartition, GroupMap> positions_ GUARDED_BY(mu_);
  std::map<std::string, consumer_offsets::GroupMetadataValue> loaded_metadata_ GUARDED_BY(mu_);
  std::vector<std::string> warnings_;             // written only by Open
};

}  // namespace topicfs::store
