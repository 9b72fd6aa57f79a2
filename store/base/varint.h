#pragma once
// Kafka's varints: ZigZag, then unsigned LEB128 (protobuf's encoding). An int
// takes at most 5 bytes, a long at most 10; a longer encoding is corrupt.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>

namespace topicfs::store::varint {

inline constexpr uint64_t ZigZag(int64_t n) {
  return (static_cast<uint64_t>(n) << 1) ^ static_cast<uint64_t>(n >> 63);
}
inline constexpr int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

inline int EncodedSize(int64_t n) {
  uint64_t v = ZigZag(n);
  int size = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++size;
  }
  return size;
}

// EncodedSize without the loop, for encoders' hot paths: 7 payload bits a
// byte, and zero still takes one.
inline int FastEncodedSize(int64_t n) { return (std::bit_width(ZigZag(n) | 1) + 6) / 7; }

// Writes n at p, returns the byte after it. p needs room for 10 bytes.
inline char* Encode(char* p, int64_t n) {
  uint64_t v = ZigZag(n);
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

inline void Append(std::string* out, int64_t n) {
  char buf[10];
  out->append(buf, Encode(buf, n));
}

// Decodes a varint of at most max_bytes (5 for int, 10 for long) from
// [p, limit). Returns the byte after it, or nullptr if truncated or too long.
inline const char* Decode(const char* p, const char* limit, int max_bytes, int64_t* out) {
  uint64_t v = 0;
  for (int shift = 0, i = 0; i < max_bytes && p < limit; ++i, shift += 7) {
    uint8_t b = static_cast<uint8_t>(*p++);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = UnZigZag(v);
      return p;
    }
  }
  return nullptr;
}

inline const char* DecodeInt(const char* p, const char* limit, int64_t* out) {
  const char* next = Decode(p, limit, 5, out);
  if (next != nullptr && (*out < INT32_MIN || *out > INT32_MAX)) return nullptr;
  return next;
}
inline const char* DecodeLong(const char* p, const char* limit, int64_t* out) {
  return Decode(p, limit, 10, out);
}

}  // namespace topicfs::store::varint
