#pragma once
// The group APIs over the store's GroupCoordinator: FindCoordinator (this
// node, for every key), JoinGroup and SyncGroup (answered when the
// coordinator completes them: delayed responses), Heartbeat, LeaveGroup,
// OffsetCommit, OffsetFetch, ListGroups, DescribeGroups, DeleteGroups,
// OffsetDelete. One file per API (<api>_handler.cc); the versions served
// are in kGroupApiVersions. Runs a thread that calls the coordinator's
// Tick() so session and rebalance timeouts fire.
//
// Thread safety: Handle runs on the server's workers, concurrently; the
// coordinator is thread-safe and calls JoinGroup/SyncGroup callbacks on
// whatever thread completes them, without its lock.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "kafka/broker/answer.h"
#include "kafka/protocol/api_versions.h"
#include "kafka/protocol/byte_reader.h"
#include "store/groups/group_coordinator.h"

namespace topicfs::kafka {

class GroupApis {
 public:
  struct Options {
    int32_t node_id = 1;
    std::string host = "127.0.0.1";
    int32_t port = 9092;
    int64_t tick_interval_ms = 100;
  };

  // `coordinator` must outlive this.
  GroupApis(store::GroupCoordinator& coordinator, Options options);
  // Stop().
  ~GroupApis();
  GroupApis(const GroupApis&) = delete;
  GroupApis& operator=(const GroupApis&) = delete;

  // The APIs and versions served here.
  static std::span<const ApiVersionRange> Served();
  static bool Serves(int16_t api_key);

  // `in` is positioned at the body of a request for one of Served().
  void Handle(AnswerPtr answer, ByteReader& in);
  // Stops ticking and shuts the coordinator down, which answers waiting
  // joins and syncs (NOT_COORDINATOR), so the server can stop.
  void Stop();
  void set_port(int32_t port) { options_.port = port; }

 private:
  void HandleFindCoordinator(Answer& answer, ByteReader& in);
  void HandleJoinGroup(AnswerPtr answer, ByteReader& in);
  void HandleSyncGroup(AnswerPtr answer, ByteReader& in);
  void HandleHeartbeat(Answer& answer, ByteReader& in);
  void HandleLeaveGroup(Answer& answer, ByteReader& in);
  void HandleOffsetCommit(Answer& answer, ByteReader& in);
  void HandleOffsetFetch(Answer& answer, ByteReader& in);
  void HandleListGroups(Answer& answer, ByteReader& in);
  void HandleDescribeGroups(Answer& answer, ByteReader& in);
  void HandleDeleteGroups(Answer& answer, ByteReader& in);
  void HandleOffsetDelete(Answer& answer, ByteReader& in);
  void TickLoop();

  Options options_;
  store::GroupCoordinator* const coordinator_;
  std::mutex tick_mu_;
  std::condition_variable tick_cv_;
  bool stopping_ = false;  // guarded by tick_mu_
  std::thread ticker_;
};

}  // namespace topicfs::kafka
