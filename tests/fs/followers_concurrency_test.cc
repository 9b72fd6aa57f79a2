// Followers under contention (CI runs these under ThreadSanitizer): readers
// parked on a follow view while writers append and cancels fly, every byte
// delivered once, in order, and no wake-up lost between a read finding the
// end and the read parking.

#include <fcntl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fs/filesystem.h"
#include "tests/fs/fs_fixture.h"

namespace topicfs::fs {
namespace {

class FollowersConcurrencyTest : public FsFixture {};

// One parked read's outcome, handed from the waking thread to the reader.
struct Parked {
  std::mutex mu;
  std::condition_variable cv;
  int state = 0;  // 0 waiting, 1 data, -1 cancelled

  void Set(bool data) {
    std::lock_guard lock(mu);
    state = data ? 1 : -1;
    cv.notify_all();
  }
  // False on a 10 s timeout: a lost wake-up.
  bool Await() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return state != 0; });
  }
};

TEST_F(FollowersConcurrencyTest, ParkedReadersSeeEveryAppendInOrder) {
  const uint64_t topic = MakeTopic("f");
  const uint64_t part = LookupIno(topic, "0");
  constexpr int kWriters = 3, kLinesPerWriter = 300, kReaders = 3;
  const size_t line_size = std::string("w0-0000\n").size();
  const size_t total = kWriters * kLinesPerWriter * line_size;

  std::atomic<int> lost_wakeups{0}, cancels{0};
  std::vector<std::string> seen(kReaders);
  std::vector<std::thread> threads;
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      uint64_t fh = 0;
      ASSERT_EQ(fs_->Open(LookupIno(topic, "0@0.."), O_RDONLY, &fh), 0);
      std::string part_read;
      int64_t pos = 0;
      int round = 0;
      while (seen[r].size() < total) {
        int err = fs_->Read(fh, pos, 97, &part_read);
        if (err == 0) {
          seen[r] += part_read;
          pos += static_cast<int64_t>(part_read.size());
          continue;
        }
        ASSERT_EQ(err, EAGAIN);
        auto parked = std::make_shared<Parked>();
        const uint64_t id = fs_->followers().Reserve();
        // Every third wait is interrupted from another thread, racing the wake.
        std::thread interrupter;
        if (++round % 3 == 0) {
          interrupter = std::thread([&, id] {
            if (fs_->followers().Cancel(id)) cancels++;
          });
        }
        bool ok = fs_->WaitForData(fh, pos, id, [parked](bool data) { parked->Set(data); });
        if (ok && !parked->Await()) lost_wakeups++;
        if (interrupter.joinable()) interrupter.join();
        if (lost_wakeups > 0) break;
      }
      EXPECT_EQ(fs_->Release(fh), 0);
    });
  }
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      uint64_t fh = 0;
      ASSERT_EQ(fs_->Open(part, O_WRONLY | O_APPEND, &fh), 0);
      for (int i = 0; i < kLinesPerWriter; ++i) {
        char line[16];
        std::snprintf(line, sizeof line, "w%d-%04d\n", w, i);
        size_t written = 0;
        ASSERT_EQ(fs_->Write(fh, line, &written), 0);
        if (i % 50 == 0) std::this_thread::yield();
      }
      EXPECT_EQ(fs_->Release(fh), 0);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(lost_wakeups, 0);
  const std::string all = Cat(part);
  ASSERT_EQ(all.size(), total);
  for (int r = 0; r < kReaders; ++r) EXPECT_EQ(seen[r], all) << "reader " << r;
  EXPECT_EQ(fs_->followers().parked(), 0u);
}

TEST_F(FollowersConcurrencyTest, ShutdownWakesEveryParkedReaderAndRefusesNewOnes) {
  const uint64_t topic = MakeTopic("s");
  uint64_t fh = 0;
  ASSERT_EQ(fs_->Open(LookupIno(topic, "0@end.."), O_RDONLY, &fh), 0);
  std::vector<std::shared_ptr<Parked>> parked;
  for (int i = 0; i < 20; ++i) {
    parked.push_back(std::make_shared<Parked>());
    auto p = parked.back();
    ASSERT_TRUE(fs_->WaitForData(fh, 0, fs_->followers().Reserve(), [p](bool d) { p->Set(d); }));
  }
  std::thread stopper([&] { fs_->Shutdown(); });
  stopper.join();
  for (auto& p : parked) {
    ASSERT_TRUE(p->Await());
    EXPECT_EQ(p->state, -1);
  }
  EXPECT_FALSE(fs_->WaitForData(fh, 0, fs_->followers().Reserve(), [](bool) {}));
  EXPECT_EQ(fs_->Release(fh), 0);
}

}  // namespace
}  // namespace topicfs::fs
