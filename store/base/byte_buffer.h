#pragma once
// A growable byte buffer whose growth leaves the new bytes unset, for
// output that a decompressor writes in place. std::string zero-fills what
// resize() adds, and for an inflated batch that fill cost as much as
// decoding lz4 (a sequential `cat` spent a fifth of its time in memset).
// Capacity is kept across clear(), so a recycled buffer costs no page
// faults either.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace topicfs::store {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  const char* data() const { return bytes_.get(); }
  char* data() { return bytes_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {bytes_.get(), size_}; }
  operator std::string_view() const { return view(); }  // NOLINT: read like a string

  void clear() { size_ = 0; }

  // size() becomes n; bytes past the old size are unset until written.
  // Growth at least doubles, so appending piecewise stays linear.
  void ResizeUninitialized(size_t n) {
    if (n > capacity_) Reallocate(std::max(n, capacity_ * 2));
    size_ = n;
  }

  void Append(std::string_view bytes) {
    const size_t at = size_;
    ResizeUninitialized(at + bytes.size());
    if (!bytes.empty()) std::memcpy(bytes_.get() + at, bytes.data(), bytes.size());
  }

 private:
  void Reallocate(size_t capacity) {
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_ > 0) std::memcpy(bigger.get(), bytes_.get(), size_);
    bytes_ = std::move(bigger);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> bytes_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace topicfs::store
