#include "tests/common/test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>


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

}  // namespace topicfs::testing
