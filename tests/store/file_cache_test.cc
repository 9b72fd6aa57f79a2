// The segment file cache: a bounded number of files hold a descriptor and
// a mapping; the least recently used idle one is parked and comes back on
// its next use, with nothing but its descriptor forgotten.

#include "store/file_cache.h"

#include <dirent.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <string>
#include <vector>

#include "store/log_file.h"
#include "store/log_manager.h"
#include "store/offset_index.h"
#include "tests/store/test_util.h"

namespace topicfs::store {
namespace {

using testing::TempDir;

// Descriptors this process holds on files under dir.
int DescriptorsUnder(const std::string& dir) {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (dirent* e = ::readdir(d)) {
    char target[4096];
    std::string link = std::string("/proc/self/fd/") + e->d_name;
    ssize_t len = ::readlink(link.c_str(), target, sizeof(target) - 1);
    if (len > 0 && std::string_view(target, static_cast<size_t>(len)).starts_with(dir)) ++n;
  }
  ::closedir(d);
  return n;
}

std::unique_ptr<LogFile> NewLogFile(const std::string& path, FileCache* cache) {
  auto file = LogFile::Open(path, LogFile::OpenMode::kNew, 1 << 20, &FileIo::Default(), cache);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return file.ok() ? std::move(file).value() : nullptr;
}

TEST(FileCacheTest, AtMostCapacityFilesStayOpenAndParkedOnesReadAndWriteOnUse) {
  TempDir dir;
  auto cache = std::make_shared<FileCache>(4);
  std::vector<std::unique_ptr<LogFile>> files;
  for (int i = 0; i < 20; ++i) {
    files.push_back(NewLogFile(dir / ("f" + std::to_string(i)), cache.get()));
    ASSERT_NE(files.back(), nullptr);
    const std::string bytes = "file " + std::to_string(i) + "\n";
    ASSERT_TRUE(files.back()->Write(bytes).ok());
    files.back()->Publish(static_cast<int64_t>(bytes.size()));
    EXPECT_LE(cache->open_files(), 4u);
  }
  EXPECT_LE(DescriptorsUnder(dir.path()), 4);
  // Every file, parked or not, maps and appends as if it had stayed open.
  for (int i = 0; i < 20; ++i) {
    auto map = files[i]->Map();
    ASSERT_TRUE(map.ok()) << map.status().ToString();
    const std::string expected = "file " + std::to_string(i) + "\n";
    EXPECT_EQ(std::string((*map)->data(), static_cast<size_t>(files[i]->size())), expected);
    ASSERT_TRUE(files[i]->Write("more\n").ok());
    files[i]->Publish(5);
    EXPECT_EQ(testing::ReadFile(dir / ("f" + std::to_string(i))), expected + "more\n");
  }
  EXPECT_LE(cache->open_files(), 4u);
  EXPECT_LE(DescriptorsUnder(dir.path()), 4 + 1);  // + the mapping held above, at most
}

TEST(FileCacheTest, AFileInUseIsNotParked) {
  TempDir dir;
  auto cache = std::make_shared<FileCache>(1);
  auto busy = NewLogFile(dir / "busy", cache.get());
  auto other = NewLogFile(dir / "other", cache.get());
  ASSERT_NE(busy, nullptr);
  ASSERT_NE(other, nullptr);
  // A mapping outlives parking: its bytes stay readable while held.
  ASSERT_TRUE(busy->Write("held\n").ok());
  busy->Publish(5);
  auto map = busy->Map();
  ASSERT_TRUE(map.ok());
  auto again = other->Map();  // parks busy's descriptor; the mapping stays
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::string((*map)->data(), 5), "held\n");
}

TEST(FileCacheTest, ShrinkParksIdleFilesAndTheyComeBack) {
  TempDir dir;
  auto cache = std::make_shared<FileCache>(100);
  std::vector<std::unique_ptr<LogFile>> files;
  for (int i = 0; i < 10; ++i) files.push_back(NewLogFile(dir / ("f" + std::to_string(i)), cache.get()));
  EXPECT_EQ(cache->open_files(), 10u);
  EXPECT_EQ(cache->Shrink(6), 6u);
  EXPECT_EQ(cache->open_files(), 4u);
  EXPECT_EQ(DescriptorsUnder(dir.path()), 4);
  for (auto& f : files) ASSERT_TRUE(f->Flush().ok());
  EXPECT_EQ(cache->open_files(), 10u);
}

TEST(FileCacheTest, AParkedFileThatShrankUnderneathIsRefusedNotMapped) {
  TempDir dir;
  auto cache = std::make_shared<FileCache>(1);
  auto file = NewLogFile(dir / "f", cache.get());
  ASSERT_TRUE(file->Write(std::string(1000, 'x')).ok());
  file->Publish(1000);
  auto other = NewLogFile(dir / "g", cache.get());  // parks f
  ASSERT_EQ(::truncate((dir / "f").c_str(), 10), 0);
  auto map = file->Map();
  ASSERT_FALSE(map.ok());
  EXPECT_EQ(map.status().code(), Code::kCorruption) << map.status().ToString();
}

TEST(FileCacheTest, AParkedIndexAnswersLookupsAfterReopening) {
  TempDir dir;
  auto cache = std::make_shared<FileCache>(1);
  auto index = OffsetIndex::Open(dir / "0.index", Offset(0), 800, &FileIo::Default(), cache.get());
  ASSERT_TRUE(index.ok());
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE((*index)->Append(Offset(i * 10), FilePosition(i * 100)).ok());
  auto other = NewLogFile(dir / "other", cache.get());  // parks the index
  EXPECT_EQ(DescriptorsUnder(dir / "0.index"), 0);
  EXPECT_EQ((*index)->Lookup(Offset(55)).position, FilePosition(500));
  ASSERT_TRUE((*index)->Append(Offset(200), FilePosition(2000)).ok());
  EXPECT_EQ((*index)->Lookup(Offset(999)).position, FilePosition(2000));
}

// A data directory with far more segment files than the cache may hold
// open serves every record and keeps taking appends.
TEST(FileCacheTest, ALogManagerWithATinyCacheServesEveryPartition) {
  TempDir dir;
  LogManager::Options o;
  o.data_dir = dir / "data";
  o.max_open_files = 8;
  auto m = LogManager::Open(o);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*m)->CreateTopic("t", {{"partitions", "20"}, {"segment.bytes", "300"}}).ok());
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
TEST(FileCacheConcurrencyTest, ConcurrentReadersAndWritersThroughATinyCacheSeeEveryByte) {
  TempDir dir;
  LogManager::Options o;
  o.data_dir = dir / "data";
  o.max_open_files = 4;
  auto m = LogManager::Open(o);
  ASSERT_TRUE(m.ok());
  constexpr int kPartitions = 8;
  constexpr int kLines = 200;
  ASSERT_TRUE((*m)->CreateTopic("t", {{"partitions", std::to_string(kPartitions)}, {"segment.bytes", "2000"}}).ok());
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
