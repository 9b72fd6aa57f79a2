#pragma once
// Kafka's group coordinator for one node: the classic consumer group
// protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, with session and
// rebalance timeouts) as a state machine per group, and the group APIs
// over committed offsets (OffsetCommit, OffsetFetch, ListGroups,
// DescribeGroups, DeleteGroups, OffsetDelete). Below both front ends:
// plain types in and out (group_requests.h), errors as Kafka's codes
// (group_error.h), no wire format and no FUSE. Behaviour follows Kafka's
// ClassicGroup and GroupMetadataManager (apache/kafka group-coordinator);
// docs/groups.md tells the states and transitions.
//
// Offsets live in GroupOffsets (so `cat 0@group=NAME` and a Java consumer
// share them); a group's metadata record (generation, members,
// assignments) is written to __consumer_offsets on every completed
// rebalance and when the group becomes Empty, and loaded back by Open, so
// generations survive a restart. Loaded members then heartbeat, rejoin or
// time out, as on a broker.
//
// Waiting: JoinGroup and SyncGroup answer through a callback, called
// exactly once: at once on the calling thread, or later on the thread of
// the event that completes the rebalance (another member's request, or
// Tick). Callbacks are never called with the coordinator's lock held, so
// they may call back in.
//
// Time: deadlines are in the injected clock's monotonic ms. Nothing runs
// by itself: the owner calls Tick() often (the daemon every 100 ms or so);
// tests advance a FakeClock and call Tick(), so they never sleep.
//
// Thread safety: every method may be called from any thread. mu_ guards
// every group; it is held across the group metadata append (once per
// rebalance, so records land in the order of the state changes) but not
// across offset commits.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "store/base/clock.h"
#include "store/base/mutex.h"
#include "store/base/status.h"
#include "store/groups/classic_group.h"
#include "store/groups/group_error.h"
#include "store/groups/group_requests.h"
#include "store/manager/group_offsets.h"
#include "store/manager/log_manager.h"

namespace topicfs::store {

class GroupCoordinator {
 public:
  struct Options {
    // group.initial.rebalance.delay.ms: the first rebalance of an empty
    // group waits this long for more members (Kafka's default 3000).
    int32_t initial_rebalance_delay_ms = 3000;
    // group.min.session.timeout.ms / group.max.session.timeout.ms.
    int32_t min_session_timeout_ms = 6000;
    int32_t max_session_timeout_ms = 1'800'000;
    // How long a new member's first JoinGroup may wait (Kafka's 5 minutes).
    int32_t new_member_join_timeout_ms = 300'000;
    // group.max.size.
    int32_t max_group_size = 0x7fffffff;
    // offset.metadata.max.bytes.
    int32_t offset_metadata_max_bytes = 4096;
  };

  // Loads the group metadata records GroupOffsets read, and knows the
  // groups that only have offsets as Empty groups. `manager`, `offsets`
  // and `clock` must outlive the coordinator.
  static std::unique_ptr<GroupCoordinator> Open(LogManager& manager, GroupOffsets& offsets, const Clock& clock,
                                                Options options);
  // Shutdown(), so no callback is left uncalled.
  ~GroupCoordinator();
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  // Answers every waiting JoinGroup and SyncGroup with NOT_COORDINATOR,
  // as a broker giving up a group does. Idempotent.
  void Shutdown() EXCLUDES(mu_);

  // ---- membership ----
  void JoinGroup(JoinGroupRequest request, JoinGroupCallback done) EXCLUDES(mu_);
  void SyncGroup(SyncGroupRequest request, SyncGroupCallback done) EXCLUDES(mu_);
  GroupError Heartbeat(const HeartbeatRequest& request) EXCLUDES(mu_);
  LeaveGroupResult LeaveGroup(const std::string& group_id, const std::vector<LeaveGroupMember>& members)
      EXCLUDES(mu_);

  // Expires what is due: sessions of members that stopped heartbeating,
  // member ids handed out and never used, rebalances past their timeout
  // (members that did not rejoin are removed), members that did not
  // SyncGroup in time. Returns how many of those it acted on.
  int Tick() EXCLUDES(mu_);

  // ---- offsets ----
  // One error per partition, the group's checks applied to all of them.
  std::vector<PartitionResult> OffsetCommit(const OffsetCommitRequest& request) EXCLUDES(mu_);
  // `partitions` nullopt: every position the group has.
  OffsetFetchResult OffsetFetch(const std::string& group_id,
                                const std::optional<std::vector<TopicPartition>>& partitions) EXCLUDES(mu_);
  OffsetDeleteResult OffsetDelete(const std::string& group_id, const std::vector<TopicPartition>& partitions)
      EXCLUDES(mu_);

  // ---- admin ----
  // `states`: Kafka's names, compared ignoring case; empty: every state.
  std::vector<ListedGroup> ListGroups(const std::vector<std::string>& states) const EXCLUDES(mu_);
  // A group not known is GROUP_ID_NOT_FOUND from version 6, "Dead" with
  // no error before, as Kafka answers.
  std::vector<DescribedGroup> DescribeGroups(const std::vector<std::string>& group_ids, int16_t api_version) const
      EXCLUDES(mu_);
  // Only Empty groups (and those that only hold offsets): their offsets and
  // metadata go with tombstones. NON_EMPTY_GROUP otherwise.
  std::vector<DeleteGroupResult> DeleteGroups(const std::vector<std::string>& group_ids) EXCLUDES(mu_);

  // For tests and status: the group's state, nullopt when not known.
  std::optional<GroupState> StateOf(const std::string& group_id) const EXCLUDES(mu_);

 private:
  // Callbacks to call once mu_ is released.
  using Completions = std::vector<std::function<void()>>;

  GroupCoordinator(LogManager& manager, GroupOffsets& offsets, const Clock& clock, Options options);
  void Load() EXCLUDES(mu_);
  static void RunAll(Completions& completions);
  // Queues done(result) for after the lock, leaving `done` empty, so each
  // callback is called exactly once.
  static void Answer(Completions& out, JoinGroupCallback& done, JoinGroupResult result);
  static void Answer(Completions& out, SyncGroupCallback& done, SyncGroupResult result);

  // -- join and sync (group_coordinator_join.cc) --
  void JoinNewMember(ClassicGroup& group, JoinGroupRequest& request, JoinGroupCallback& done,
                     Completions& out) REQUIRES(mu_);
  void JoinKnownMember(ClassicGroup& group, JoinGroupRequest& request, JoinGroupCallback& done,
                       Completions& out) REQUIRES(mu_);
  void JoinStaticMember(ClassicGroup& group, JoinGroupRequest& request, JoinGroupCallback& done,
                        Completions& out) REQUIRES(mu_);
  void AddMemberAndRebalance(ClassicGroup& group, std::string member_id, JoinGroupRequest& request,
                             JoinGroupCallback done, Completions& out) REQUIRES(mu_);
  void UpdateMemberAndRebalance(ClassicGroup& group, GroupMember& member, JoinGroupRequest& request,
                                JoinGroupCallback done, Completions& out) REQUIRES(mu_);
  // The answer a member gets for the current generation.
  JoinGroupResult CurrentGenerationAnswer(const ClassicGroup& group, const GroupMember& member) const;
  void MaybePrepareRebalance(ClassicGroup& group, Completions& out) REQUIRES(mu_);
  void PrepareRebalance(ClassicGroup& group, Completions& out) REQUIRES(mu_);
  // Completes the join phase if every member rejoined.
  void MaybeCompleteJoin(ClassicGroup& group, Completions& out) REQUIRES(mu_);
  // Ends the join phase: members that did not rejoin go, the next
  // generation starts, every waiting member is answered.
  void CompleteJoin(ClassicGroup& group, Completions& out) REQUIRES(mu_);
  void CompleteSync(ClassicGroup& group, const SyncGroupRequest& leader_request, Completions& out) REQUIRES(mu_);
  // Removes a member (its waits answered UNKNOWN_MEMBER_ID) and moves the
  // group on: a rebalance, or the end of the current one.
  void RemoveMemberAndUpdateGroup(ClassicGroup& group, const std::string& member_id, Completions& out)
      REQUIRES(mu_);
  // Answers every waiting SyncGroup with `error` and forgets assignments.
  void ResetAssignments(ClassicGroup& group, GroupError error, Completions& out) REQUIRES(mu_);
  // Writes the group's metadata record; false when the append failed.
  bool Persist(const ClassicGroup& group) REQUIRES(mu_);
  int TickGroup(ClassicGroup& group, int64_t now, Completions& out) REQUIRES(mu_);

  // -- helpers --
  ClassicGroup* Find(const std::string& group_id) REQUIRES(mu_);
  const ClassicGroup* Find(const std::string& group_id) const REQUIRES(mu_);
  // The group, or an Empty one when it only has committed offsets.
  ClassicGroup* FindOrAdopt(const std::string& group_id) REQUIRES(mu_);
  std::string NewMemberId(const std::string& prefix) REQUIRES(mu_);
  int64_t MonotonicNow() const { return clock_.MonotonicMs(); }
  int64_t WallNow() const { return clock_.Now().value; }
  // Where a reader of a group committed at `committed` resumes: the next
  // record's offset for one inside a record (group_coordinator_offsets.cc).
  Offset ResumePosition(const TopicPartition& tp, Offset committed) const;
  bool PartitionExists(const TopicPartition& tp) const;

  LogManager& manager_;
  GroupOffsets& offsets_;
  const Clock& clock_;
  const Options options_;

  mutable Mutex mu_;
  std::map<std::string, std::unique_ptr<ClassicGroup>> groups_ GUARDED_BY(mu_);
  std::mt19937_64 random_ GUARDED_BY(mu_);
  bool shut_down_ GUARDED_BY(mu_) = false;
};

}  // namespace topicfs::store
