#pragma once
// The Kafka APIs over the store: a single-node broker, this node the leader
// of every partition of the LogManager's topics. The server hands it each
// request; it reads the header, checks the API and version against what it
// serves (api_versions_handler.cc), and runs that API's handler, one file
// per API (metadata_handler.cc, produce_handler.cc, ...).
//
// What is not served: an ApiVersions version we do not know is answered
// with UNSUPPORTED_VERSION and our ranges in a v0 body (the client
// retries); any other unknown API or version, and a request that does not
// decode, closes the connection with a log line, as a Kafka broker does.
//
// Thread safety: Handle runs on the server's workers, concurrently for
// different connections; the store's classes are thread-safe. Long-polling
// fetches wait in delayed_fetches_, completed from its thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kafka/broker/admin_apis.h"
#include "kafka/broker/delayed_fetches.h"
#include "kafka/broker/group_apis.h"
#include "kafka/protocol/byte_reader.h"
#include "kafka/protocol/request_header.h"
#include "kafka/server/request_handler.h"
#include "store/groups/group_coordinator.h"
#include "store/manager/log_manager.h"

namespace topicfs::kafka {

class Broker : public RequestHandler {
 public:
  struct Options {
    int32_t node_id = 1;
    // What Metadata tells clients to connect to: the listener's address.
    std::string advertised_host = "127.0.0.1";
    int32_t advertised_port = 9092;
    // Kafka's auto.create.topics.enable: a Metadata request naming a topic
    // that does not exist creates it with the data directory's defaults.
    bool auto_create_topics = true;
    std::string cluster_id = "topicfs";
    // Told after each Produce appended to a log, so that the other front
    // end wakes its readers (the mount's `tail -f` and `@end..` followers).
    // Called on a worker thread; may be unset.
    std::function<void(const store::Log&)> on_append;
    // The group APIs' coordinator (it must outlive the broker); without
    // one, group requests close their connection.
    store::GroupCoordinator* groups = nullptr;
  };

  Broker(store::LogManager* logs, Options options);
  ~Broker() override;

  void Handle(std::string request, Responder responder) override;
  // Completes the fetches still waiting (with what they have), so that the
  // server can stop; call before the server's Stop.
  // The same for waiting JoinGroup and SyncGroup requests.
  void Stop() {
    delayed_fetches_.Stop();
    if (groups_) groups_->Stop();
  }
  // The advertised port, once the listener knows it (port 0 in tests).
  void set_advertised_port(int32_t port) {
    options_.advertised_port = port;
    if (groups_) groups_->set_port(port);
    admin_.set_port(port);
  }

 private:
  // One request being handled: its header, the reader positioned at its
  // body, and the bytes both point into.
  struct Call {
    std::string request;
    RequestHeader header;
    Responder responder;
  };
  // Sends header + body.
  static void Reply(Call& call, std::string body);
  static void Refuse(Call& call, const std::string& why);

  void HandleApiVersions(Call& call, ByteReader& in);
  void HandleMetadata(Call& call, ByteReader& in);
  void HandleProduce(Call& call, ByteReader& in);
  void HandleFetch(std::shared_ptr<Call> call, ByteReader& in);
  // Answers the fetch if it has min_bytes (or an error, or final is set);
  // false, answering nothing, when it should wait for more.
  bool TryAnswerFetch(Call& call, const struct FetchRequest& request, bool final);
  void HandleListOffsets(Call& call, ByteReader& in);

  store::LogManager* const logs_;
  Options options_;
  DelayedFetches delayed_fetches_;
  // The group APIs (group_apis.h), the admin APIs (admin_apis.h).
  std::unique_ptr<GroupApis> groups_;
  AdminApis admin_;
};

}  // namespace topicfs::kafka
