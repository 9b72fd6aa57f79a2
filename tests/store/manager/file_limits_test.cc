// The data directory with far more segment files than RLIMIT_NOFILE (here,
// LogManager::Options::max_open_files) would let stay open: every
// partition reads and appends, also from several threads, through the
// file cache (store/io/file_cache.h).

#include "store/manager/log_manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::DescriptorsUnder;
using testing::TempDir;

// A data directory with far more segment files than the cache may hold
// open serves every record and keeps taking appends.
TEST(FileLimitsTest, ALogManagerWithATinyCacheServesEveryPartition) {
  TempDir dir;
  LogManager::Options o;
  o.data_dir = dir / "data";
  o.max_open_files = 8;
  auto m = LogManager::Open(o);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*m)->CreateTopic("t", {{"partitions", "20"}, {"internal.segment.bytes", "300"}}).ok());
  for (int round = 0; round < 5; ++round) {
    for (int p = 0; p < 20; ++p) {
      std::string line = fmt::format("partition {} round {} {}", p, round, std::string(100, 'x'));
      std::string_view v = line;
      ASSERT_TRUE((*m)->GetLog("t", p)->Append({&v, 1}).ok());
    }
  }
  EXPECT_LE(DescriptorsUnder(dir / "data"), 8 + 3);  // + the directory locks and one in use
  for (int p = 0; p < 20; ++p) {
    std::string expected;
    for (int round = 0; round < 5; ++round) {
      expected += fmt::format("partition {} round {} {}\n", p, round, std::string(100, 'x'));
    }
    EXPECT_EQ(testing::ReadAll(*(*m)->GetLog("t", p)), expected) << p;
    EXPECT_GE((*m)->GetLog("t", p)->Segments().size(), 3u);
  }
  ASSERT_TRUE((*m)->Close().ok());
  auto reopened = LogManager::Open(o);
  ASSERT_TRUE(reopened.ok());
  EXPECT_TRUE((*reopened)->had_clean_shutdown());
  std::string last;
  for (int round = 0; round < 5; ++round) {
    last += fmt::format("partition 19 round {} {}\n", round, std::string(100, 'x'));
  }
  EXPECT_EQ(testing::ReadAll(*(*reopened)->GetLog("t", 19)), last);
}

// Readers and writers of more partitions than the cache holds, on several
// threads: files park and reopen under them, and every byte arrives.
TEST(FileLimitsConcurrencyTest, ConcurrentReadersAndWritersThroughATinyCacheSeeEveryByte) {
  TempDir dir;
  LogManager::Options o;
  o.data_dir = dir / "data";
  o.max_open_files = 4;
  auto m = LogManager::Open(o);
  ASSERT_TRUE(m.ok());
  constexpr int kPartitions = 8;
  constexpr int kLines = 200;
  ASSERT_TRUE((*m)->CreateTopic("t", {{"partitions", std::to_string(kPartitions)}, {"internal.segment.bytes", "2000"}}).ok());
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kLines; ++i) {
        for (int p = w; p < kPartitions; p += 2) {
          std::string line = fmt::format("p{} line {:04d}", p, i);
          std::string_view v = line;
          EXPECT_TRUE((*m)->GetLog("t", p)->Append({&v, 1}).ok());
        }
      }
    });
  }
  std::atomic<bool> done{false};
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      std::vector<char> buf(4096);
      while (!done.load()) {
        for (int p = r; p < kPartitions; p += 2) {
          auto log = (*m)->GetLog("t", p);
          Offset at(0);
          std::string seen;
          for (;;) {
            auto got = log->Read(at, buf.data(), static_cast<int64_t>(buf.size()));
            ASSERT_TRUE(got.ok()) << got.status().ToString();
            if (got->bytes == 0) break;
            seen.append(buf.data(), static_cast<size_t>(got->bytes));
            at = got->next;
          }
          // Whole lines, in order, of this partition only.
          for (size_t pos = 0, i = 0; pos < seen.size(); ++i) {
            const std::string expected = fmt::format("p{} line {:04d}\n", p, i);
            ASSERT_EQ(seen.compare(pos, expected.size(), expected), 0) << "partition " << p;
            pos += expected.size();
          }
        }
      }
    });
  }
  threads[0].join();
  threads[1].join();
  done = true;
  threads[2].join();
  threads[3].join();
  for (int p = 0; p < kPartitions; ++p) {
    EXPECT_EQ(testing::ReadAll(*(*m)->GetLog("t", p)).size(), static_cast<size_t>(kLines) * 13) << p;
  }
  ASSERT_TRUE((*m)->Close().ok());
}

}  // namespace
}  // namespace topicfs::store
