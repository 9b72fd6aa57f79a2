#include "kafka/server/connection.h"

#include <errno.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace topicfs::kafka {

namespace {
// Read per wakeup before the loop serves others.
constexpr size_t kMaxReadPerWakeup = 4 << 20;
// Requests read ahead of the handler before the loop stops reading.
constexpr size_t kMaxQueuedRequests = 64;
}  // namespace

Connection::Connection(int fd, uint64_t id, std::string peer, std::shared_ptr<LoopWaker> waker)
    : fd_(fd), id_(id), peer_(std::move(peer)), waker_(std::move(waker)) {}

Connection::~Connection() { close(fd_); }

void Connection::Complete(uint64_t sequence, Completion completion) {
  {
    store::MutexLock lock(&mu_);
    completed_.emplace(sequence, std::move(completion));
  }
  waker_->Wake(id_);
}

std::optional<std::pair<uint64_t, std::string>> Connection::HandlerReturned(size_t max_output_bytes) {
  std::optional<std::pair<uint64_t, std::string>> next;
  bool wake = true;
  {
    store::MutexLock lock(&mu_);
    // The loop stops reading a connection whose queue is full: taking from
    // it is news the loop needs, as is a connection left free.
    const bool was_full = requests_.size() >= kMaxQueuedRequests;
    handler_busy_ = false;
    next = TakeRequest(max_output_bytes);
    wake = !next || was_full;
  }
  if (wake) waker_->Wake(id_);
  return next;
}

std::optional<std::pair<uint64_t, std::string>> Connection::TakeRequest(size_t max_output_bytes) {
  if (requests_.empty() || handler_busy_ || close_after_output_.load(std::memory_order_relaxed)) {
    return std::nullopt;
  }
  if (output_bytes_.load(std::memory_order_relaxed) > static_cast<int64_t>(max_output_bytes)) {
    return std::nullopt;
  }
  handler_busy_ = true;
  std::pair<uint64_t, std::string> next(next_request_sequence_++, std::move(requests_.front()));
  requests_.pop_front();
  return next;
}

Connection::ReadOutcome Connection::ReadInput(int64_t max_frame) {
  size_t read_now = 0;
  size_t queued = 0;
  {
    store::MutexLock lock(&mu_);
    queued = requests_.size();
  }
  std::vector<std::string> framed;
  char buf[64 * 1024];
  auto outcome = ReadOutcome::kOpen;
  while (read_now < kMaxReadPerWakeup && queued + framed.size() < kMaxQueuedRequests) {
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n == 0) {
      peer_closed_ = true;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      outcome = ReadOutcome::kClosed;
      break;
    }
    input_.append(buf, static_cast<size_t>(n));
    read_now += static_cast<size_t>(n);
    // Split as we go, so an oversized frame is refused before it is read.
    size_t at = 0;
    while (input_.size() - at >= 4) {
      const auto* p = reinterpret_cast<const unsigned char*>(input_.data() + at);
      int32_t size = static_cast<int32_t>((uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
                                          (uint32_t{p[2]} << 8) | uint32_t{p[3]});
      if (size < 0 || size > max_frame) {
        oversized_frame_ = size;
        return ReadOutcome::kOversized;
      }
      if (input_.size() - at - 4 < static_cast<size_t>(size)) break;
      framed.push_back(input_.substr(at + 4, static_cast<size_t>(size)));
      at += 4 + static_cast<size_t>(size);
    }
    input_.erase(0, at);
  }
  if (outcome == ReadOutcome::kOpen && !framed.empty()) {
    store::MutexLock lock(&mu_);
    for (auto& request : framed) requests_.push_back(std::move(request));
  }
  return outcome;
}

std::optional<std::pair<uint64_t, std::string>> Connection::NextRequest(size_t max_output_bytes) {
  store::MutexLock lock(&mu_);
  return TakeRequest(max_output_bytes);
}

void Connection::CollectCompleted() {
  for (;;) {
    Completion c;
    {
      store::MutexLock lock(&mu_);
      auto it = completed_.find(next_write_sequence_);
      if (it == completed_.end()) return;
      c = std::move(it->second);
      completed_.erase(it);
    }
    ++next_write_sequence_;
    if (close_after_output_.load(std::memory_order_relaxed)) continue;  // nothing after a close is sent
    switch (c.kind) {
      case Completion::Kind::kResponse:
        QueueResponse(std::move(c.response));
        break;
      case Completion::Kind::kNothing:
        break;
      case Completion::Kind::kClose:
        close_after_output_.store(true, std::memory_order_relaxed);
        break;
    }
  }
}

void Connection::QueueResponse(Response response) {
  int64_t size = response.size();
  std::string frame(4, '\0');
  for (int i = 0; i < 4; ++i) frame[i] = static_cast<char>(static_cast<uint32_t>(size) >> (24 - 8 * i));
  bool first = true;
  for (auto& part : response.parts) {
    // The size goes in front of the first bytes part, saving a write.
    if (first) {
      first = false;
      if (auto* bytes = std::get_if<std::string>(&part)) {
        frame.append(*bytes);
        continue;
      }
    }
    if (auto* bytes = std::get_if<std::string>(&part)) {
      if (bytes->empty()) continue;
    } else if (std::get<FileSlice>(part).length == 0) {
      continue;
    }
    if (!frame.empty()) {
      output_bytes_ += static_cast<int64_t>(frame.size());
      output_.emplace_back(std::move(frame));
      frame.clear();
    }
    output_bytes_ += std::holds_alternative<std::string>(part)
                         ? static_cast<int64_t>(std::get<std::string>(part).size())
                         : std::get<FileSlice>(part).length;
    output_.push_back(std::move(part));
  }
  if (!frame.empty()) {
    output_bytes_ += static_cast<int64_t>(frame.size());
    output_.emplace_back(std::move(frame));
  }
}

bool Connection::WriteOutput() {
  while (!output_.empty()) {
    auto& front = output_.front();
    ssize_t n;
    if (auto* bytes = std::get_if<std::string>(&front)) {
      n = send(fd_, bytes->data() + output_front_done_, bytes->size() - output_front_done_,
               MSG_NOSIGNAL);
      if (n > 0) {
        output_front_done_ += static_cast<size_t>(n);
        output_bytes_ -= n;
        if (output_front_done_ == bytes->size()) {
          output_.pop_front();
          output_front_done_ = 0;
        }
        continue;
      }
    } else {
      auto& slice = std::get<FileSlice>(front);
      off_t offset = slice.offset;
      n = sendfile(fd_, slice.fd, &offset, static_cast<size_t>(slice.length));
      if (n > 0) {
        slice.offset += n;
        slice.length -= n;
        output_bytes_ -= n;
        if (slice.length == 0) output_.pop_front();
        continue;
      }
      // A file shorter than the slice (it cannot be: slices cover whole
      // batches already written) would leave the frame short: give up.
      if (n == 0) return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    return false;
  }
  return true;
}

bool Connection::finished() {
  if (close_after_output_.load(std::memory_order_relaxed)) return output_.empty();
  // A peer that closed its side still gets the responses to what it sent
  // in whole frames (scripts write, shut down, then read); a partial frame
  // at the end is dropped with the connection.
  if (!peer_closed_ || !output_.empty()) return false;
  store::MutexLock lock(&mu_);
  return requests_.empty() && !handler_busy_ && completed_.empty() &&
         next_write_sequence_ == next_request_sequence_;
}

bool Connection::wants_read(size_t max_output_bytes) {
  if (peer_closed_ || close_after_output_.load(std::memory_order_relaxed)) return false;
  if (output_bytes_.load(std::memory_order_relaxed) > static_cast<int64_t>(max_output_bytes)) return false;
  store::MutexLock lock(&mu_);
  return requests_.size() < kMaxQueuedRequests;
}

}  // namespace topicfs::kafka
