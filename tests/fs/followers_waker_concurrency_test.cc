// Followers' waker (CI runs these under ThreadSanitizer): an append hands
// its wakes to the waker thread and returns without running them; only the
// waiters of the appended log, and only those its end passed, are woken;
// every callback runs exactly once, whatever races it; Shutdown leaves
// nothing running or pending; a waiter with a deadline is woken without
// data when it passes, unless data came first.

#include <fcntl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fs/filesystem.h"
#include "tests/fs/fs_fixture.h"

namespace topicfs::fs {
namespace {

using std::chrono::milliseconds;

// What one waiter's callback saw. Shared with the callback, so that a wake
// after the test body ended would not touch a dead stack frame.
struct Seen {
  std::atomic<int> with_data{0};
  std::atomic<int> without_data{0};
  std::atomic<int> running{0};
  std::atomic<bool> on_waker_thread{false};
  int calls() const { return with_data + without_data; }
};

class FollowersWakerConcurrencyTest : public FsFixture {
 protected:
  void SetUp() override {
    FsFixture::SetUp();
    topic_ = MakeTopic("t");
    ASSERT_EQ(fs_->SetXattr(topic_, "user.topicfs.partitions", "3"), 0);
  }
  const store::Log* Log(int32_t partition) { return manager_->GetLog("t", partition).get(); }
  store::Offset End(int32_t partition) { return Log(partition)->log_end_offset(); }
  uint64_t Writer(int32_t partition) {
    return OpenFile(LookupIno(topic_, std::to_string(partition)), O_WRONLY | O_APPEND);
  }
  void Write(uint64_t fh, std::string_view data) {
    size_t written = 0;
    ASSERT_EQ(fs_->Write(fh, data, &written), 0);
  }
  // Parks a waiter on `partition` at `at` that records what it saw.
  uint64_t Park(int32_t partition, store::Offset at, std::shared_ptr<Seen> seen) {
    const uint64_t id = fs_->followers().Reserve();
    EXPECT_TRUE(fs_->followers().Wait(id, Log(partition), at, [seen](bool data) {
      (data ? seen->with_data : seen->without_data)++;
    }));
    return id;
  }

  uint64_t topic_ = 0;
};

TEST_F(FollowersWakerConcurrencyTest, NotifyReturnsBeforeSlowCallbacksRun) {
  const uint64_t writer = Writer(0);
  auto seen = std::make_shared<Seen>();
  auto release = std::make_shared<std::latch>(1);
  auto writer_thread = std::make_shared<std::atomic<std::thread::id>>();
  const uint64_t id = fs_->followers().Reserve();
  ASSERT_TRUE(fs_->followers().Wait(id, Log(0), End(0), [=](bool data) {
    seen->on_waker_thread = std::this_thread::get_id() != writer_thread->load();
    seen->running++;
    release->wait();  // a reply that takes as long as the test wants
    (data ? seen->with_data : seen->without_data)++;
    seen->running--;
  }));

  std::atomic<int> writes_returned{0};
  std::thread writing([&] {
    writer_thread->store(std::this_thread::get_id());
    Write(writer, "first\n");
    writes_returned++;
    Write(writer, "second\n");
    writes_returned++;
  });
  // Both writes return while the callback the first one woke is blocked.
  EXPECT_TRUE(Eventually([&] { return writes_returned == 2; })) << "the writer waited for a callback";
  ASSERT_TRUE(Eventually([&] { return seen->running == 1; })) << "the wake was not delivered";
  EXPECT_TRUE(seen->on_waker_thread);
  EXPECT_EQ(seen->calls(), 0);
  // Taken by the waker already: a late INTERRUPT finds nothing to cancel.
  EXPECT_FALSE(fs_->followers().Cancel(id));

  release->count_down();
  writing.join();
  ASSERT_TRUE(Eventually([&] { return seen->calls() == 1; }));
  EXPECT_EQ(seen->with_data, 1);
  EXPECT_EQ(fs_->followers().parked(), 0u);
  EXPECT_EQ(fs_->Release(writer), 0);
}

TEST_F(FollowersWakerConcurrencyTest, NotifyWakesOnlyWaitersOfThatLog) {
  std::vector<std::shared_ptr<Seen>> seen;
  std::vector<uint64_t> ids;
  for (int32_t p = 0; p < 3; ++p) {
    seen.push_back(std::make_shared<Seen>());
    ids.push_back(Park(p, End(p), seen.back()));
  }
  Append(LookupIno(topic_, "1"), "to partition 1\n");
  ASSERT_TRUE(Eventually([&] { return seen[1]->calls() == 1; }));
  Append(LookupIno(topic_, "0"), "to partition 0\n");
  ASSERT_TRUE(Eventually([&] { return seen[0]->calls() == 1; }));
  // The waker delivers in order of notification, so partition 2's waiter
  // would have been woken by now had either append touched it.
  EXPECT_EQ(seen[2]->calls(), 0);
  EXPECT_EQ(fs_->followers().parked(), 1u);
  EXPECT_TRUE(fs_->followers().Cancel(ids[2]));
  EXPECT_EQ(seen[0]->with_data, 1);
  EXPECT_EQ(seen[1]->with_data, 1);
  EXPECT_EQ(seen[2]->without_data, 1);
  for (const auto& s : seen) EXPECT_EQ(s->calls(), 1);
}

TEST_F(FollowersWakerConcurrencyTest, NotifyWakesOnlyWaitersWhoseOffsetTheEndPassed) {
  const uint64_t writer = Writer(0);
  const store::Offset end = End(0);
  auto now = std::make_shared<Seen>(), later = std::make_shared<Seen>();
  const uint64_t later_id = Park(0, store::Offset(end.value + 100), later);
  Park(0, end, now);
  Write(writer, "ten bytes\n");
  ASSERT_TRUE(Eventually([&] { return now->calls() == 1; }));
  EXPECT_EQ(later->calls(), 0);
  EXPECT_EQ(fs_->followers().parked(), 1u);
  Write(writer, std::string(99, 'x') + "\n");
  ASSERT_TRUE(Eventually([&] { return later->calls() == 1; }));
  EXPECT_EQ(now->with_data, 1);
  EXPECT_EQ(later->with_data, 1);
  EXPECT_FALSE(fs_->followers().Cancel(later_id));
  EXPECT_EQ(fs_->Release(writer), 0);
}

TEST_F(FollowersWakerConcurrencyTest, SignalAfterReplyHoldsTheWakeUntilTheScopeEnds) {
  const uint64_t writer = Writer(0);
  // A first wake starts the waker; once it is done, the waker sleeps.
  auto first = std::make_shared<Seen>();
  Park(0, End(0), first);
  Write(writer, "starts the waker\n");
  ASSERT_TRUE(Eventually([&] { return first->calls() == 1; }));
  std::this_thread::sleep_for(milliseconds(20));

  auto seen = std::make_shared<Seen>();
  Park(0, End(0), seen);
  {
    Followers::SignalAfterReply after_reply(fs_->followers());
    Write(writer, "held back\n");
    // Asleep and not signalled, the waker delivers nothing (short of a
    // spurious wake-up of its condition variable).
    std::this_thread::sleep_for(milliseconds(50));
    EXPECT_EQ(seen->calls(), 0);
  }
  EXPECT_TRUE(Eventually([&] { return seen->calls() == 1; }));
  EXPECT_EQ(seen->with_data, 1);
  EXPECT_EQ(fs_->Release(writer), 0);
}

TEST_F(FollowersWakerConcurrencyTest, ShutdownDrainsQueuedWakes) {
  constexpr int kWaiters = 50;
  const uint64_t writer = Writer(0);
  auto seen = std::make_shared<Seen>();
  Followers* followers = &fs_->followers();
  for (int i = 0; i < kWaiters; ++i) {
    const uint64_t id = followers->Reserve();
    ASSERT_TRUE(followers->Wait(id, Log(0), End(0), [seen, followers](bool data) {
      seen->running++;
      // The waker's first reply is slow: it lasts until Shutdown has taken
      // the other 49, still due, from the index.
      if (data) Eventually([&] { return followers->parked() == 0; });
      (data ? seen->with_data : seen->without_data)++;
      seen->running--;
    }));
  }
  Write(writer, "wakes all fifty\n");
  ASSERT_TRUE(Eventually([&] { return seen->running == 1; }));
  fs_->Shutdown();
  // Nothing running, nothing left: the one the waker had ran with data, the
  // others were cancelled, each once.
  EXPECT_EQ(seen->running, 0);
  EXPECT_EQ(seen->with_data, 1);
  EXPECT_EQ(seen->without_data, kWaiters - 1);
  EXPECT_EQ(followers->parked(), 0u);
  EXPECT_FALSE(followers->Wait(followers->Reserve(), Log(0), End(0), [](bool) {}));
  Write(writer, "wakes nobody\n");
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(seen->calls(), kWaiters);
  EXPECT_EQ(fs_->Release(writer), 0);
}

TEST_F(FollowersWakerConcurrencyTest, EveryCallbackRunsOnceUnderRacingAppendsCancelsDeadlinesAndShutdown) {
  constexpr int kParkers = 3, kWaitsPerParker = 300;
  std::vector<std::shared_ptr<Seen>> seen(kParkers * kWaitsPerParker);
  std::vector<std::atomic<uint64_t>> ids(seen.size());
  std::vector<std::atomic<bool>> parked(seen.size());
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kParkers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWaitsPerParker; ++i) {
        const size_t k = static_cast<size_t>(t * kWaitsPerParker + i);
        const int32_t p = static_cast<int32_t>(k % 3);
        auto s = seen[k] = std::make_shared<Seen>();
        const uint64_t id = fs_->followers().Reserve();
        ids[k] = id;
        auto wake = [s](bool data) { (data ? s->with_data : s->without_data)++; };
        // Every other waiter has a deadline of 0-4 ms, racing its data.
        parked[k] = i % 2 == 0 ? fs_->followers().Wait(id, Log(p), End(p), wake)
                               : fs_->followers().WaitUntil(id, Log(p), End(p),
                                                            Followers::Clock::now() + milliseconds(i % 5), wake);
        if (i % 20 == 0) std::this_thread::yield();
      }
    });
  }
  for (int32_t p = 0; p < 3; ++p) {
    threads.emplace_back([&, p] {
      const uint64_t writer = Writer(p);
      while (!stop) Write(writer, "line\n");
      EXPECT_EQ(fs_->Release(writer), 0);
    });
  }
  threads.emplace_back([&] {
    std::mt19937 rng(9);
    while (!stop) {
      (void)fs_->followers().Cancel(ids[rng() % ids.size()].load());
      std::this_thread::yield();
    }
  });
  for (int t = 0; t < kParkers; ++t) threads[static_cast<size_t>(t)].join();
  stop = true;
  for (size_t t = kParkers; t < threads.size(); ++t) threads[t].join();
  fs_->Shutdown();
  for (size_t k = 0; k < seen.size(); ++k) {
    EXPECT_EQ(seen[k]->calls(), parked[k] ? 1 : 0) << "waiter " << k;
  }
  EXPECT_EQ(fs_->followers().parked(), 0u);
}

// ---- Waiters with a deadline (a Kafka Fetch's max_wait_ms) --------------------

TEST_F(FollowersWakerConcurrencyTest, WaitUntilWakesWithoutDataAtTheDeadline) {
  auto seen = std::make_shared<Seen>();
  const auto start = Followers::Clock::now();
  const uint64_t id = fs_->followers().Reserve();
  ASSERT_TRUE(fs_->followers().WaitUntil(id, Log(0), End(0), start + milliseconds(30),
                                         [seen](bool data) { (data ? seen->with_data : seen->without_data)++; }));
  EXPECT_EQ(fs_->followers().parked(), 1u);
  ASSERT_TRUE(Eventually([&] { return seen->calls() == 1; })) << "the deadline passed unnoticed";
  EXPECT_GE(Followers::Clock::now() - start, milliseconds(30));
  EXPECT_EQ(seen->without_data, 1);
  EXPECT_EQ(fs_->followers().parked(), 0u);
  // Gone: a cancel on the caller's own timer finds nothing, and so does an append.
  EXPECT_FALSE(fs_->followers().Cancel(id));
  Append(LookupIno(topic_, "0"), "after the deadline\n");
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(seen->calls(), 1);
}

TEST_F(FollowersWakerConcurrencyTest, WaitUntilWakesWithDataBeforeTheDeadline) {
  auto seen = std::make_shared<Seen>();
  const uint64_t id = fs_->followers().Reserve();
  ASSERT_TRUE(fs_->followers().WaitUntil(id, Log(0), End(0), Followers::Clock::now() + std::chrono::hours(1),
                                         [seen](bool data) { (data ? seen->with_data : seen->without_data)++; }));
  Append(LookupIno(topic_, "0"), "before the deadline\n");
  ASSERT_TRUE(Eventually([&] { return seen->calls() == 1; }));
  EXPECT_EQ(seen->with_data, 1);
  EXPECT_EQ(fs_->followers().parked(), 0u);
  EXPECT_FALSE(fs_->followers().Cancel(id));
}

TEST_F(FollowersWakerConcurrencyTest, WaitUntilWithDataAlreadyThereWakesAtOnce) {
  const store::Offset before = End(0);
  Append(LookupIno(topic_, "0"), "already there\n");
  bool woken_with = false;
  int calls = 0;
  const uint64_t id = fs_->followers().Reserve();
  ASSERT_TRUE(fs_->followers().WaitUntil(id, Log(0), before, Followers::Clock::now() + std::chrono::hours(1),
                                         [&](bool data) {
                                           woken_with = data;
                                           ++calls;
                                         }));
  EXPECT_EQ(calls, 1);  // in this thread, before WaitUntil returned
  EXPECT_TRUE(woken_with);
  EXPECT_EQ(fs_->followers().parked(), 0u);
}

TEST_F(FollowersWakerConcurrencyTest, AnEarlierDeadlineParkedLaterIsNotHeldBackByALaterOne) {
  auto late = std::make_shared<Seen>(), early = std::make_shared<Seen>();
  const uint64_t late_id = fs_->followers().Reserve();
  ASSERT_TRUE(fs_->followers().WaitUntil(late_id, Log(0), End(0), Followers::Clock::now() + std::chrono::hours(1),
                                         [late](bool data) { (data ? late->with_data : late->without_data)++; }));
  // The waker now sleeps until the late deadline; the early one must wake it.
  std::this_thread::sleep_for(milliseconds(20));
  const auto start = Followers::Clock::now();
  const uint64_t early_id = fs_->followers().Reserve();
  ASSERT_TRUE(fs_->followers().WaitUntil(early_id, Log(1), End(1), start + milliseconds(20),
                                         [early](bool data) { (data ? early->with_data : early->without_data)++; }));
  ASSERT_TRUE(Eventually([&] { return early->calls() == 1; }));
  EXPECT_LT(Followers::Clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(early->without_data, 1);
  EXPECT_EQ(late->calls(), 0);
  EXPECT_TRUE(fs_->followers().Cancel(late_id));
  EXPECT_EQ(late->without_data, 1);
  EXPECT_EQ(fs_->followers().parked(), 0u);
}

TEST_F(FollowersWakerConcurrencyTest, ACancelledWaiterWithADeadlineIsNotWokenAgainAtIt) {
  auto seen = std::make_shared<Seen>();
  const uint64_t id = fs_->followers().Reserve();
  ASSERT_TRUE(fs_->followers().WaitUntil(id, Log(0), End(0), Followers::Clock::now() + milliseconds(20),
                                         [seen](bool data) { (data ? seen->with_data : seen->without_data)++; }));
  EXPECT_TRUE(fs_->followers().Cancel(id));
  EXPECT_EQ(seen->without_data, 1);
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(seen->calls(), 1);
}

TEST_F(FollowersWakerConcurrencyTest, ShutdownCancelsWaitersWithADeadline) {
  auto seen = std::make_shared<Seen>();
  const uint64_t id = fs_->followers().Reserve();
  ASSERT_TRUE(fs_->followers().WaitUntil(id, Log(0), End(0), Followers::Clock::now() + std::chrono::hours(1),
                                         [seen](bool data) { (data ? seen->with_data : seen->without_data)++; }));
  fs_->followers().Shutdown();
  EXPECT_EQ(seen->without_data, 1);
  EXPECT_EQ(seen->calls(), 1);
  EXPECT_EQ(fs_->followers().parked(), 0u);
  EXPECT_FALSE(fs_->followers().WaitUntil(fs_->followers().Reserve(), Log(0), End(0),
                                          Followers::Clock::now() + milliseconds(1), [](bool) {}));
}

}  // namespace
}  // namespace topicfs::fs
