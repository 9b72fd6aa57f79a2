#include "kafka/server/responder.h"

#include "kafka/server/connection.h"

namespace topicfs::kafka {

Responder::Responder(Responder&& other) noexcept
    : connection_(std::move(other.connection_)), sequence_(other.sequence_), done_(other.done_) {
  other.done_ = true;
}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (!done_) CloseConnection();
    connection_ = std::move(other.connection_);
    sequence_ = other.sequence_;
    done_ = other.done_;
    other.done_ = true;
  }
  return *this;
}

Responder::~Responder() {
  if (!done_) CloseConnection();
}

void Responder::Send(Response response) {
  if (done_) return;
  done_ = true;
  if (auto c = connection_.lock()) {
    c->Complete(sequence_, Completion{Completion::Kind::kResponse, std::move(response)});
  }
}

void Responder::SendNothing() {
  if (done_) return;
  done_ = true;
  if (auto c = connection_.lock()) c->Complete(sequence_, Completion{Completion::Kind::kNothing, {}});
}

void Responder::CloseConnection() {
  if (done_) return;
  done_ = true;
  if (auto c = connection_.lock()) c->Complete(sequence_, Completion{Completion::Kind::kClose, {}});
}

}  // namespace topicfs::kafka
