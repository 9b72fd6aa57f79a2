#include "kafka/server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace topicfs::kafka {

namespace {
constexpr uint64_t kListenerId = 0;
constexpr uint64_t kWakerId = 1;

std::string PeerName(const sockaddr_storage& addr) {
  char host[NI_MAXHOST] = "?";
  char port[NI_MAXSERV] = "?";
  getnameinfo(reinterpret_cast<const sockaddr*>(&addr), sizeof(addr), host, sizeof(host), port,
              sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
  return fmt::format("{}:{}", host, port);
}
}  // namespace

Server::Server(Options options)
    : options_(std::move(options)), waker_(std::make_shared<LoopWaker>()) {}

store::Result<std::unique_ptr<Server>> Server::Listen(Options options) {
  std::unique_ptr<Server> server(new Server(std::move(options)));
  if (!server->waker_->valid()) return store::Status::FromErrno("eventfd", "kafka listener");
  RETURN_IF_ERROR(server->Bind());
  return server;
}

void Server::Start(RequestHandler* handler) {
  handler_ = handler;
  pool_ = std::make_unique<WorkerPool>(options_.workers);
  loop_ = std::thread([this] { Loop(); });
}

store::Status Server::Bind() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(options_.port);
  int rc = getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    return store::Status::InvalidArgument(
        fmt::format("kafka listener address {}: {}", options_.host, gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, freeaddrinfo);
  std::string where = fmt::format("{}:{}", options_.host, options_.port);
  listen_fd_ = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return store::Status::FromErrno("socket", where);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(listen_fd_, found->ai_addr, found->ai_addrlen) != 0) {
    return store::Status::FromErrno("bind", where);
  }
  if (listen(listen_fd_, SOMAXCONN) != 0) return store::Status::FromErrno("listen", where);
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return store::Status::FromErrno("epoll_create1", where);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerId;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.u64 = kWakerId;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, waker_->fd(), &ev);
  return store::Status::Ok();
}

Server::~Server() {
  Stop();
  if (listen_fd_ >= 0) close(listen_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

void Server::Stop() {
  if (stopping_.exchange(true)) return;
  waker_->Poke();
  if (loop_.joinable()) loop_.join();
  if (pool_) pool_->Stop();
}

void Server::Loop() {
  epoll_event events[128];
  while (!stopping_.load()) {
    int n = epoll_wait(epoll_fd_, events, 128, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("kafka listener: epoll_wait: {}", strerror(errno));
      break;
    }
    for (int i = 0; i < n && !stopping_.load(); ++i) {
      uint64_t id = events[i].data.u64;
      if (id == kListenerId) {
        Accept();
      } else if (id == kWakerId) {
        for (uint64_t woken : waker_->Drain()) {
          auto it = connections_.find(woken);
          if (it != connections_.end()) Service(it->second, /*readable=*/false);
        }
      } else {
        auto it = connections_.find(id);
        if (it == connections_.end()) continue;
        if (events[i].events & (EPOLLERR | EPOLLHUP)) {
          // Both directions are gone (a half-close arrives as EPOLLIN and
          // end of file): nothing more can be written to it.
          Close(id, "");
          continue;
        }
        Service(it->second, (events[i].events & EPOLLIN) != 0);
      }
    }
  }
  for (auto& [id, connection] : connections_) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, connection->fd(), nullptr);
  connections_.clear();
  armed_.clear();
  connection_count_.store(0);
}

void Server::Accept() {
  for (;;) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        spdlog::warn("kafka listener: accept: {} (too many open files)", strerror(errno));
      }
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    uint64_t id = next_id_++;
    auto connection = std::make_shared<Connection>(fd, id, PeerName(addr), waker_);
    connections_.emplace(id, connection);
    connection_count_.store(connections_.size());
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = id;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    armed_[id] = EPOLLIN;
    spdlog::debug("kafka listener: connection from {}", connection->peer());
  }
}

void Server::Service(const std::shared_ptr<Connection>& connection, bool readable) {
  const uint64_t id = connection->id();
  if (readable) {
    switch (connection->ReadInput(options_.max_request_bytes)) {
      case Connection::ReadOutcome::kOpen:
        break;
      case Connection::ReadOutcome::kClosed:
        return Close(id, "");
      case Connection::ReadOutcome::kOversized:
        return Close(id, fmt::format("a request of {} bytes, over socket.request.max.bytes {}",
                                     connection->oversized_frame(), options_.max_request_bytes));
    }
  }
  connection->CollectCompleted();
  if (!connection->WriteOutput()) return Close(id, "");
  if (auto next = connection->NextRequest(options_.max_queued_output_bytes)) {
    HandOver(connection, next->first, std::move(next->second));
  }
  if (connection->finished()) return Close(id, "");
  Arm(*connection);
}

void Server::HandOver(const std::shared_ptr<Connection>& connection, uint64_t sequence, std::string request) {
  pool_->Submit([this, connection, sequence, request = std::move(request)]() mutable {
    handler_->Handle(std::move(request), Responder(connection, sequence));
    // The connection's next request, if one waits, goes to the back of the
    // pool's queue (connections take turns), not through the loop.
    if (auto next = connection->HandlerReturned(options_.max_queued_output_bytes)) {
      HandOver(connection, next->first, std::move(next->second));
    }
  });
}

void Server::Arm(Connection& connection) {
  uint32_t want = (connection.wants_read(options_.max_queued_output_bytes) ? uint32_t{EPOLLIN} : 0u) |
                  (connection.wants_write() ? uint32_t{EPOLLOUT} : 0u);
  uint32_t& armed = armed_[connection.id()];
  if (want == armed) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = connection.id();
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, connection.fd(), &ev);
  armed = want;
}

void Server::Close(uint64_t id, const std::string& why) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  if (!why.empty()) {
    spdlog::warn("kafka listener: closing the connection from {}: {}", it->second->peer(), why);
  }
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second->fd(), nullptr);
  connections_.erase(it);
  armed_.erase(id);
  connection_count_.store(connections_.size());
}

}  // namespace topicfs::kafka
