#pragma once
// What the group coordinator tests share: a data directory with a
// 4-partition topic "orders" and a topic "other", a coordinator over it on a
// FakeClock with no initial rebalance delay, and helpers that join, sync
// and capture the answers that come through callbacks.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/groups/group_coordinator.h"
#include "tests/common/test_util.h"

namespace topicfs::store {

// A ConsumerProtocolSubscription version 0 for `topics`, no user data.
std::string Subscription(const std::vector<std::string>& topics);

class CoordinatorTest : public ::testing::Test {
 protected:
  using JoinSlot = std::shared_ptr<std::optional<JoinGroupResult>>;
  using SyncSlot = std::shared_ptr<std::optional<SyncGroupResult>>;

  void SetUp() override;
  void TearDown() override;
  void OpenAll();
  // Closes everything and opens the data directory again, as a restart.
  void Restart();

  // A JoinGroup of `group` ("g" by default) for protocol type "consumer"
  // offering "range" over "orders", version 3 (no MEMBER_ID_REQUIRED).
  JoinGroupRequest JoinRequest(std::string member_id = {}, std::string client_id = "client");
  JoinSlot Join(JoinGroupRequest request);
  // Joins a new member and expects the answer at once; returns it.
  JoinGroupResult JoinNow(JoinGroupRequest request);
  SyncSlot Sync(const std::string& member_id, int32_t generation, std::vector<SyncGroupAssignment> assignments = {});
  GroupError Heartbeat(const std::string& member_id, int32_t generation);
  GroupState State(const std::string& group = "g");
  // A group "g" of `n` members, Stable in generation 1 (all joined during
  // one initial delay), each assigned "a-<member id>"; the first is the leader.
  std::vector<std::string> StableGroup(int n);

  GroupCoordinator::Options options_;
  testing::TempDir tmp_;
  FakeClock clock_;
  std::unique_ptr<LogManager> manager_;
  std::unique_ptr<GroupOffsets> offsets_;
  std::unique_ptr<GroupCoordinator> coordinator_;
};

}  // namespace topicfs::store
