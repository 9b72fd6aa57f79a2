#include "mountd/stopper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace topicfs::mountd {
namespace {

constexpr int kStopSignals[] = {SIGTERM, SIGINT, SIGHUP};
constexpr char kQuit = 'q';  // written by the destructor: the thread exits
int request_fd = -1;         // the pipe's write end, for the signal handler

void OnStopSignal(int sig) {
  const int saved = errno;
  const char byte = static_cast<char>(sig);
  (void)!::write(request_fd, &byte, 1);
  errno = saved;
}

// Only interrupts a blocking call in the main thread (no SA_RESTART).
void OnWake(int) {}

void SetHandler(int sig, void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  ::sigaction(sig, &sa, nullptr);
}

}  // namespace

Stopper::Stopper(fuse_session* se, fs::Filesystem& filesystem)
    : se_(se), filesystem_(filesystem), main_thread_(::pthread_self()) {
  if (::pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    pipe_[0] = pipe_[1] = -1;
    return;
  }
  request_fd = pipe_[1];
  for (int sig : kStopSignals) SetHandler(sig, OnStopSignal);
  SetHandler(SIGUSR1, OnWake);
  SetHandler(SIGPIPE, SIG_IGN);
}

Stopper::~Stopper() {
  if (thread_.joinable()) {
    (void)!::write(pipe_[1], &kQuit, 1);
    thread_.join();
  }
  for (int sig : kStopSignals) SetHandler(sig, SIG_DFL);
  SetHandler(SIGUSR1, SIG_DFL);
  request_fd = -1;
  for (int fd : pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

void Stopper::Start() {
  if (!ok()) return;
  // The thread takes no signal: they all go to the main thread.
  sigset_t all;
  sigset_t before;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &before);
  thread_ = std::thread([this] { Run(); });
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

void Stopper::Request(const std::string& why) {
  spdlog::info("{}: stopping", why);
  const char zero = 0;
  (void)!::write(pipe_[1], &zero, 1);
}

void Stopper::Run() {
  char byte = 0;
  for (;;) {
    pollfd p{pipe_[0], POLLIN, 0};
    if (::poll(&p, 1, -1) < 0 && errno != EINTR) return;
    if (::read(pipe_[0], &byte, 1) == 1) break;
  }
  if (byte == kQuit) return;
  if (byte != 0) spdlog::info("{}: stopping", ::strsignal(byte));
  filesystem_.Shutdown();
  const auto deadline = std::chrono::steady_clock::now() + kGrace;
  while (filesystem_.OpenFollowViews() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  fuse_session_exit(se_);
  // Again until the loop has returned: a wake that lands between its check
  // of fuse_session_exited and its wait would be lost.
  while (!loop_ended_.load()) {
    ::pthread_kill(main_thread_, SIGUSR1);
    pollfd p{pipe_[0], POLLIN, 0};
    if (::poll(&p, 1, 50) > 0 && ::read(pipe_[0], &byte, 1) == 1 && byte == kQuit) return;
  }
}

}  // namespace topicfs::mountd
