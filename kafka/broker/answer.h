#pragma once
// How the group and admin handlers answer a request: the response body,
// sent behind the request's response header, now or later from another
// thread (a JoinGroup answered when the rebalance completes). Shared, so a
// coordinator callback can hold it; it sends at most once, and one dropped
// unanswered closes its connection (Responder's rule).
//
// Thread safety: Send and Refuse may be called from any thread, once.

#include <cstdint>
#include <memory>
#include <string>

#include "kafka/protocol/request_header.h"
#include "kafka/server/responder.h"

namespace topicfs::kafka {

class Answer {
 public:
  Answer(const RequestHeader& header, Responder responder);

  int16_t api_key() const { return api_key_; }
  int16_t version() const { return version_; }
  const std::string& client_id() const { return client_id_; }
  // Sends header + body.
  void Send(std::string body);
  // A request that does not decode: logs why and closes the connection.
  void Refuse(const std::string& why);

 private:
  int16_t api_key_;
  int16_t version_;
  int32_t correlation_id_;
  std::string client_id_;
  Responder responder_;
};

using AnswerPtr = std::shared_ptr<Answer>;

}  // namespace topicfs::kafka
