// The background scheduler: due times on the injected clock, periodic
// tasks, prompt shutdown.

#include "store/base/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace topicfs::store {
namespace {

TEST(SchedulerTest, TasksRunOnlyWhenDueOnTheFakeClock) {
  FakeClock clock;
  Scheduler scheduler(&clock, /*threads=*/0);
  int once = 0, periodic = 0;
  scheduler.Schedule("once", 100, [&] { ++once; });
  scheduler.SchedulePeriodic("periodic", 50, 50, [&] { ++periodic; });
  EXPECT_EQ(scheduler.RunDueTasks(), 0);
  clock.Advance(50);
  EXPECT_EQ(scheduler.RunDueTasks(), 1);
  EXPECT_EQ(periodic, 1);
  clock.Advance(50);
  scheduler.RunDueTasks();
  EXPECT_EQ(once, 1);
  EXPECT_EQ(periodic, 2);
  clock.Advance(1000);
  scheduler.RunDueTasks();
  EXPECT_EQ(once, 1) << "a one-shot task runs once";
  EXPECT_EQ(periodic, 3) << "a late periodic task runs once, then waits a period";
  EXPECT_EQ(scheduler.pending(), 1u);
}

TEST(SchedulerTest, ATaskMayScheduleAnother) {
  FakeClock clock;
  Scheduler scheduler(&clock, 0);
  int ran = 0;
  scheduler.Schedule("first", 0, [&] { scheduler.Schedule("second", 10, [&] { ++ran; }); });
  scheduler.RunDueTasks();
  clock.Advance(10);
  scheduler.RunDueTasks();
  EXPECT_EQ(ran, 1);
}

TEST(SchedulerTest, ConcurrentWorkersRunTasksAndShutDownPromptly) {
  Scheduler scheduler(&Clock::System(), 2);
  std::atomic<int> ran{0};
  for (int i = 0; i < 100; ++i) scheduler.Schedule("t", 0, [&] { ++ran; });
  scheduler.SchedulePeriodic("p", 0, 5, [&] { ++ran; });
  scheduler.Schedule("far", 3'600'000, [&] { ADD_FAILURE() << "dropped at shutdown"; });
  for (int i = 0; i < 200 && ran < 101; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(ran.load(), 101);
  auto start = std::chrono::steady_clock::now();
  scheduler.Shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  int after = ran;
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(ran.load(), after) << "nothing runs after shutdown";
  scheduler.Schedule("late", 0, [&] { ++ran; });
  EXPECT_EQ(scheduler.pending(), 0u);
}

}  // namespace
}  // namespace topicfs::store
