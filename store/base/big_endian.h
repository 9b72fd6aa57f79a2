#pragma once
// Kafka's files are big-endian throughout.

#include <cstdint>
#include <cstring>
#include <string>

namespace topicfs::store::be {

template <typename T>
inline T Load(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(v)));
  if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(v)));
  if constexpr (sizeof(T) == 8) return static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(v)));
  return v;
}

template <typename T>
inline void Store(void* p, T v) {
  if constexpr (sizeof(T) == 2) v = static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(v)));
  if constexpr (sizeof(T) == 4) v = static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(v)));
  if constexpr (sizeof(T) == 8) v = static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(v)));
  std::memcpy(p, &v, sizeof(T));
}

// Appends v to out, big-endian: how Kafka's files are written field by field.
template <typename T>
inline void Append(std::string* out, T v) {
  char b[sizeof(T)];
  Store<T>(b, v);
  out->append(b, sizeof(T));
}

}  // namespace topicfs::store::be
