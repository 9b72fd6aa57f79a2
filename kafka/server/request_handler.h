#pragma once
// What the server hands each request to: the API layer (kafka/broker), or
// a fake in the server's tests. Handle runs on a worker thread; the
// requests of one connection are handed over one at a time, in order
// (Handle of the next starts after Handle of the previous returned), so
// two Produce requests on one connection append in the order sent. A
// handler may keep the responder and complete it later from another thread.

#include <string>

#include "kafka/server/responder.h"

namespace topicfs::kafka {

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // `request` is one frame without its size: header, then body.
  virtual void Handle(std::string request, Responder responder) = 0;
};

}  // namespace topicfs::kafka
