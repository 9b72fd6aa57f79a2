// The classic group protocol through GroupCoordinator: every state
// transition and error of JoinGroup, SyncGroup, Heartbeat and LeaveGroup,
// the initial rebalance delay, session and rebalance timeouts (Kafka's
// GroupCoordinatorTest / GroupMetadataManagerTest cases for classic
// groups, driven by a FakeClock and Tick()).

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "tests/store/groups/coordinator_fixture.h"

namespace topicfs::store {
namespace {

TEST_F(CoordinatorTest, FirstJoinFromVersionFourIsToldMemberIdRequiredWithTheIdToUse) {
  JoinGroupRequest r = JoinRequest({}, "app");
  r.api_version = 4;
  JoinGroupResult first = JoinNow(r);
  EXPECT_EQ(first.error, GroupError::kMemberIdRequired);
  ASSERT_EQ(first.member_id.rfind("app-", 0), 0u) << first.member_id;
  EXPECT_EQ(first.member_id.size(), 4 + 36u);  // client id, "-", a UUID
  EXPECT_EQ(State(), GroupState::kEmpty);

  r.member_id = first.member_id;
  JoinGroupResult second = JoinNow(r);
  EXPECT_EQ(second.error, GroupError::kNone);
  EXPECT_EQ(second.member_id, first.member_id);
  EXPECT_EQ(second.generation_id, 1);
  EXPECT_EQ(second.leader, first.member_id);
}

TEST_F(CoordinatorTest, LoneMemberBecomesLeaderOfGenerationOneAndSyncMakesTheGroupStable) {
  JoinGroupResult joined = JoinNow(JoinRequest());
  ASSERT_EQ(joined.error, GroupError::kNone);
  EXPECT_EQ(joined.generation_id, 1);
  EXPECT_EQ(joined.protocol_type, std::optional<std::string>("consumer"));
  EXPECT_EQ(joined.protocol_name, std::optional<std::string>("range"));
  EXPECT_EQ(joined.leader, joined.member_id);
  ASSERT_EQ(joined.members.size(), 1u);
  EXPECT_EQ(joined.members[0].metadata, Subscription({"orders"}));
  EXPECT_EQ(State(), GroupState::kCompletingRebalance);

  SyncSlot synced = Sync(joined.member_id, 1, {{joined.member_id, "mine"}});
  ASSERT_TRUE(synced->has_value());
  EXPECT_EQ((*synced)->error, GroupError::kNone);
  EXPECT_EQ((*synced)->assignment, "mine");
  EXPECT_EQ((*synced)->protocol_name, std::optional<std::string>("range"));
  EXPECT_EQ(State(), GroupState::kStable);
  EXPECT_EQ(Heartbeat(joined.member_id, 1), GroupError::kNone);
}

TEST_F(CoordinatorTest, InitialDelayGathersMembersAndExtendsWhileNewOnesCome) {
  options_.initial_rebalance_delay_ms = 3000;
  coordinator_ = GroupCoordinator::Open(*manager_, *offsets_, clock_, options_);
  JoinSlot a = Join(JoinRequest({}, "a"));
  EXPECT_FALSE(a->has_value());
  EXPECT_EQ(State(), GroupState::kPreparingRebalance);
  clock_.Advance(2000);
  JoinSlot b = Join(JoinRequest({}, "b"));
  clock_.Advance(1000);
  coordinator_->Tick();  // the delay ends, but b came: another 3 s
  EXPECT_FALSE(a->has_value());
  clock_.Advance(2999);
  coordinator_->Tick();
  EXPECT_FALSE(b->has_value());
  clock_.Advance(1);
  coordinator_->Tick();
  ASSERT_TRUE(a->has_value() && b->has_value());
  EXPECT_EQ((*a)->generation_id, 1);
  EXPECT_EQ((*b)->generation_id, 1);
  EXPECT_EQ((*a)->leader, (*a)->member_id);
  EXPECT_EQ((*a)->members.size(), 2u);
  EXPECT_TRUE((*b)->members.empty());  // followers are not told the members
}

TEST_F(CoordinatorTest, NewMemberStartsARebalanceThatWaitsForTheKnownOnesToRejoin) {
  std::vector<std::string> ids = StableGroup(1);
  JoinSlot newcomer = Join(JoinRequest({}, "late"));
  EXPECT_FALSE(newcomer->has_value());
  EXPECT_EQ(State(), GroupState::kPreparingRebalance);
  EXPECT_EQ(Heartbeat(ids[0], 1), GroupError::kRebalanceInProgress);

  // The known member's rejoin completes both answers, the newcomer's on
  // this (the rejoining member's) call.
  JoinSlot rejoined = Join(JoinRequest(ids[0]));
  ASSERT_TRUE(newcomer->has_value());
  ASSERT_TRUE(rejoined->has_value());
  EXPECT_EQ((*rejoined)->generation_id, 2);
  EXPECT_EQ((*newcomer)->generation_id, 2);
  EXPECT_EQ((*rejoined)->leader, ids[0]);
  EXPECT_EQ((*rejoined)->members.size(), 2u);
  EXPECT_EQ(State(), GroupState::kCompletingRebalance);
}

TEST_F(CoordinatorTest, FollowersSyncWaitsForTheLeadersAssignment) {
  std::vector<std::string> ids = StableGroup(2);
  JoinSlot j0 = Join(JoinRequest(ids[0]));  // the leader rejoining starts a rebalance
  JoinSlot j1 = Join(JoinRequest(ids[1]));
  ASSERT_TRUE(j0->has_value() && j1->has_value());
  SyncSlot follower = Sync(ids[1], 2);
  EXPECT_FALSE(follower->has_value());
  SyncSlot leader = Sync(ids[0], 2, {{ids[0], "p0,p1"}, {ids[1], "p2,p3"}});
  ASSERT_TRUE(follower->has_value());
  ASSERT_TRUE(leader->has_value());
  EXPECT_EQ((*follower)->assignment, "p2,p3");
  EXPECT_EQ((*leader)->assignment, "p0,p1");
  EXPECT_EQ(State(), GroupState::kStable);
  // A member the leader left out gets an empty assignment.
  SyncSlot again = Sync(ids[1], 2);
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->assignment, "p2,p3");
}

TEST_F(CoordinatorTest, KnownFollowerRejoiningAStableGroupWithTheSameProtocolsGetsTheSameGeneration) {
  std::vector<std::string> ids = StableGroup(2);
  JoinGroupResult again = JoinNow(JoinRequest(ids[1]));
  EXPECT_EQ(again.error, GroupError::kNone);
  EXPECT_EQ(again.generation_id, 1);
  EXPECT_EQ(State(), GroupState::kStable);
}

TEST_F(CoordinatorTest, JoinGroupErrors) {
  JoinGroupRequest r = JoinRequest();
  r.group_id = "";
  EXPECT_EQ(JoinNow(r).error, GroupError::kInvalidGroupId);
  r = JoinRequest();
  r.session_timeout_ms = 5999;
  EXPECT_EQ(JoinNow(r).error, GroupError::kInvalidSessionTimeout);
  r.session_timeout_ms = 1'800'001;
  EXPECT_EQ(JoinNow(r).error, GroupError::kInvalidSessionTimeout);
  EXPECT_EQ(JoinNow(JoinRequest("client-not-issued")).error, GroupError::kUnknownMemberId);
  r = JoinRequest();
  r.protocols.clear();
  EXPECT_EQ(JoinNow(r).error, GroupError::kInconsistentGroupProtocol);
  EXPECT_FALSE(coordinator_->StateOf("g").has_value());  // refused joins make no group

  std::vector<std::string> ids = StableGroup(1);
  r = JoinRequest();
  r.protocol_type = "connect";
  EXPECT_EQ(JoinNow(r).error, GroupError::kInconsistentGroupProtocol);
  r = JoinRequest();
  r.protocols = {{"roundrobin", ""}};
  EXPECT_EQ(JoinNow(r).error, GroupError::kInconsistentGroupProtocol);
  EXPECT_EQ(JoinNow(JoinRequest("stranger")).error, GroupError::kUnknownMemberId);
  EXPECT_EQ(State(), GroupState::kStable);  // none of them disturbed it
}

TEST_F(CoordinatorTest, TheProtocolIsTheOneMostMembersPreferAmongThoseAllSupport) {
  options_.initial_rebalance_delay_ms = 100;
  coordinator_ = GroupCoordinator::Open(*manager_, *offsets_, clock_, options_);
  auto with = [&](std::vector<std::string> names) {
    JoinGroupRequest r = JoinRequest();
    r.protocols.clear();
    for (auto& n : names) r.protocols.push_back({n, "meta-" + n});
    return r;
  };
  JoinSlot a = Join(with({"roundrobin", "range", "sticky"}));
  JoinSlot b = Join(with({"range", "roundrobin"}));
  JoinSlot c = Join(with({"range", "roundrobin"}));
  clock_.Advance(100);
  coordinator_->Tick();
  clock_.Advance(100);
  coordinator_->Tick();
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ((*a)->protocol_name, std::optional<std::string>("range"));  // sticky: not all; range: 2 votes
  ASSERT_EQ((*a)->members.size(), 3u);
  for (const JoinGroupMember& m : (*a)->members) EXPECT_EQ(m.metadata, "meta-range");
}

TEST_F(CoordinatorTest, SyncGroupErrors) {
  SyncSlot unknown_group = Sync("m", 1);
  ASSERT_TRUE(unknown_group->has_value());
  EXPECT_EQ((*unknown_group)->error, GroupError::kUnknownMemberId);

  std::vector<std::string> ids = StableGroup(2);
  EXPECT_EQ((*Sync("stranger", 1))->error, GroupError::kUnknownMemberId);
  EXPECT_EQ((*Sync(ids[1], 7))->error, GroupError::kIllegalGeneration);
  SyncGroupRequest wrong;
  wrong.group_id = "g";
  wrong.member_id = ids[1];
  wrong.generation_id = 1;
  wrong.protocol_name = "roundrobin";
  std::optional<SyncGroupResult> got;
  coordinator_->SyncGroup(wrong, [&](SyncGroupResult r) { got = r; });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->error, GroupError::kInconsistentGroupProtocol);

  JoinSlot newcomer = Join(JoinRequest({}, "late"));
  EXPECT_EQ((*Sync(ids[1], 1))->error, GroupError::kRebalanceInProgress);
}

TEST_F(CoordinatorTest, HeartbeatErrors) {
  EXPECT_EQ(Heartbeat("m", 0), GroupError::kUnknownMemberId);  // no such group
  std::vector<std::string> ids = StableGroup(1);
  EXPECT_EQ(Heartbeat("stranger", 1), GroupError::kUnknownMemberId);
  EXPECT_EQ(Heartbeat(ids[0], 0), GroupError::kIllegalGeneration);
  EXPECT_EQ(Heartbeat(ids[0], 1), GroupError::kNone);
}

TEST_F(CoordinatorTest, RebalanceAnswersAWaitingSyncWithRebalanceInProgress) {
  std::vector<std::string> ids = StableGroup(2);
  Join(JoinRequest(ids[0]));
  Join(JoinRequest(ids[1]));
  SyncSlot follower = Sync(ids[1], 2);
  EXPECT_FALSE(follower->has_value());
  JoinSlot newcomer = Join(JoinRequest({}, "late"));  // before the leader synced
  ASSERT_TRUE(follower->has_value());
  EXPECT_EQ((*follower)->error, GroupError::kRebalanceInProgress);
  EXPECT_EQ(State(), GroupState::kPreparingRebalance);
}

TEST_F(CoordinatorTest, LeaveGroupTakesABatchAndRebalancesTheRest) {
  std::vector<std::string> ids = StableGroup(3);
  LeaveGroupResult left = coordinator_->LeaveGroup("g", {{ids[0], std::nullopt}, {"stranger", std::nullopt}});
  EXPECT_EQ(left.error, GroupError::kNone);
  ASSERT_EQ(left.members.size(), 2u);
  EXPECT_EQ(left.members[0].error, GroupError::kNone);
  EXPECT_EQ(left.members[1].error, GroupError::kUnknownMemberId);
  EXPECT_EQ(State(), GroupState::kPreparingRebalance);
  JoinSlot j1 = Join(JoinRequest(ids[1]));
  JoinSlot j2 = Join(JoinRequest(ids[2]));
  ASSERT_TRUE(j1->has_value() && j2->has_value());
  EXPECT_EQ((*j1)->generation_id, 2);
  EXPECT_EQ((*j1)->leader, ids[1]);  // the leader left: the next to have joined leads
  EXPECT_EQ(Heartbeat(ids[0], 2), GroupError::kUnknownMemberId);
  EXPECT_EQ(coordinator_->LeaveGroup("nope", {{ids[1], std::nullopt}}).error, GroupError::kUnknownMemberId);
}

TEST_F(CoordinatorTest, LastMemberLeavingEmptiesTheGroupInTheNextGeneration) {
  std::vector<std::string> ids = StableGroup(1);
  EXPECT_EQ(coordinator_->LeaveGroup("g", {{ids[0], std::nullopt}}).members[0].error, GroupError::kNone);
  EXPECT_EQ(State(), GroupState::kEmpty);
  auto described = coordinator_->DescribeGroups({"g"}, 5);
  EXPECT_EQ(described[0].state, "Empty");
  EXPECT_TRUE(described[0].members.empty());
}

TEST_F(CoordinatorTest, ThreeMemberRebalanceWhereOneSessionExpires) {
  std::vector<std::string> ids = StableGroup(3);
  clock_.Advance(6000);
  EXPECT_EQ(Heartbeat(ids[0], 1), GroupError::kNone);
  EXPECT_EQ(Heartbeat(ids[1], 1), GroupError::kNone);
  coordinator_->Tick();
  EXPECT_EQ(State(), GroupState::kStable);
  clock_.Advance(4000);  // ids[2]'s 10 s session has passed
  coordinator_->Tick();
  EXPECT_EQ(State(), GroupState::kPreparingRebalance);
  EXPECT_EQ(Heartbeat(ids[2], 1), GroupError::kUnknownMemberId);
  EXPECT_EQ(Heartbeat(ids[0], 1), GroupError::kRebalanceInProgress);
  EXPECT_EQ(Heartbeat(ids[1], 1), GroupError::kRebalanceInProgress);
  JoinSlot j0 = Join(JoinRequest(ids[0]));
  EXPECT_FALSE(j0->has_value());
  JoinSlot j1 = Join(JoinRequest(ids[1]));
  ASSERT_TRUE(j0->has_value() && j1->has_value());
  EXPECT_EQ((*j0)->generation_id, 2);
  EXPECT_EQ((*j0)->members.size(), 2u);
  SyncSlot s1 = Sync(ids[1], 2);
  SyncSlot s0 = Sync(ids[0], 2, {{ids[0], "p0,p1"}, {ids[1], "p2,p3"}});
  ASSERT_TRUE(s0->has_value() && s1->has_value());
  EXPECT_EQ((*s1)->assignment, "p2,p3");
  EXPECT_EQ(State(), GroupState::kStable);
}

TEST_F(CoordinatorTest, RebalanceTimeoutRemovesMembersThatDidNotRejoin) {
  std::vector<std::string> ids = StableGroup(2);
  JoinSlot newcomer = Join(JoinRequest({}, "late"));
  JoinSlot j0 = Join(JoinRequest(ids[0]));
  EXPECT_FALSE(j0->has_value());  // waits for ids[1]
  // ids[1] keeps heartbeating but never rejoins.
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(9000);
    EXPECT_EQ(Heartbeat(ids[1], 1), GroupError::kRebalanceInProgress);
    coordinator_->Tick();
  }
  EXPECT_FALSE(j0->has_value());
  clock_.Advance(3000);  // 30 s rebalance timeout since the rebalance began
  coordinator_->Tick();
  ASSERT_TRUE(j0->has_value() && newcomer->has_value());
  EXPECT_EQ((*j0)->generation_id, 2);
  EXPECT_EQ((*j0)->members.size(), 2u);
  EXPECT_EQ(Heartbeat(ids[1], 2), GroupError::kUnknownMemberId);
}

TEST_F(CoordinatorTest, AMemberIdHandedOutHoldsTheRebalanceUntilItsSessionPasses) {
  std::vector<std::string> ids = StableGroup(1);
  JoinSlot direct = Join(JoinRequest({}, "v3"));  // starts a rebalance
  JoinGroupRequest r4 = JoinRequest({}, "v4");
  r4.api_version = 4;
  EXPECT_EQ(JoinNow(r4).error, GroupError::kMemberIdRequired);
  JoinSlot j0 = Join(JoinRequest(ids[0]));
  EXPECT_FALSE(j0->has_value());  // the v4 member may still come
  clock_.Advance(10'000);
  coordinator_->Tick();
  ASSERT_TRUE(j0->has_value());
  EXPECT_EQ((*j0)->members.size(), 2u);
}

TEST_F(CoordinatorTest, MemberThatNeverSyncsIsRemovedAfterTheRebalanceTimeout) {
  std::vector<std::string> ids = StableGroup(2);
  Join(JoinRequest(ids[0]));
  Join(JoinRequest(ids[1]));
  SyncSlot s0 = Sync(ids[0], 2, {{ids[0], "x"}, {ids[1], "y"}});
  ASSERT_TRUE(s0->has_value());
  EXPECT_EQ(State(), GroupState::kStable);
  clock_.Advance(9000);
  EXPECT_EQ(Heartbeat(ids[0], 2), GroupError::kNone);
  EXPECT_EQ(Heartbeat(ids[1], 2), GroupError::kNone);  // alive, but never synced
  clock_.Advance(21'000);
  EXPECT_EQ(Heartbeat(ids[0], 2), GroupError::kNone);
  coordinator_->Tick();
  EXPECT_EQ(State(), GroupState::kPreparingRebalance);
  EXPECT_EQ(Heartbeat(ids[1], 2), GroupError::kUnknownMemberId);
}

TEST_F(CoordinatorTest, ShutdownAnswersEveryWaitWithNotCoordinator) {
  std::vector<std::string> ids = StableGroup(1);
  JoinSlot newcomer = Join(JoinRequest({}, "late"));
  coordinator_->Shutdown();
  ASSERT_TRUE(newcomer->has_value());
  EXPECT_EQ((*newcomer)->error, GroupError::kNotCoordinator);
  EXPECT_EQ(Heartbeat(ids[0], 1), GroupError::kNotCoordinator);
}

TEST_F(CoordinatorTest, StaticMemberRestartingTakesItsOldPlaceWithoutARebalance) {
  options_.initial_rebalance_delay_ms = 100;
  coordinator_ = GroupCoordinator::Open(*manager_, *offsets_, clock_, options_);
  JoinGroupRequest a = JoinRequest({}, "a");
  a.group_instance_id = "host-a";
  JoinGroupRequest b = JoinRequest({}, "b");
  b.group_instance_id = "host-b";
  JoinSlot ja = Join(a), jb = Join(b);
  clock_.Advance(100);
  coordinator_->Tick();
  clock_.Advance(100);
  coordinator_->Tick();
  ASSERT_TRUE(ja->has_value() && jb->has_value());
  EXPECT_EQ((*ja)->member_id.rfind("host-a-", 0), 0u);  // a static member's id starts with its instance id
  SyncSlot sb = Sync((*jb)->member_id, 1);
  Sync((*ja)->member_id, 1, {{(*ja)->member_id, "A"}, {(*jb)->member_id, "B"}});
  ASSERT_TRUE(sb->has_value());

  // host-b restarts: a new member id, the same place and assignment.
  JoinGroupResult again = JoinNow(b);
  EXPECT_EQ(again.error, GroupError::kNone);
  EXPECT_NE(again.member_id, (*jb)->member_id);
  EXPECT_EQ(again.generation_id, 1);
  EXPECT_EQ(State(), GroupState::kStable);
  SyncSlot s = Sync(again.member_id, 1);
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->assignment, "B");
  // Its old incarnation is fenced.
  EXPECT_EQ(coordinator_->Heartbeat({"g", 1, (*jb)->member_id, "host-b"}), GroupError::kFencedInstanceId);
}

TEST_F(CoordinatorTest, ANewMembersFirstJoinWaitsAtMostTheNewMemberJoinTimeout) {
  std::vector<std::string> ids = StableGroup(1);
  JoinGroupRequest slow = JoinRequest({}, "late");
  slow.rebalance_timeout_ms = 600'000;  // longer than the 5 minutes a newcomer may wait
  JoinSlot newcomer = Join(slow);
  for (int i = 0; i < 30; ++i) {  // the known member stays alive, but does not rejoin
    clock_.Advance(10'000);
    EXPECT_EQ(Heartbeat(ids[0], 1), GroupError::kRebalanceInProgress);
    coordinator_->Tick();
  }
  ASSERT_TRUE(newcomer->has_value());
  EXPECT_EQ((*newcomer)->error, GroupError::kUnknownMemberId);
  JoinSlot j0 = Join(JoinRequest(ids[0]));
  ASSERT_TRUE(j0->has_value());
  EXPECT_EQ((*j0)->generation_id, 2);
  EXPECT_EQ((*j0)->members.size(), 1u);
}

TEST_F(CoordinatorTest, StaticMembersLeaveByInstanceIdAndAStaleIdIsFenced) {
  JoinGroupRequest a = JoinRequest({}, "a");
  a.group_instance_id = "host-a";
  JoinGroupResult joined = JoinNow(a);
  ASSERT_EQ(joined.error, GroupError::kNone);
  LeaveGroupResult fenced = coordinator_->LeaveGroup("g", {{"host-a-old", "host-a"}, {"", "host-z"}});
  ASSERT_EQ(fenced.members.size(), 2u);
  EXPECT_EQ(fenced.members[0].error, GroupError::kFencedInstanceId);
  EXPECT_EQ(fenced.members[1].error, GroupError::kUnknownMemberId);
  LeaveGroupResult left = coordinator_->LeaveGroup("g", {{"", "host-a"}});  // no member id: by instance id
  EXPECT_EQ(left.members[0].error, GroupError::kNone);
  EXPECT_EQ(State(), GroupState::kEmpty);
}

// Members on threads of their own, answers on whichever thread completes
// them (the ticker's for the join, the leader's for the sync): what a
// listener's workers do. ThreadSanitizer runs it (concurrency label).
TEST_F(CoordinatorTest, ConcurrentMembersJoinSyncAndHeartbeatFromTheirOwnThreads) {
  options_.initial_rebalance_delay_ms = 50;
  coordinator_ = GroupCoordinator::Open(*manager_, *offsets_, clock_, options_);
  constexpr int kMembers = 4;
  std::atomic<bool> stop{false};
  std::atomic<int> waiting{0};  // members whose JoinGroup with an id is in
  std::thread ticker([&] {
    while (!stop) {
      // Time moves once every member has joined, so all are in generation 1.
      if (waiting == kMembers) clock_.Advance(5);
      coordinator_->Tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::vector<JoinGroupResult> joined(kMembers);
  std::vector<SyncGroupResult> synced(kMembers);
  std::promise<std::vector<std::string>> member_ids;
  std::shared_future<std::vector<std::string>> all_ids = member_ids.get_future().share();
  std::atomic<int> joined_count{0};
  std::vector<std::string> ids(kMembers);
  std::mutex ids_mu;
  std::vector<std::thread> members;
  for (int i = 0; i < kMembers; ++i) {
    members.emplace_back([&, i] {
      JoinGroupRequest r = JoinRequest({}, "c" + std::to_string(i));
      r.api_version = 4;
      std::promise<JoinGroupResult> first;
      coordinator_->JoinGroup(r, [&](JoinGroupResult res) { first.set_value(std::move(res)); });
      r.member_id = first.get_future().get().member_id;  // MEMBER_ID_REQUIRED, at once
      std::promise<JoinGroupResult> second;
      auto answer = second.get_future();
      coordinator_->JoinGroup(r, [&](JoinGroupResult res) { second.set_value(std::move(res)); });
      ++waiting;
      ASSERT_EQ(answer.wait_for(std::chrono::seconds(20)), std::future_status::ready);
      joined[i] = answer.get();
      {
        std::lock_guard<std::mutex> lock(ids_mu);
        ids[i] = joined[i].member_id;
      }
      if (++joined_count == kMembers) member_ids.set_value(ids);
      std::vector<std::string> everyone = all_ids.get();
      std::vector<SyncGroupAssignment> assignments;
      if (joined[i].leader == joined[i].member_id) {
        for (const std::string& id : everyone) assignments.push_back({id, "for-" + id});
      }
      SyncGroupRequest sync{"g", joined[i].generation_id, joined[i].member_id, std::nullopt, std::nullopt,
                            std::nullopt, assignments};
      std::promise<SyncGroupResult> synced_answer;
      auto sync_future = synced_answer.get_future();
      coordinator_->SyncGroup(sync, [&](SyncGroupResult res) { synced_answer.set_value(std::move(res)); });
      ASSERT_EQ(sync_future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
      synced[i] = sync_future.get();
      for (int h = 0; h < 50; ++h) {
        EXPECT_EQ(coordinator_->Heartbeat({"g", joined[i].generation_id, joined[i].member_id, std::nullopt}),
                  GroupError::kNone);
      }
    });
  }
  for (auto& t : members) t.join();
  stop = true;
  ticker.join();
  for (int i = 0; i < kMembers; ++i) {
    EXPECT_EQ(joined[i].error, GroupError::kNone);
    EXPECT_EQ(joined[i].generation_id, 1);
    EXPECT_EQ(synced[i].error, GroupError::kNone);
    EXPECT_EQ(synced[i].assignment, "for-" + joined[i].member_id);
  }
  EXPECT_EQ(State(), GroupState::kStable);
}

}  // namespace
}  // namespace topicfs::store
