#pragma once
// One client connection: its socket, the requests read from it and not yet
// handed to the handler, the responses completed out of order, and the
// bytes and file slices waiting to be written in order.
//
// Two sides, two rules. The event loop alone reads and writes the socket
// and touches the input and output (the methods marked "loop"); workers and
// timers only complete requests (Complete) and report a handler returned
// (HandlerReturned), under mu_, and wake the loop. Responses leave in
// request order: a completion waits in completed_ until every request
// before it has completed. The framed requests are shared, under mu_: the
// loop adds them, and the worker whose handler returned takes the next one
// itself, so requests that arrived together (a producer's in-flight
// batches) are handled back to back without a round trip through the loop.

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "kafka/server/loop_waker.h"
#include "kafka/server/response.h"
#include "store/base/mutex.h"

namespace topicfs::kafka {

// How a request ended.
struct Completion {
  enum class Kind { kResponse, kNothing, kClose };
  Kind kind = Kind::kResponse;
  Response response;
};

class Connection {
 public:
  Connection(int fd, uint64_t id, std::string peer, std::shared_ptr<LoopWaker> waker);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uint64_t id() const { return id_; }
  int fd() const { return fd_; }
  const std::string& peer() const { return peer_; }

  // ---- any thread ----
  void Complete(uint64_t sequence, Completion completion) EXCLUDES(mu_);
  // The handler of the request in hand returned: the next request to hand
  // to the handler, with its sequence number, if one waits and output is
  // not backed up (the caller hands it over and the connection stays
  // busy); otherwise the connection is free and the loop is woken to look.
  std::optional<std::pair<uint64_t, std::string>> HandlerReturned(size_t max_output_bytes)
      EXCLUDES(mu_);

  // ---- loop ----
  enum class ReadOutcome { kOpen, kClosed, kOversized };
  // Reads what the socket has (up to a bound, so one busy client cannot
  // keep the loop) and splits it into frames. kOversized: a frame's size
  // field is negative or over max_frame (oversized_frame() tells which).
  ReadOutcome ReadInput(int64_t max_frame);
  int64_t oversized_frame() const { return oversized_frame_; }
  // The next request to hand to the handler, with its sequence number, if
  // none of this connection's is being handled and output is not backed up.
  std::optional<std::pair<uint64_t, std::string>> NextRequest(size_t max_output_bytes)
      EXCLUDES(mu_);
  // Moves the completions that are next in order to the output (nothing
  // after one that asked to close).
  void CollectCompleted() EXCLUDES(mu_);
  // Writes queued output until the socket would block. False on an error
  // (the peer went away).
  bool WriteOutput();
  bool wants_write() const { return !output_.empty(); }
  bool wants_read(size_t max_output_bytes) EXCLUDES(mu_);
  // Whether the connection is done: a completion asked to close and what
  // came before it is written, or the peer closed its side and every
  // request it sent is answered.
  bool finished() EXCLUDES(mu_);

 private:
  void QueueResponse(Response response);
  // Takes the next request if one waits and nothing holds it back.
  std::optional<std::pair<uint64_t, std::string>> TakeRequest(size_t max_output_bytes) REQUIRES(mu_);

  const int fd_;
  const uint64_t id_;
  const std::string peer_;
  const std::shared_ptr<LoopWaker> waker_;

  // Loop only.
  std::string input_;
  uint64_t next_write_sequence_ = 0;
  std::deque<std::variant<std::string, FileSlice>> output_;
  size_t output_front_done_ = 0;  // bytes of output_.front() already written
  int64_t oversized_frame_ = 0;
  bool peer_closed_ = false;
  // Written by the loop alone; read by a worker deciding whether to take
  // the next request.
  std::atomic<int64_t> output_bytes_{0};
  std::atomic<bool> close_after_output_{false};

  store::Mutex mu_;
  std::map<uint64_t, Completion> completed_ GUARDED_BY(mu_);
  std::deque<std::string> requests_ GUARDED_BY(mu_);  // framed, not yet handed over
  uint64_t next_request_sequence_ GUARDED_BY(mu_) = 0;
  bool handler_busy_ GUARDED_BY(mu_) = false;
};

}  // namespace topicfs::kafka
