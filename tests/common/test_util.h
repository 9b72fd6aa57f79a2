#pragma once
// Helpers shared by the store tests: a temporary directory removed at the end
// of the test, and byte-level file pokes for corruption tests.

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "store/base/types.h"

// Defined when built with AddressSanitizer or ThreadSanitizer: slow tests
// (crash loops, long random sequences) do fewer rounds there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TOPICFS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TOPICFS_SANITIZED 1
#endif
#endif

namespace topicfs::store {

// Offsets, positions and timestamps print as numbers in failure messages.
template <typename Tag, typename Rep>
void PrintTo(const NamedNumber<Tag, Rep>& n, std::ostream* os) {
  *os << n.value;
}

}  // namespace topicfs::store

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
// Descriptors this process holds on files whose path starts with `dir`.
int DescriptorsUnder(const std::string& dir);

}  // namespace topicfs::testing
