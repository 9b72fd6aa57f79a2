#include "store/cleanup/key_hash.h"

#include <bit>
#include <cstring>

namespace topicfs::store {
namespace {

// Odd multipliers with about half their bits set (drawn at random), so that a
// product depends on every lower bit of both factors; and odd, so that
// multiplying is a bijection on 64 bits.
constexpr uint64_t kSeedA = 0xb8a1abcd1a6916c7;
constexpr uint64_t kSeedB = 0x7a97c643656412a9;
constexpr uint64_t kWordA = 0x1710cf5327ac435b;
constexpr uint64_t kWordB = 0x9e3779b97f4a7c15;  // 2^64 / golden ratio

inline uint64_t Load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof(w));
  return w;
}

// Folds one word into a lane. For a fixed word it is a bijection of the
// lane, and for a fixed lane a bijection of the word, so distinct keys of
// one length up to 16 bytes never share a state.
inline uint64_t Absorb(uint64_t lane, uint64_t word, uint64_t k) {
  lane ^= word * k;
  return std::rotl(lane, 31) * kWordB;
}

// An xor-shift / multiply avalanche (the shifts and multipliers of
// Stafford's "Mix13", as SplitMix64 uses them): every input bit flips about
// half the output bits. A bijection too.
inline uint64_t Avalanche(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9;
  x ^= x >> 27;
  x *= 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

inline void Block(uint64_t* a, uint64_t* b, uint64_t w0, uint64_t w1) {
  *a = Absorb(*a, w0, kWordA);
  *b = Absorb(*b, w1, kWordB);
  *a += *b;  // cross-feed: each lane now depends on both words
  *b += *a;
}

}  // namespace

KeyHash HashKey(std::string_view key) {
  const uint64_t n = key.size();
  uint64_t a = kSeedA ^ (n * kWordA);
  uint64_t b = kSeedB + n;
  const char* p = key.data();
  size_t left = key.size();
  for (; left >= 16; p += 16, left -= 16) Block(&a, &b, Load64(p), Load64(p + 8));
  if (left > 0) {
    // Zero padding is safe: the length already went into the seeds.
    char tail[16] = {};
    std::memcpy(tail, p, left);
    Block(&a, &b, Load64(tail), Load64(tail + 8));
  }
  // (hi, lo) is a bijection of (a, b): lo and hi give b + hi and
  // a ^ Avalanche(b). hi alone, which picks the map's slot, must look random
  // even when b is a simple function of a (keys of 8 bytes or fewer): an
  // earlier a + rotl(b, 32) made hi collide among a million short keys.
  KeyHash h;
  h.hi = Avalanche(a ^ Avalanche(b));
  h.lo = Avalanche(b + h.hi);
  if (h.hi == 0 && h.lo == 0) h.lo = 1;  // reserved for empty slots
  return h;
}

}  // namespace topicfs::store
