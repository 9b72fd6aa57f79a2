// The segment file cache: a bounded number of files hold a descriptor and
// a mapping; the least recently used idle one is parked and comes back on
// its next use, with nothing but its descriptor forgotten.

#include "store/io/file_cache.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/io/log_file.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::DescriptorsUnder;
using testing::TempDir;

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


}  // namespace
}  // namespace topicfs::store
