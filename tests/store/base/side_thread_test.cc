// SideThread: a task runs beside its caller, a busy side thread refuses
// the next caller (who does the work itself), and it serves again after.

#include "store/base/side_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace topicfs::store {
namespace {

TEST(SideThreadTest, ATaskRunsBesideItsCallerAndWaitReturnsOnceItHas) {
  SideThread side;
  int result = 0;
  const uint64_t ticket = side.TryRun([&] { result = 42; });
  ASSERT_NE(ticket, 0u);
  side.Wait(ticket);
  EXPECT_EQ(result, 42);
}

TEST(SideThreadTest, WhileBusyItRefusesAndAfterwardsItServesAgain) {
  SideThread side;
  std::atomic<bool> release{false};
  const uint64_t first = side.TryRun([&] {
    while (!release.load()) std::this_thread::yield();
  });
  ASSERT_NE(first, 0u);
  EXPECT_EQ(side.TryRun([] {}), 0u);
  release = true;
  side.Wait(first);
  const uint64_t second = side.TryRun([] { throw std::runtime_error("a task that throws"); });
  ASSERT_NE(second, 0u);
  side.Wait(second);  // a throwing task still finishes its ticket
  int ran = 0;
  const uint64_t third = side.TryRun([&] { ran = 1; });
  ASSERT_NE(third, 0u);
  side.Wait(third);
  EXPECT_EQ(ran, 1);
}

TEST(SideThreadTest, ManyCallersEachGetTheirWorkDone) {
  SideThread side;
  std::atomic<int> done{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] {
      for (int j = 0; j < 200; ++j) {
        auto work = [&] { done.fetch_add(1); };
        const uint64_t ticket = side.TryRun(work);
        if (ticket == 0) {
          work();
        } else {
          side.Wait(ticket);
        }
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(done.load(), 1600);
}

}  // namespace
}  // namespace topicfs::store
