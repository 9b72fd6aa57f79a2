#include "kafka/server/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/common/test_util.h"

namespace topicfs::kafka {
namespace {

// Answers each request by what it says:
//   "DELAY<ms>:<text>"  <text>, completed <ms> later from another thread
//   "NONE"              no response at all
//   "CLOSE"             closes the connection
//   "BIG<n>"            n bytes of 'x'
//   "FILE"              "head:" then the test file's bytes, as a file slice
//   "DROP"              the responder dropped without completing
//   anything else       itself
class FakeHandler : public RequestHandler {
 public:
  ~FakeHandler() override {
    for (auto& t : timers_) t.join();
  }
  void Handle(std::string request, Responder responder) override {
    if (request.rfind("DELAY", 0) == 0) {
      size_t colon = request.find(':');
      int ms = std::stoi(request.substr(5, colon - 5));
      std::string text = request.substr(colon + 1);
      store::MutexLock lock(&mu_);
      timers_.emplace_back([ms, text, r = std::move(responder)]() mutable {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        Response response;
        response.AddBytes(text);
        r.Send(std::move(response));
      });
      return;
    }
    if (request == "NONE") return responder.SendNothing();
    if (request == "CLOSE") return responder.CloseConnection();
    if (request == "DROP") return;
    Response response;
    if (request.rfind("BIG", 0) == 0) {
      response.AddBytes(std::string(std::stoul(request.substr(3)), 'x'));
    } else if (request == "FILE") {
      response.AddBytes("head:");
      response.AddSlice(FileSlice{file_fd, 2, 5, nullptr});
    } else {
      response.AddBytes(request);
    }
    responder.Send(std::move(response));
  }
  int file_fd = -1;

 private:
  store::Mutex mu_;
  std::vector<std::thread> timers_ GUARDED_BY(mu_);
};

std::string Frame(const std::string& body) {
  std::string f(4, '\0');
  uint32_t n = static_cast<uint32_t>(body.size());
  for (int i = 0; i < 4; ++i) f[i] = static_cast<char>(n >> (24 - 8 * i));
  return f + body;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }
  void Start(Server::Options options) {
    server_.reset();
    options.port = 0;
    options.workers = 2;
    auto bound = Server::Listen(options);
    ASSERT_TRUE(bound.ok()) << bound.status().message();
    server_ = std::move(bound).value();
    server_->Start(&handler_);
  }
  void TearDown() override {
    server_.reset();
    for (int fd : fds_) close(fd);
  }

  int Connect() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    fds_.push_back(fd);
    return fd;
  }
  static void SendAll(int fd, const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      ASSERT_GT(n, 0);
      done += static_cast<size_t>(n);
    }
  }
  // One response body; nullopt when the server closed the connection.
  static std::optional<std::string> ReadFrame(int fd) {
    std::string size = ReadExactly(fd, 4);
    if (size.size() < 4) return std::nullopt;
    uint32_t n = 0;
    for (char c : size) n = (n << 8) | static_cast<uint8_t>(c);
    std::string body = ReadExactly(fd, n);
    if (body.size() < n) return std::nullopt;
    return body;
  }
  static std::string ReadExactly(int fd, size_t n) {
    std::string out;
    char buf[65536];
    while (out.size() < n) {
      ssize_t got = recv(fd, buf, std::min(sizeof(buf), n - out.size()), 0);
      if (got <= 0) break;
      out.append(buf, static_cast<size_t>(got));
    }
    return out;
  }
  // Whether the server closed fd (end of file within the timeout).
  static bool ClosedByServer(int fd) {
    char c;
    return recv(fd, &c, 1, 0) == 0;
  }

  FakeHandler handler_;
  std::unique_ptr<Server> server_;
  std::vector<int> fds_;
};

TEST_F(ServerTest, AnswersAFramedRequest) {
  int fd = Connect();
  SendAll(fd, Frame("hello"));
  EXPECT_EQ(ReadFrame(fd), "hello");
}

TEST_F(ServerTest, PipelinedResponsesCompletedConcurrentlyComeBackInRequestOrder) {
  int fd = Connect();
  // The first completes last; the client still reads them in order.
  SendAll(fd, Frame("DELAY300:first") + Frame("DELAY0:second") + Frame("third"));
  EXPECT_EQ(ReadFrame(fd), "first");
  EXPECT_EQ(ReadFrame(fd), "second");
  EXPECT_EQ(ReadFrame(fd), "third");
}

TEST_F(ServerTest, ARequestAnsweredWithNothingDoesNotHoldTheNext) {
  int fd = Connect();
  SendAll(fd, Frame("NONE") + Frame("after"));
  EXPECT_EQ(ReadFrame(fd), "after");
}

TEST_F(ServerTest, RequestSplitAcrossWritesIsReassembled) {
  int fd = Connect();
  std::string f = Frame("split-me");
  for (char c : f) {
    SendAll(fd, std::string(1, c));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(ReadFrame(fd), "split-me");
}

TEST_F(ServerTest, OversizedFrameClosesOnlyThatConnection) {
  Server::Options options;
  options.max_request_bytes = 1024;
  Start(options);
  int bad = Connect();
  int good = Connect();
  SendAll(bad, std::string("\x00\x00\x08\x00", 4) + std::string(100, 'x'));
  EXPECT_TRUE(ClosedByServer(bad));
  SendAll(good, Frame(std::string(1024, 'y')));
  EXPECT_EQ(ReadFrame(good), std::string(1024, 'y'));
}

TEST_F(ServerTest, NegativeFrameSizeClosesTheConnection) {
  int fd = Connect();
  SendAll(fd, std::string("\xff\xff\xff\xfe", 4));
  EXPECT_TRUE(ClosedByServer(fd));
}

TEST_F(ServerTest, TruncatedFrameThenCloseLeavesTheServerServing) {
  int fd = Connect();
  SendAll(fd, std::string("\x00\x00\x00\x10", 4) + "abc");
  close(fd);
  fds_.pop_back();
  int next = Connect();
  SendAll(next, Frame("still here"));
  EXPECT_EQ(ReadFrame(next), "still here");
}

TEST_F(ServerTest, ClosingRequestClosesAfterTheResponsesBeforeIt) {
  int fd = Connect();
  SendAll(fd, Frame("DELAY100:before") + Frame("CLOSE") + Frame("never"));
  EXPECT_EQ(ReadFrame(fd), "before");
  EXPECT_EQ(ReadFrame(fd), std::nullopt);
}

TEST_F(ServerTest, DroppedResponderClosesTheConnection) {
  int fd = Connect();
  SendAll(fd, Frame("DROP"));
  EXPECT_TRUE(ClosedByServer(fd));
}

TEST_F(ServerTest, HalfClosedClientStillGetsItsResponses) {
  int fd = Connect();
  SendAll(fd, Frame("DELAY100:one") + Frame("two"));
  shutdown(fd, SHUT_WR);
  EXPECT_EQ(ReadFrame(fd), "one");
  EXPECT_EQ(ReadFrame(fd), "two");
  EXPECT_TRUE(ClosedByServer(fd));
}

TEST_F(ServerTest, FileSliceIsSentBetweenTheBytes) {
  topicfs::testing::TempDir dir;
  std::string path = dir.path() + "/slice";
  FILE* f = fopen(path.c_str(), "w");
  fputs("0123456789", f);
  fclose(f);
  handler_.file_fd = open(path.c_str(), O_RDONLY);
  int fd = Connect();
  SendAll(fd, Frame("FILE") + Frame("next"));
  EXPECT_EQ(ReadFrame(fd), "head:23456");
  EXPECT_EQ(ReadFrame(fd), "next");
  close(handler_.file_fd);
}

TEST_F(ServerTest, ClientThatNeverReadsDoesNotStallOthers) {
  int stalled = Connect();
  // Far more than the socket buffers hold: the server's writes would block.
  for (int i = 0; i < 32; ++i) SendAll(stalled, Frame("BIG1048576"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int other = Connect();
  auto start = std::chrono::steady_clock::now();
  SendAll(other, Frame("quick"));
  EXPECT_EQ(ReadFrame(other), "quick");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(ServerTest, ServesManyConnectionsConcurrently) {
  std::vector<int> clients;
  for (int i = 0; i < 300; ++i) clients.push_back(Connect());
  for (int i = 0; i < 300; ++i) SendAll(clients[i], Frame("c" + std::to_string(i)));
  for (int i = 0; i < 300; ++i) EXPECT_EQ(ReadFrame(clients[i]), "c" + std::to_string(i));
  EXPECT_EQ(server_->connection_count(), 300u);
}

TEST_F(ServerTest, StopClosesConnectionsAndLateResponsesAreDropped) {
  int fd = Connect();
  SendAll(fd, Frame("DELAY200:late"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server_->Stop();
  EXPECT_TRUE(ClosedByServer(fd));
}

}  // namespace
}  // namespace topicfs::kafka
