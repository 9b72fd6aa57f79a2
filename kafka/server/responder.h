#pragma once
// The handle a RequestHandler completes one request with, exactly once,
// from any thread, now or later (a long-polling Fetch completes from a
// timer). The connection writes responses in request order whatever order
// they complete in, as Kafka clients, which pipeline requests, require.
// A responder dropped without completing closes its connection: a
// request left unanswered would stall every later response on it.
//
// Thread safety: one thread at a time per responder (it is moved, not
// shared); completions from different responders may race.

#include <cstdint>
#include <memory>

#include "kafka/server/response.h"

namespace topicfs::kafka {

class Connection;

class Responder {
 public:
  Responder(std::weak_ptr<Connection> connection, uint64_t sequence)
      : connection_(std::move(connection)), sequence_(sequence) {}
  Responder(Responder&& other) noexcept;
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  // The response to send (the server adds the size in front).
  void Send(Response response);
  // No response at all (a Produce with acks=0): later responses go on.
  void SendNothing();
  // Closes the connection once the responses before this one are written
  // (a request that cannot be parsed: Kafka closes the connection).
  void CloseConnection();
  bool done() const { return done_; }

 private:
  std::weak_ptr<Connection> connection_;
  uint64_t sequence_ = 0;
  bool done_ = false;
};

}  // namespace topicfs::kafka
