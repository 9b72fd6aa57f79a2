// Offsets and admin through GroupCoordinator: OffsetCommit's generation
// and member checks, OffsetFetch, ListGroups, DescribeGroups, DeleteGroups,
// OffsetDelete, one set of positions with GroupOffsets (the filesystem's),
// and group metadata records that bring groups back after a restart.

#include <gtest/gtest.h>

#include "store/format/consumer_offsets_format.h"
#include "tests/store/groups/coordinator_fixture.h"

namespace topicfs::store {
namespace {

const TopicPartition kOrders0{"orders", 0};
const TopicPartition kOrders1{"orders", 1};
const TopicPartition kOther0{"other", 0};

OffsetCommitPartition At(const TopicPartition& tp, int64_t offset) {
  OffsetCommitPartition p;
  p.tp = tp;
  p.offset = Offset(offset);
  return p;
}

OffsetCommitRequest Commit(int32_t generation, std::string member, std::vector<OffsetCommitPartition> partitions,
                           std::string group = "g") {
  OffsetCommitRequest r;
  r.group_id = std::move(group);
  r.generation_id = generation;
  r.member_id = std::move(member);
  r.partitions = std::move(partitions);
  return r;
}

GroupError OnlyError(const std::vector<PartitionResult>& results) {
  EXPECT_FALSE(results.empty());
  for (const PartitionResult& r : results) EXPECT_EQ(r.error, results[0].error) << r.tp.DirName();
  return results.empty() ? GroupError::kUnknownServerError : results[0].error;
}

TEST_F(CoordinatorTest, SimpleCommitToAnUnknownGroupMakesAnEmptyGroupAndFetchReadsIt) {
  auto results = coordinator_->OffsetCommit(Commit(-1, "", {{kOrders0, Offset(42), 7, "meta"}}));
  EXPECT_EQ(OnlyError(results), GroupError::kNone);
  EXPECT_EQ(State(), GroupState::kEmpty);
  OffsetFetchResult fetched = coordinator_->OffsetFetch("g", std::vector<TopicPartition>{kOrders0, kOrders1});
  EXPECT_EQ(fetched.error, GroupError::kNone);
  ASSERT_EQ(fetched.partitions.size(), 2u);
  EXPECT_EQ(fetched.partitions[0].offset, 42);
  EXPECT_EQ(fetched.partitions[0].leader_epoch, 7);
  EXPECT_EQ(fetched.partitions[0].metadata, "meta");
  EXPECT_EQ(fetched.partitions[1].offset, -1);  // nothing committed there
  EXPECT_EQ(coordinator_->OffsetFetch("g", std::nullopt).partitions.size(), 1u);
  EXPECT_TRUE(coordinator_->OffsetFetch("nobody", std::nullopt).partitions.empty());
}

// Kafka clients commit their last record's offset + 1, inside that record
// here: kept as the next record's offset, where the group's reader resumes,
// so a caught-up group has no lag. At a record, or past the end, as sent.
TEST_F(CoordinatorTest, ACommitInsideARecordIsKeptAsTheNextRecordsOffset) {
  auto log = manager_->GetLog("orders", 0);
  ASSERT_NE(log, nullptr);
  const std::vector<std::string_view> lines = {"first", "second", "third"};  // at 0, 6 and 13; end 19
  ASSERT_TRUE(log->Append(lines).ok());
  ASSERT_EQ(log->log_end_offset(), Offset(19));
  const std::pair<int64_t, int64_t> cases[] = {{1, 6}, {6, 6}, {7, 13}, {14, 19}, {19, 19}, {25, 25}, {0, 0}};
  for (const auto& [sent, kept] : cases) {
    ASSERT_EQ(OnlyError(coordinator_->OffsetCommit(Commit(-1, "", {At(kOrders0, sent)}))), GroupError::kNone);
    OffsetFetchResult fetched = coordinator_->OffsetFetch("g", std::vector<TopicPartition>{kOrders0});
    ASSERT_EQ(fetched.partitions.size(), 1u);
    EXPECT_EQ(fetched.partitions[0].offset, kept) << "committed " << sent;
  }
}

TEST_F(CoordinatorTest, TheFilesystemsCommitsAreTheGroupsAndBack) {
  ASSERT_TRUE(offsets_->Commit("billing", kOrders1, Offset(100)).ok());  // what a @group= view's close does
  OffsetFetchResult fetched = coordinator_->OffsetFetch("billing", std::nullopt);
  ASSERT_EQ(fetched.partitions.size(), 1u);
  EXPECT_EQ(fetched.partitions[0].offset, 100);
  auto listed = coordinator_->ListGroups({});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].group_id, "billing");
  EXPECT_EQ(listed[0].state, "Empty");
  EXPECT_EQ(listed[0].protocol_type, "");

  EXPECT_EQ(OnlyError(coordinator_->OffsetCommit(Commit(-1, "", {At(kOrders1, 150)}, "billing"))),
            GroupError::kNone);
  EXPECT_EQ(offsets_->Committed("billing", kOrders1), Offset(150));
}

TEST_F(CoordinatorTest, CommitsAreCheckedAgainstTheGenerationAndTheMember) {
  // A generation for a group that does not exist: a member of a group gone.
  EXPECT_EQ(OnlyError(coordinator_->OffsetCommit(Commit(3, "m", {At(kOrders0, 1)}))),
            GroupError::kIllegalGeneration);
  std::vector<std::string> ids = StableGroup(2);
  EXPECT_EQ(OnlyError(coordinator_->OffsetCommit(Commit(1, ids[0], {At(kOrders0, 1)}))), GroupError::kNone);
  EXPECT_EQ(OnlyError(coordinator_->OffsetCommit(Commit(0, ids[0], {At(kOrders0, 2)}))),
            GroupError::kIllegalGeneration);
  EXPECT_EQ(OnlyError(coordinator_->OffsetCommit(Commit(1, "stranger", {At(kOrders0, 2)}))),
            GroupError::kUnknownMemberId);
  // No member and no generation: only while the group is Empty.
  EXPECT_EQ(OnlyError(coordinator_->OffsetCommit(Commit(-1, "", {At(kOrders0, 2)}))),
            GroupError::kUnknownMemberId);
  EXPECT_EQ(offsets_->Committed("g", kOrders0), Offset(1));

  // Joined generation 2 but not synced yet.
  Join(JoinRequest(ids[0]));
  Join(JoinRequest(ids[1]));
  EXPECT_EQ(State(), GroupState::kCompletingRebalance);
  EXPECT_EQ(OnlyError(coordinator_->OffsetCommit(Commit(2, ids[1], {At(kOrders0, 3)}))),
            GroupError::kRebalanceInProgress);
}

TEST_F(CoordinatorTest, CommitsDuringPreparingRebalanceOfTheCurrentGenerationLand) {
  std::vector<std::string> ids = StableGroup(1);
  Join(JoinRequest({}, "late"));
  EXPECT_EQ(State(), GroupState::kPreparingRebalance);
  EXPECT_EQ(OnlyError(coordinator_->OffsetCommit(Commit(1, ids[0], {At(kOrders0, 9)}))), GroupError::kNone);
}

TEST_F(CoordinatorTest, EachPartitionOfACommitIsJudgedOnItsOwn) {
  std::string big(4097, 'x');
  auto results = coordinator_->OffsetCommit(
      Commit(-1, "", {At(kOrders0, 5), At({"orders", 4}, 5), At({"nope", 0}, 5),
                      {kOrders1, Offset(5), -1, big}}));
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].error, GroupError::kNone);
  EXPECT_EQ(results[1].error, GroupError::kUnknownTopicOrPartition);
  EXPECT_EQ(results[2].error, GroupError::kUnknownTopicOrPartition);
  EXPECT_EQ(results[3].error, GroupError::kOffsetMetadataTooLarge);
  EXPECT_EQ(offsets_->Committed("g", kOrders0), Offset(5));
  EXPECT_FALSE(offsets_->Committed("g", kOrders1).has_value());
  EXPECT_EQ(OnlyError(coordinator_->OffsetCommit(Commit(-1, "", {At(kOrders0, 5)}, ""))),
            GroupError::kInvalidGroupId);
}

TEST_F(CoordinatorTest, ListGroupsFiltersByStateIgnoringCase) {
  StableGroup(1);
  ASSERT_TRUE(offsets_->Commit("billing", kOrders0, Offset(1)).ok());
  auto all = coordinator_->ListGroups({});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].group_id, "billing");
  EXPECT_EQ(all[1].group_id, "g");
  EXPECT_EQ(all[1].protocol_type, "consumer");
  EXPECT_EQ(all[1].state, "Stable");
  auto stable = coordinator_->ListGroups({"stable"});
  ASSERT_EQ(stable.size(), 1u);
  EXPECT_EQ(stable[0].group_id, "g");
  auto empty = coordinator_->ListGroups({"Empty"});
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0].group_id, "billing");
}

TEST_F(CoordinatorTest, DescribeGroupsShowsMembersAndTheirBytesWhileStable) {
  std::vector<std::string> ids = StableGroup(2);
  auto described = coordinator_->DescribeGroups({"g", "missing"}, 5);
  ASSERT_EQ(described.size(), 2u);
  DescribedGroup g = described[0];
  EXPECT_EQ(g.error, GroupError::kNone);
  EXPECT_EQ(g.state, "Stable");
  EXPECT_EQ(g.protocol_type, "consumer");
  EXPECT_EQ(g.protocol_data, "range");
  ASSERT_EQ(g.members.size(), 2u);
  for (const DescribedMember& m : g.members) {
    EXPECT_EQ(m.client_host, "/127.0.0.1");
    EXPECT_EQ(m.client_id.rfind("client", 0), 0u);
    EXPECT_EQ(m.metadata, Subscription({"orders"}));
    EXPECT_EQ(m.assignment, "a-" + m.member_id);
  }
  EXPECT_EQ(described[1].state, "Dead");
  EXPECT_EQ(described[1].error, GroupError::kNone);
  EXPECT_EQ(coordinator_->DescribeGroups({"missing"}, 6)[0].error, GroupError::kGroupIdNotFound);

  Join(JoinRequest({}, "late"));  // a rebalance: members without their bytes
  g = coordinator_->DescribeGroups({"g"}, 5)[0];
  EXPECT_EQ(g.state, "PreparingRebalance");
  EXPECT_EQ(g.protocol_data, "");
  for (const DescribedMember& m : g.members) {
    EXPECT_TRUE(m.metadata.empty());
    EXPECT_TRUE(m.assignment.empty());
  }
}

TEST_F(CoordinatorTest, DeleteGroupsDeletesOnlyEmptyGroupsWithTheirOffsets) {
  std::vector<std::string> ids = StableGroup(1);
  ASSERT_EQ(OnlyError(coordinator_->OffsetCommit(Commit(1, ids[0], {At(kOrders0, 10)}))), GroupError::kNone);
  ASSERT_TRUE(offsets_->Commit("billing", kOrders0, Offset(3)).ok());
  auto results = coordinator_->DeleteGroups({"g", "billing", "missing"});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].error, GroupError::kNonEmptyGroup);
  EXPECT_EQ(results[1].error, GroupError::kNone);
  EXPECT_EQ(results[2].error, GroupError::kGroupIdNotFound);
  EXPECT_FALSE(offsets_->Committed("billing", kOrders0).has_value());

  ASSERT_EQ(coordinator_->LeaveGroup("g", {{ids[0], std::nullopt}}).members[0].error, GroupError::kNone);
  EXPECT_EQ(State(), GroupState::kEmpty);
  EXPECT_EQ(coordinator_->DeleteGroups({"g"})[0].error, GroupError::kNone);
  EXPECT_FALSE(coordinator_->StateOf("g").has_value());
  EXPECT_FALSE(offsets_->Committed("g", kOrders0).has_value());
  EXPECT_EQ(coordinator_->DeleteGroups({"g"})[0].error, GroupError::kGroupIdNotFound);

  Restart();  // the tombstones hold
  EXPECT_FALSE(coordinator_->StateOf("g").has_value());
  EXPECT_TRUE(coordinator_->ListGroups({}).empty());
  EXPECT_TRUE(offsets_->LoadedGroupMetadata().empty());
}

TEST_F(CoordinatorTest, OffsetDeleteRefusesTopicsAnActiveConsumerGroupSubscribesTo) {
  EXPECT_EQ(coordinator_->OffsetDelete("g", {kOrders0}).error, GroupError::kGroupIdNotFound);
  std::vector<std::string> ids = StableGroup(1);  // subscribed to "orders"
  ASSERT_EQ(OnlyError(coordinator_->OffsetCommit(Commit(1, ids[0], {At(kOrders0, 1), At(kOther0, 2)}))),
            GroupError::kNone);
  OffsetDeleteResult deleted = coordinator_->OffsetDelete("g", {kOrders0, kOther0, {"nope", 0}});
  EXPECT_EQ(deleted.error, GroupError::kNone);
  ASSERT_EQ(deleted.partitions.size(), 3u);
  EXPECT_EQ(deleted.partitions[0].error, GroupError::kGroupSubscribedToTopic);
  EXPECT_EQ(deleted.partitions[1].error, GroupError::kNone);
  EXPECT_EQ(deleted.partitions[2].error, GroupError::kUnknownTopicOrPartition);
  EXPECT_EQ(offsets_->Committed("g", kOrders0), Offset(1));
  EXPECT_FALSE(offsets_->Committed("g", kOther0).has_value());

  // Once Empty, anything goes.
  ASSERT_EQ(coordinator_->LeaveGroup("g", {{ids[0], std::nullopt}}).members[0].error, GroupError::kNone);
  EXPECT_EQ(coordinator_->OffsetDelete("g", {kOrders0}).partitions[0].error, GroupError::kNone);
  EXPECT_FALSE(offsets_->Committed("g", kOrders0).has_value());
}

TEST_F(CoordinatorTest, OffsetDeleteOfAnActiveGroupOfAnotherProtocolTypeIsRefusedWhole) {
  JoinGroupRequest r = JoinRequest();
  r.protocol_type = "connect";
  r.protocols = {{"default", "whatever"}};
  JoinGroupResult joined = JoinNow(r);
  ASSERT_EQ(joined.error, GroupError::kNone);
  EXPECT_EQ(coordinator_->OffsetDelete("g", {kOrders0}).error, GroupError::kNonEmptyGroup);
}

TEST_F(CoordinatorTest, EveryCompletedRebalanceAndEmptyingWritesTheGroupsMetadataRecord) {
  std::vector<std::string> ids = StableGroup(2);
  Restart();
  auto loaded = offsets_->LoadedGroupMetadata();
  ASSERT_EQ(loaded.count("g"), 1u);
  const consumer_offsets::GroupMetadataValue& v = loaded["g"];
  EXPECT_EQ(v.protocol_type, "consumer");
  EXPECT_EQ(v.generation, 1);
  EXPECT_EQ(v.protocol, std::optional<std::string>("range"));
  EXPECT_EQ(v.leader, std::optional<std::string>(ids[0]));
  EXPECT_EQ(v.current_state_timestamp, clock_.Now().value);
  ASSERT_EQ(v.members.size(), 2u);
  for (const auto& m : v.members) {
    EXPECT_EQ(m.session_timeout_ms, 10'000);
    EXPECT_EQ(m.rebalance_timeout_ms, 30'000);
    EXPECT_EQ(m.client_host, "/127.0.0.1");
    EXPECT_EQ(m.subscription, Subscription({"orders"}));
    EXPECT_EQ(m.assignment, "a-" + m.member_id);
    EXPECT_FALSE(m.group_instance_id.has_value());
  }
}

TEST_F(CoordinatorTest, RestartReloadsGenerationsAndMembersWhoThenHeartbeatOrTimeOut) {
  std::vector<std::string> ids = StableGroup(2);
  Restart();
  EXPECT_EQ(State(), GroupState::kStable);
  auto described = coordinator_->DescribeGroups({"g"}, 5)[0];
  ASSERT_EQ(described.members.size(), 2u);
  EXPECT_EQ(described.protocol_data, "range");
  // ids[0] heartbeats on with the generation it had; ids[1] is gone.
  clock_.Advance(6000);
  EXPECT_EQ(Heartbeat(ids[0], 1), GroupError::kNone);
  SyncSlot s = Sync(ids[0], 1);
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->assignment, "a-" + ids[0]);
  clock_.Advance(4000);
  coordinator_->Tick();
  EXPECT_EQ(State(), GroupState::kPreparingRebalance);
  JoinSlot j0 = Join(JoinRequest(ids[0]));
  ASSERT_TRUE(j0->has_value());
  EXPECT_EQ((*j0)->generation_id, 2);
  EXPECT_EQ((*j0)->members.size(), 1u);

  // Everyone gone: Empty in generation 3, which also survives a restart.
  clock_.Advance(10'000);
  coordinator_->Tick();
  EXPECT_EQ(State(), GroupState::kEmpty);
  Restart();
  EXPECT_EQ(State(), GroupState::kEmpty);
  EXPECT_EQ(offsets_->LoadedGroupMetadata()["g"].generation, 3);
  JoinGroupResult next = JoinNow(JoinRequest());
  EXPECT_EQ(next.generation_id, 4);
}

}  // namespace
}  // namespace topicfs::store
