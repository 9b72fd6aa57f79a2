#pragma once
// A Filesystem over a LogManager (with consumer groups) in a temporary data
// directory, and the calls tests make through it the way the shell would.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "fs/filesystem.h"
#include "store/io/file_io.h"
#include "store/manager/group_offsets.h"
#include "store/manager/log_manager.h"
#include "tests/common/test_util.h"

namespace topicfs::fs {

class FsFixture : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { Close(); }

  void Open() {
    store::LogManager::Options o;
    o.data_dir = dir_.path();
    if (use_fake_clock_) o.clock = &clock_;
    if (io_ != nullptr) o.io = io_;
    auto m = store::LogManager::Open(o);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    manager_ = std::move(m).value();
    auto g = store::GroupOffsets::Open(*manager_, store::Clock::System());
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    groups_ = std::move(g).value();
    fs_ = std::make_unique<Filesystem>(*manager_, Filesystem::Options{0, 0, groups_.get()});
  }
  void Close() {
    fs_.reset();
    groups_.reset();
    if (manager_) {
      ASSERT_TRUE(manager_->Close().ok());
    }
    manager_.reset();
  }

  uint64_t MakeTopic(const std::string& name) {
    EntryReply e;
    EXPECT_EQ(fs_->MkDir(kRootIno, name, &e), 0);
    return e.ino;
  }
  uint64_t LookupIno(uint64_t parent, const std::string& name) {
    EntryReply e;
    EXPECT_EQ(fs_->Lookup(parent, name, &e), 0) << name;
    return e.ino;
  }
  uint64_t OpenFile(uint64_t ino, int flags) {
    uint64_t fh = 0;
    EXPECT_EQ(fs_->Open(ino, flags, &fh), 0);
    return fh;
  }
  void Append(uint64_t ino, std::string_view data) {
    uint64_t fh = OpenFile(ino, O_WRONLY | O_APPEND);
    size_t written = 0;
    EXPECT_EQ(fs_->Write(fh, data, &written), 0);
    EXPECT_EQ(written, data.size());
    EXPECT_EQ(fs_->Release(fh), 0);
  }
  // Reads sequentially through one handle, the way cat does.
  std::string Cat(uint64_t ino, size_t chunk = 4096) {
    uint64_t fh = OpenFile(ino, O_RDONLY);
    std::string all, part;
    for (int64_t pos = 0;; pos += static_cast<int64_t>(part.size())) {
      EXPECT_EQ(fs_->Read(fh, pos, chunk, &part), 0);
      if (part.empty()) break;
      all += part;
    }
    EXPECT_EQ(fs_->Release(fh), 0);
    return all;
  }
  // Whether pred() holds within 10 s. An append's wakes are delivered by
  // Followers' own thread, after the write has returned.
  template <typename Pred>
  static bool Eventually(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  int64_t Size(uint64_t ino) {
    struct stat st {};
    double timeout;
    EXPECT_EQ(fs_->GetAttr(ino, &st, &timeout), 0);
    return st.st_size;
  }

  // Set in a subclass's constructor to stamp records with clock_'s time.
  bool use_fake_clock_ = false;
  store::FakeClock clock_;
  // Set in a subclass's constructor to make the store's writes fail on demand.
  store::FileIo* io_ = nullptr;
  testing::TempDir dir_;
  std::unique_ptr<store::LogManager> manager_;
  std::unique_ptr<store::GroupOffsets> groups_;
  std::unique_ptr<Filesystem> fs_;
};

}  // namespace topicfs::fs
