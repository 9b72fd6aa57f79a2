#pragma once
// The Kafka listener's network layer, free of any API: one event loop
// thread (epoll) accepts connections, frames requests (int32 size, then
// the request), hands them to a RequestHandler on a bounded worker pool,
// and writes responses back in request order with non-blocking writes and
// per-connection output queues, so a slow or dead client never stalls the
// others. A frame over max_request_bytes (Kafka's socket.request.max.bytes)
// closes its connection with a log line.
//
// Thread safety: Listen, Start and Stop from the owner; the handler is called from
// the worker threads; port() from anywhere.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "kafka/server/connection.h"
#include "kafka/server/loop_waker.h"
#include "kafka/server/request_handler.h"
#include "kafka/server/worker_pool.h"
#include "store/base/status.h"

namespace topicfs::kafka {

class Server {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 9092;  // 0: any free port (port() tells which)
    int64_t max_request_bytes = 100 << 20;  // socket.request.max.bytes
    int workers = 4;
    // Output queued on one connection beyond which it is read no further
    // until its client catches up.
    size_t max_queued_output_bytes = 64 << 20;
  };

  // Binds and listens (kIoError with the errno if the address is taken)
  // without starting a thread, so that a daemon binds before it forks.
  static store::Result<std::unique_ptr<Server>> Listen(Options options);
  // Starts the loop and the workers; handler must outlive the server.
  void Start(RequestHandler* handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Closes the listener and every connection, waits for running handlers.
  // Responders completed later find their connection gone.
  void Stop();
  int port() const { return port_; }
  // Connections open now (for tests and status).
  size_t connection_count() const { return connection_count_.load(); }

 private:
  explicit Server(Options options);
  store::Status Bind();
  void Loop();
  void Accept();
  // Everything a connection may need after an event: read, hand over,
  // collect completions, write, re-arm epoll; closes it when it is done.
  void Service(const std::shared_ptr<Connection>& connection, bool readable);
  // Runs the request on the pool, then the connection's next if one waits.
  void HandOver(const std::shared_ptr<Connection>& connection, uint64_t sequence, std::string request);
  void Close(uint64_t id, const std::string& why);
  void Arm(Connection& connection);

  const Options options_;
  RequestHandler* handler_ = nullptr;
  std::shared_ptr<LoopWaker> waker_;
  std::unique_ptr<WorkerPool> pool_;  // made by Start
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int port_ = 0;
  std::thread loop_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> connection_count_{0};
  // Loop only.
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;
  std::map<uint64_t, uint32_t> armed_;  // the epoll events each connection waits for
  uint64_t next_id_ = 2;  // 0: the listener, 1: the waker
};

}  // namespace topicfs::kafka
