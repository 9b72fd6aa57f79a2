#include "tests/store/test_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "store/log.h"

namespace topicfs::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base != nullptr ? base : "/tmp") + "/topicfs-test-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::unique_ptr<store::Log> OpenTestLog(const std::string& dir, const store::LogConfig& config,
                                        const store::Clock* clock) {
  store::Log::Options o;
  o.dir = dir;
  o.topic_partition = {"t", 0};
  o.config = config;
  o.clock = clock;
  auto log = store::Log::Open(o);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? std::move(log).value() : nullptr;
}

std::string ReadAll(const store::Log& log, store::Offset from) {
  std::string out;
  char buf[4096];
  store::Offset at = from;
  while (true) {
    auto r = log.Read(at, buf, sizeof(buf));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->bytes == 0) break;
    out.append(buf, static_cast<size_t>(r->bytes));
    at = r->next;
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void PokeFile(const std::string& path, int64_t pos, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0) throw std::runtime_error("open " + path);
  if (::pwrite(fd, bytes.data(), bytes.size(), pos) != static_cast<ssize_t>(bytes.size())) {
    ::close(fd);
    throw std::runtime_error("pwrite " + path);
  }
  ::close(fd);
}

int64_t FileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return st.st_size;
}

bool FileExists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

void TruncateFile(const std::string& path, int64_t size) {
  if (::truncate(path.c_str(), size) != 0) throw std::runtime_error("truncate " + path);
}

}  // namespace topicfs::testing
