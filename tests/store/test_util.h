#pragma once
// Helpers shared by the store tests: a temporary directory removed at the end
// of the test, and byte-level file pokes for corruption tests.

#include <cstdint>
#include <string>
#include <string_view>

namespace topicfs::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, std::string_view bytes);
// Overwrites bytes at pos (extending the file if needed).
void PokeFile(const std::string& path, int64_t pos, std::string_view bytes);
int64_t FileSize(const std::string& path);
bool FileExists(const std::string& path);
void TruncateFile(const std::string& path, int64_t size);

}  // namespace topicfs::testing
