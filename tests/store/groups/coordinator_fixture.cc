#include "tests/store/groups/coordinator_fixture.h"

#include "store/base/big_endian.h"

namespace topicfs::store {

std::string Subscription(const std::vector<std::string>& topics) {
  std::string out;
  auto put16 = [&](int16_t v) {
    char b[2];
    be::Store<int16_t>(b, v);
    out.append(b, 2);
  };
  auto put32 = [&](int32_t v) {
    char b[4];
    be::Store<int32_t>(b, v);
    out.append(b, 4);
  };
  put16(0);
  put32(static_cast<int32_t>(topics.size()));
  for (const std::string& t : topics) {
    put16(static_cast<int16_t>(t.size()));
    out += t;
  }
  put32(-1);  // no user data
  return out;
}

void CoordinatorTest::SetUp() {
  options_.initial_rebalance_delay_ms = 0;
  OpenAll();
  ASSERT_TRUE(manager_->CreateTopic("orders", {{"partitions", "4"}}).ok());
  ASSERT_TRUE(manager_->CreateTopic("other").ok());
}

void CoordinatorTest::TearDown() {
  coordinator_.reset();
  offsets_.reset();
  if (manager_) {
    EXPECT_TRUE(manager_->Close().ok());
  }
}

void CoordinatorTest::OpenAll() {
  LogManager::Options o;
  o.data_dir = tmp_ / "data";
  o.clock = &clock_;
  auto m = LogManager::Open(o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  manager_ = std::move(m).value();
  auto g = GroupOffsets::Open(*manager_, clock_);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  offsets_ = std::move(g).value();
  coordinator_ = GroupCoordinator::Open(*manager_, *offsets_, clock_, options_);
}

void CoordinatorTest::Restart() {
  coordinator_.reset();
  offsets_.reset();
  ASSERT_TRUE(manager_->Close().ok());
  manager_.reset();
  OpenAll();
}

JoinGroupRequest CoordinatorTest::JoinRequest(std::string member_id, std::string client_id) {
  JoinGroupRequest r;
  r.group_id = "g";
  r.member_id = std::move(member_id);
  r.client_id = std::move(client_id);
  r.client_host = "/127.0.0.1";
  r.session_timeout_ms = 10'000;
  r.rebalance_timeout_ms = 30'000;
  r.protocol_type = "consumer";
  r.protocols = {{"range", Subscription({"orders"})}};
  r.api_version = 3;
  return r;
}

CoordinatorTest::JoinSlot CoordinatorTest::Join(JoinGroupRequest request) {
  auto slot = std::make_shared<std::optional<JoinGroupResult>>();
  coordinator_->JoinGroup(std::move(request), [slot](JoinGroupResult r) {
    EXPECT_FALSE(slot->has_value()) << "a JoinGroup answered twice";
    *slot = std::move(r);
  });
  return slot;
}

JoinGroupResult CoordinatorTest::JoinNow(JoinGroupRequest request) {
  JoinSlot slot = Join(std::move(request));
  EXPECT_TRUE(slot->has_value()) << "JoinGroup did not answer at once";
  return slot->value_or(JoinGroupResult{});
}

CoordinatorTest::SyncSlot CoordinatorTest::Sync(const std::string& member_id, int32_t generation,
                                                std::vector<SyncGroupAssignment> assignments) {
  auto slot = std::make_shared<std::optional<SyncGroupResult>>();
  SyncGroupRequest r;
  r.group_id = "g";
  r.member_id = member_id;
  r.generation_id = generation;
  r.assignments = std::move(assignments);
  coordinator_->SyncGroup(std::move(r), [slot](SyncGroupResult result) {
    EXPECT_FALSE(slot->has_value()) << "a SyncGroup answered twice";
    *slot = std::move(result);
  });
  return slot;
}

GroupError CoordinatorTest::Heartbeat(const std::string& member_id, int32_t generation) {
  return coordinator_->Heartbeat({"g", generation, member_id, std::nullopt});
}

GroupState CoordinatorTest::State(const std::string& group) {
  return coordinator_->StateOf(group).value_or(GroupState::kDead);
}

std::vector<std::string> CoordinatorTest::StableGroup(int n) {
  // With a delay the members gather in one initial rebalance.
  coordinator_.reset();
  GroupCoordinator::Options delayed = options_;
  delayed.initial_rebalance_delay_ms = 100;
  coordinator_ = GroupCoordinator::Open(*manager_, *offsets_, clock_, delayed);
  std::vector<JoinSlot> joins;
  for (int i = 0; i < n; ++i) joins.push_back(Join(JoinRequest({}, "client" + std::to_string(i))));
  clock_.Advance(100);
  coordinator_->Tick();
  clock_.Advance(100);
  coordinator_->Tick();
  std::vector<std::string> ids;
  for (auto& j : joins) {
    EXPECT_TRUE(j->has_value());
    if (!j->has_value()) return ids;
    EXPECT_EQ((*j)->error, GroupError::kNone);
    ids.push_back((*j)->member_id);
  }
  std::vector<SyncGroupAssignment> assignments;
  for (const std::string& id : ids) assignments.push_back({id, "a-" + id});
  std::vector<SyncSlot> syncs;
  for (size_t i = 1; i < ids.size(); ++i) syncs.push_back(Sync(ids[i], 1));
  syncs.push_back(Sync(ids[0], 1, assignments));
  for (auto& s : syncs) {
    EXPECT_TRUE(s->has_value());
    if (s->has_value()) {
      EXPECT_EQ((*s)->error, GroupError::kNone);
    }
  }
  EXPECT_EQ(State(), GroupState::kStable);
  return ids;
}

}  // namespace topicfs::store
