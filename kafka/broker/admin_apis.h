#pragma once
// The admin APIs over the LogManager: CreateTopics, DeleteTopics,
// CreatePartitions, DescribeConfigs, AlterConfigs,
// IncrementalAlterConfigs, DescribeCluster, DeleteRecords, SaslHandshake,
// InitProducerId.
// Configs are the xattrs' configs, validated by the same code
// (store/log/log_config): a topic resource is a topic's overrides, the
// broker resource the data directory's defaults (the mount root's
// xattrs). One file per API (<api>_handler.cc); the versions served are
// in kAdminApiVersions.
//
// Thread safety: Handle runs on the server's workers, concurrently; the
// LogManager is thread-safe, producer ids come from an atomic counter.

#include <atomic>
#include <cstdint>
#include <span>
#include <string>

#include "kafka/broker/answer.h"
#include "kafka/protocol/api_versions.h"
#include "kafka/protocol/byte_reader.h"
#include "store/manager/log_manager.h"

namespace topicfs::kafka {

class AdminApis {
 public:
  struct Options {
    int32_t node_id = 1;
    std::string host = "127.0.0.1";
    int32_t port = 9092;
    std::string cluster_id = "topicfs";
  };

  // `logs` must outlive this.
  AdminApis(store::LogManager& logs, Options options);

  static std::span<const ApiVersionRange> Served();
  static bool Serves(int16_t api_key);

  // `in` is positioned at the body of a request for one of Served().
  void Handle(Answer& answer, ByteReader& in);
  void set_port(int32_t port) { options_.port = port; }

 private:
  void HandleCreateTopics(Answer& answer, ByteReader& in);
  void HandleDeleteTopics(Answer& answer, ByteReader& in);
  void HandleCreatePartitions(Answer& answer, ByteReader& in);
  void HandleDescribeConfigs(Answer& answer, ByteReader& in);
  void HandleAlterConfigs(Answer& answer, ByteReader& in);
  void HandleIncrementalAlterConfigs(Answer& answer, ByteReader& in);
  void HandleDescribeCluster(Answer& answer, ByteReader& in);
  void HandleDescribeAcls(Answer& answer, ByteReader& in);
  void HandleDeleteRecords(Answer& answer, ByteReader& in);
  void HandleSaslHandshake(Answer& answer, ByteReader& in);
  void HandleInitProducerId(Answer& answer, ByteReader& in);
  // The broker resource's name: "" (cluster default) or this node's id.
  bool IsThisBroker(std::string_view name) const;

  store::LogManager& logs_;
  Options options_;
  // Producer ids handed out: the start time in ms, then counting up, so a
  // restart does not hand out an id again.
  std::atomic<int64_t> next_producer_id_;
};

}  // namespace topicfs::kafka
