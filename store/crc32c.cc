#include "store/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace topicfs::store::crc32c {
namespace {

// The Castagnoli polynomial, bit-reflected: bit 31 stands for x^0, which is
// how both the crc32 instruction and the byte-at-a-time tables see a CRC.
constexpr uint32_t kPoly = 0x82F63B78;

// ---- GF(2) arithmetic, for the tables and for joining parallel streams ----

// a * b mod P, both in the reflected representation.
constexpr uint32_t MultModP(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t bit = 1u << 31; bit != 0; bit >>= 1) {
    if (a & bit) product ^= b;
    b = (b & 1) ? (b >> 1) ^ kPoly : b >> 1;
  }
  return product;
}

// x^n mod P. Feeding n zero bits through a CRC register multiplies it by this.
constexpr uint32_t XPowModP(uint64_t n) {
  uint32_t result = 1u << 31;  // x^0
  uint32_t square = 1u << 30;  // x^1
  for (; n != 0; n >>= 1) {
    if (n & 1) result = MultModP(result, square);
    square = MultModP(square, square);
  }
  return result;
}

// ---- Portable: slicing-by-8 ----

using SliceTables = std::array<std::array<uint32_t, 256>, 8>;

constexpr SliceTables MakeSliceTables() {
  SliceTables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[0][i] = c;
  }
  // t[k][i] is byte i followed by k zero bytes, so eight bytes can be looked
  // up independently and XORed together.
  for (int k = 1; k < 8; ++k) {
    for (int i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}

constexpr SliceTables kSlice = MakeSliceTables();

inline uint32_t LoadLe32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

uint32_t PortableRegister(uint32_t reg, const uint8_t* p, size_t n) {
  for (; n >= 8; p += 8, n -= 8) {
    uint32_t lo = reg ^ LoadLe32(p);
    reg = kSlice[7][lo & 0xff] ^ kSlice[6][(lo >> 8) & 0xff] ^ kSlice[5][(lo >> 16) & 0xff] ^
          kSlice[4][lo >> 24] ^ kSlice[3][p[4]] ^ kSlice[2][p[5]] ^ kSlice[1][p[6]] ^
          kSlice[0][p[7]];
  }
  for (; n > 0; ++p, --n) reg = (reg >> 8) ^ kSlice[0][(reg ^ *p) & 0xff];
  return reg;
}

#if defined(__x86_64__)

// ---- Hardware: three interleaved crc32 streams ----
//
// The crc32 instruction has a latency of three cycles but can start one per
// cycle, so one dependent chain uses a third of the unit. Large inputs are cut
// into three equal blocks whose CRCs run side by side, then joined: the CRC of
// A||B is CRC(A) shifted over |B| zero bytes, XOR CRC(B) started from zero.

// Shifting a register over `Block` zero bytes, as four byte lookups.
using ShiftTable = std::array<std::array<uint32_t, 256>, 4>;

constexpr ShiftTable MakeShiftTable(size_t block_bytes) {
  const uint32_t factor = XPowModP(uint64_t{block_bytes} * 8);
  ShiftTable t{};
  for (int k = 0; k < 4; ++k) {
    for (uint32_t i = 0; i < 256; ++i) t[k][i] = MultModP(factor, i << (8 * k));
  }
  return t;
}

// Long blocks amortise the join over big buffers (whole segments during
// recovery); short ones still pay off for a typical batch of a few KiB.
constexpr size_t kLongBlock = 8192;
constexpr size_t kShortBlock = 256;
constexpr ShiftTable kShiftLong = MakeShiftTable(kLongBlock);
constexpr ShiftTable kShiftShort = MakeShiftTable(kShortBlock);

inline uint32_t Shift(const ShiftTable& t, uint32_t reg) {
  return t[0][reg & 0xff] ^ t[1][(reg >> 8) & 0xff] ^ t[2][(reg >> 16) & 0xff] ^ t[3][reg >> 24];
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <size_t Block>
inline uint32_t ThreeWay(uint32_t reg, const uint8_t* p, const ShiftTable& shift) {
  uint64_t a = reg, b = 0, c = 0;
  for (size_t i = 0; i < Block; i += 8) {
    a = _mm_crc32_u64(a, Load64(p + i));
    b = _mm_crc32_u64(b, Load64(p + Block + i));
    c = _mm_crc32_u64(c, Load64(p + 2 * Block + i));
  }
  uint32_t ab = Shift(shift, static_cast<uint32_t>(a)) ^ static_cast<uint32_t>(b);
  return Shift(shift, ab) ^ static_cast<uint32_t>(c);
}

uint32_t HardwareRegister(uint32_t reg, const uint8_t* p, size_t n) {
  // Aligned 8-byte loads never straddle a cache line.
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    reg = _mm_crc32_u8(reg, *p++);
    --n;
  }
  for (; n >= 3 * kLongBlock; p += 3 * kLongBlock, n -= 3 * kLongBlock) {
    reg = ThreeWay<kLongBlock>(reg, p, kShiftLong);
  }
  for (; n >= 3 * kShortBlock; p += 3 * kShortBlock, n -= 3 * kShortBlock) {
    reg = ThreeWay<kShortBlock>(reg, p, kShiftShort);
  }
  uint64_t wide = reg;
  for (; n >= 8; p += 8, n -= 8) wide = _mm_crc32_u64(wide, Load64(p));
  reg = static_cast<uint32_t>(wide);
  for (; n > 0; ++p, --n) reg = _mm_crc32_u8(reg, *p);
  return reg;
}

bool DetectSse42() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}

#endif  // __x86_64__

}  // namespace

bool HardwareAvailable() {
#if defined(__x86_64__)
  static const bool available = DetectSse42();
  return available;
#else
  return false;
#endif
}

// The public value is the register inverted on the way in and out, so a
// finished CRC can be extended without the caller undoing that step.
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n) {
  return ~PortableRegister(~crc, static_cast<const uint8_t*>(data), n);
}

uint32_t Extend(uint32_t crc, const void* data, size_t n) {
#if defined(__x86_64__)
  if (HardwareAvailable()) return ~HardwareRegister(~crc, static_cast<const uint8_t*>(data), n);
#endif
  return ExtendPortable(crc, data, n);
}

}  // namespace topicfs::store::crc32c
