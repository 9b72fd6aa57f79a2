#include "kafka/broker/group_apis.h"

#include <spdlog/spdlog.h>

#include "kafka/protocol/api_keys.h"

namespace topicfs::kafka {

namespace {
// From Kafka 4's minimums (KIP-896 removed JoinGroup v0-1, OffsetCommit
// v0-1, OffsetFetch v0) up to the newest version written here. Not
// served: the KIP-848 versions (OffsetCommit 9, OffsetFetch 9,
// ListGroups 5, DescribeGroups 6) and FindCoordinator's share groups (5+).
constexpr ApiVersionRange kGroupApiVersions[] = {
    {static_cast<int16_t>(ApiKey::kFindCoordinator), 0, 4},
    {static_cast<int16_t>(ApiKey::kJoinGroup), 2, 9},
    {static_cast<int16_t>(ApiKey::kSyncGroup), 0, 5},
    {static_cast<int16_t>(ApiKey::kHeartbeat), 0, 4},
    {static_cast<int16_t>(ApiKey::kLeaveGroup), 0, 5},
    {static_cast<int16_t>(ApiKey::kOffsetCommit), 2, 8},
    {static_cast<int16_t>(ApiKey::kOffsetFetch), 1, 8},
    {static_cast<int16_t>(ApiKey::kListGroups), 0, 4},
    {static_cast<int16_t>(ApiKey::kDescribeGroups), 0, 5},
    {static_cast<int16_t>(ApiKey::kDeleteGroups), 0, 2},
    {static_cast<int16_t>(ApiKey::kOffsetDelete), 0, 0},
};
}  // namespace

GroupApis::GroupApis(store::GroupCoordinator& coordinator, Options options)
    : options_(std::move(options)), coordinator_(&coordinator), ticker_([this] { TickLoop(); }) {}

GroupApis::~GroupApis() { Stop(); }

std::span<const ApiVersionRange> GroupApis::Served() { return kGroupApiVersions; }

bool GroupApis::Serves(int16_t api_key) {
  for (const auto& r : kGroupApiVersions) {
    if (r.api_key == api_key) return true;
  }
  return false;
}

void GroupApis::Stop() {
  {
    std::lock_guard lock(tick_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  tick_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  coordinator_->Shutdown();
}

void GroupApis::TickLoop() {
  std::unique_lock lock(tick_mu_);
  while (!stopping_) {
    tick_cv_.wait_for(lock, std::chrono::milliseconds(options_.tick_interval_ms));
    if (stopping_) break;
    lock.unlock();
    coordinator_->Tick();
    lock.lock();
  }
}

void GroupApis::Handle(AnswerPtr answer, ByteReader& in) {
  switch (static_cast<ApiKey>(answer->api_key())) {
    case ApiKey::kFindCoordinator:
      return HandleFindCoordinator(*answer, in);
    case ApiKey::kJoinGroup:
      return HandleJoinGroup(std::move(answer), in);
    case ApiKey::kSyncGroup:
      return HandleSyncGroup(std::move(answer), in);
    case ApiKey::kHeartbeat:
      return HandleHeartbeat(*answer, in);
    case ApiKey::kLeaveGroup:
      return HandleLeaveGroup(*answer, in);
    case ApiKey::kOffsetCommit:
      return HandleOffsetCommit(*answer, in);
    case ApiKey::kOffsetFetch:
      return HandleOffsetFetch(*answer, in);
    case ApiKey::kListGroups:
      return HandleListGroups(*answer, in);
    case ApiKey::kDescribeGroups:
      return HandleDescribeGroups(*answer, in);
    case ApiKey::kDeleteGroups:
      return HandleDeleteGroups(*answer, in);
    case ApiKey::kOffsetDelete:
      return HandleOffsetDelete(*answer, in);
    default:
      return answer->Refuse("not a group API");
  }
}

}  // namespace topicfs::kafka
