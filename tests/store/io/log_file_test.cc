// LogFile's block reservation: appends reserve disk blocks ahead of the end
// (fallocate, keeping the size) and roll and close give them back. The
// file's bytes and length must be exactly what was appended throughout.

#include "store/io/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::TempDir;

struct OnDisk {
  int64_t size = -1;
  int64_t allocated = -1;  // bytes of blocks
};

OnDisk Stat(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_size, int64_t{st.st_blocks} * 512};
}

std::string Contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Whether the directory's filesystem can reserve blocks at all.
bool CanReserve(const TempDir& dir) {
  int fd = ::open((dir / "probe").c_str(), O_CREAT | O_RDWR, 0644);
  bool ok = fd >= 0 && ::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4096) == 0;
  if (fd >= 0) ::close(fd);
  ::unlink((dir / "probe").c_str());
  return ok;
}

TEST(LogFile, AppendsReserveBlocksAheadWithoutChangingTheBytes) {
  TempDir dir;
  if (!CanReserve(dir)) GTEST_SKIP() << "no fallocate on " << dir.path();
  const std::string path = dir / "00000000000000000000.log";
  auto file = LogFile::Open(path, LogFile::OpenMode::kNew, /*map_capacity_hint=*/1 << 30, &FileIo::Default(),
                            nullptr);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  std::string appended;
  int64_t most_ahead = 0;
  for (int i = 0; i < 30; ++i) {
    std::string bytes(100'000 + i, static_cast<char>('a' + i % 26));
    ASSERT_TRUE((*file)->Write(bytes).ok());
    (*file)->Publish(static_cast<int64_t>(bytes.size()));
    appended += bytes;
    OnDisk d = Stat(path);
    ASSERT_EQ(static_cast<int64_t>(appended.size()), d.size) << "after append " << i;
    // Never more than 8 MiB ahead.
    EXPECT_LE(d.allocated, d.size + (8 << 20) + (1 << 20)) << "after append " << i;
    most_ahead = std::max(most_ahead, d.allocated - d.size);
  }
  // Reserved ahead as much as the file held, at least 256 KiB.
  EXPECT_GE(most_ahead, 1 << 20);
  EXPECT_EQ(appended, Contents(path));

  (*file)->ReleaseReserved();
  OnDisk d = Stat(path);
  EXPECT_EQ(static_cast<int64_t>(appended.size()), d.size);
  EXPECT_LT(d.allocated, d.size + 64 * 1024);
  EXPECT_EQ(appended, Contents(path));
}

TEST(LogFile, ReservationStopsAtTheExpectedSizeAndCloseGivesItBack) {
  TempDir dir;
  if (!CanReserve(dir)) GTEST_SKIP() << "no fallocate on " << dir.path();
  const std::string path = dir / "00000000000000000000.log";
  // A segment expected to stay under 300 KB reserves no further than that.
  auto file = LogFile::Open(path, LogFile::OpenMode::kNew, /*map_capacity_hint=*/300'000, &FileIo::Default(),
                            nullptr);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Write(std::string(10'000, 'x')).ok());
  (*file)->Publish(10'000);
  EXPECT_LE(Stat(path).allocated, 300'000 + 8192);
  struct stat before {};
  ASSERT_EQ(0, ::stat(path.c_str(), &before));
  ::usleep(20'000);
  (*file)->Close();
  struct stat after {};
  ASSERT_EQ(0, ::stat(path.c_str(), &after));
  // Giving the blocks back is not a modification (Kafka's fallback age).
  EXPECT_EQ(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
  EXPECT_EQ(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
  OnDisk d = Stat(path);
  EXPECT_EQ(10'000, d.size);
  EXPECT_LT(d.allocated, 10'000 + 64 * 1024);
}

}  // namespace
}  // namespace topicfs::store
