#pragma once
// The daemon's Kafka front end: the listener (kafka/server) bound before
// the daemon detaches, so that an address in use is reported in the
// foreground, and the broker (kafka/broker) started after, since a fork
// keeps no threads. Stopped before the store closes.

#include <functional>
#include <memory>
#include <string>

#include "kafka/broker/broker.h"
#include "kafka/server/server.h"
#include "store/base/status.h"
#include "store/groups/group_coordinator.h"
#include "store/manager/group_offsets.h"
#include "store/manager/log_manager.h"

namespace topicfs::mountd {

class KafkaListener {
 public:
  // Binds host:port; logs a warning for a non-loopback address.
  static store::Result<std::unique_ptr<KafkaListener>> Bind(const std::string& host, int port);
  ~KafkaListener() { Stop(); }

  // Starts serving the topics of `logs` and the consumer groups of
  // `groups` (both must outlive the listener; groups may be null: no
  // group APIs). on_append (may be unset) is told of each log a Produce
  // appended to.
  void Start(store::LogManager* logs, store::GroupOffsets* groups,
             std::function<void(const store::Log&)> on_append = {});
  // Answers waiting fetches, closes every connection, joins the threads.
  void Stop();
  int port() const { return server_->port(); }

 private:
  KafkaListener(std::string host, std::unique_ptr<kafka::Server> server)
      : host_(std::move(host)), server_(std::move(server)) {}

  const std::string host_;
  std::unique_ptr<kafka::Server> server_;
  // The group coordinator the broker's group APIs use, over `groups`.
  std::unique_ptr<store::GroupCoordinator> coordinator_;
  std::unique_ptr<kafka::Broker> broker_;
};

}  // namespace topicfs::mountd
