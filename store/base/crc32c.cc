#include "store/base/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
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

// The crc32 instruction is SSE4.2's: these functions are compiled for it
// alone (the rest of the build is not), and run only where
// HardwareAvailable() found it.
#define TOPICFS_SSE42_TARGET __attribute__((target("sse4.2")))

template <size_t Block>
TOPICFS_SSE42_TARGET inline uint32_t ThreeWay(uint32_t reg, const uint8_t* p, const ShiftTable& shift) {
  uint64_t a = reg, b = 0, c = 0;
  for (size_t i = 0; i < Block; i += 8) {
    a = _mm_crc32_u64(a, Load64(p + i));
    b = _mm_crc32_u64(b, Load64(p + Block + i));
    c = _mm_crc32_u64(c, Load64(p + 2 * Block + i));
  }
  uint32_t ab = Shift(shift, static_cast<uint32_t>(a)) ^ static_cast<uint32_t>(b);
  return Shift(shift, ab) ^ static_cast<uint32_t>(c);
}

TOPICFS_SSE42_TARGET uint32_t HardwareRegister(uint32_t reg, const uint8_t* p, size_t n) {
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

// ---- Hardware: folding with carry-less multiplication (AVX-512) ----
//
// Where the CPU has VPCLMULQDQ on 512-bit registers, long inputs are folded
// instead: four registers hold 256 bytes as 16 lanes of 128 bits, and each
// step multiplies every lane by x^2048 mod P (in two 64-bit halves) and adds
// the next 256 bytes, keeping the lanes congruent to the input so far. That
// moves 256 bytes per step where the crc32 instruction moves 24. The lanes
// are then folded into one 128-bit value, whose CRC (through the crc32
// instruction) is the CRC of everything folded.
//
// Lanes are loaded little-endian, so bit i of a lane is the coefficient of
// x^(127-i) counted from the lane's end, and its low 64 bits are the high-
// degree half. Multiplying a 64-bit half by a 33-bit constant c (the reflected
// x^e mod P, shifted left once) lands the product back in lane order times
// x^32, hence the exponents below: to move a lane D bits on, its low half is
// multiplied by x^(D+32) mod P and its high half by x^(D-32) mod P.

constexpr uint64_t FoldConstant(uint64_t exponent) { return uint64_t{XPowModP(exponent)} << 1; }

struct FoldConstants {
  uint64_t low, high;  // for the low and the high 64 bits of a lane
};
constexpr FoldConstants FoldBy(uint64_t bits) {
  return {FoldConstant(bits + 32), FoldConstant(bits - 32)};
}
constexpr FoldConstants kFold2048 = FoldBy(2048), kFold512 = FoldBy(512);
constexpr FoldConstants kFold384 = FoldBy(384), kFold256 = FoldBy(256), kFold128 = FoldBy(128);

#define TOPICFS_FOLD_TARGET __attribute__((target("avx512f,avx512vl,vpclmulqdq,pclmul,sse4.2")))

TOPICFS_FOLD_TARGET inline __m512i Broadcast(FoldConstants k) {
  const auto low = static_cast<int64_t>(k.low), high = static_cast<int64_t>(k.high);
  return _mm512_set_epi64(high, low, high, low, high, low, high, low);
}

// Each lane of x moved on by the distance k was made for, plus data.
TOPICFS_FOLD_TARGET inline __m512i Fold(__m512i x, __m512i k, __m512i data) {
  const __m512i low = _mm512_clmulepi64_epi128(x, k, 0x00);
  const __m512i high = _mm512_clmulepi64_epi128(x, k, 0x11);
  return _mm512_ternarylogic_epi64(low, high, data, 0x96);  // low ^ high ^ data
}

TOPICFS_FOLD_TARGET inline __m128i Fold128(__m128i x, FoldConstants k) {
  const __m128i kk = _mm_set_epi64x(static_cast<int64_t>(k.high), static_cast<int64_t>(k.low));
  return _mm_xor_si128(_mm_clmulepi64_si128(x, kk, 0x00), _mm_clmulepi64_si128(x, kk, 0x11));
}

// Folds the whole 256-byte blocks of [p, p + n), n >= 256, into the register;
// *consumed says how many bytes that was.
TOPICFS_FOLD_TARGET uint32_t FoldRegister(uint32_t reg, const uint8_t* p, size_t n, size_t* consumed) {
  const uint8_t* const begin = p;
  // The register enters as the first four bytes XOR reg: a reflected CRC
  // started from reg equals one started from zero over that input.
  __m512i x0 = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_set_epi64(0, 0, 0, 0, 0, 0, 0, reg));
  __m512i x1 = _mm512_loadu_si512(p + 64);
  __m512i x2 = _mm512_loadu_si512(p + 128);
  __m512i x3 = _mm512_loadu_si512(p + 192);
  p += 256;
  n -= 256;
  const __m512i k2048 = Broadcast(kFold2048);
  for (; n >= 256; p += 256, n -= 256) {
    x0 = Fold(x0, k2048, _mm512_loadu_si512(p));
    x1 = Fold(x1, k2048, _mm512_loadu_si512(p + 64));
    x2 = Fold(x2, k2048, _mm512_loadu_si512(p + 128));
    x3 = Fold(x3, k2048, _mm512_loadu_si512(p + 192));
  }
  const __m512i k512 = Broadcast(kFold512);
  x1 = Fold(x0, k512, x1);
  x2 = Fold(x1, k512, x2);
  x3 = Fold(x2, k512, x3);
  // The four lanes of x3, first to last, into the last one.
  alignas(64) __m128i lanes[4];
  _mm512_store_si512(lanes, x3);
  __m128i r = lanes[3];
  r = _mm_xor_si128(r, Fold128(lanes[0], kFold384));
  r = _mm_xor_si128(r, Fold128(lanes[1], kFold256));
  r = _mm_xor_si128(r, Fold128(lanes[2], kFold128));
  uint64_t crc = _mm_crc32_u64(0, static_cast<uint64_t>(_mm_cvtsi128_si64(r)));
  crc = _mm_crc32_u64(crc, static_cast<uint64_t>(_mm_extract_epi64(r, 1)));
  *consumed = static_cast<size_t>(p - begin);
  return static_cast<uint32_t>(crc);
}

#undef TOPICFS_FOLD_TARGET

bool DetectFolding() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("pclmul") &&
         __builtin_cpu_supports("sse4.2");
}

// Below this, the crc32 instruction's three streams are as fast.
constexpr size_t kMinFoldBytes = 1024;

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
  static const bool folding = DetectFolding();
  const auto* p = static_cast<const uint8_t*>(data);
  if (folding && n >= kMinFoldBytes) {
    size_t consumed = 0;
    const uint32_t reg = FoldRegister(~crc, p, n, &consumed);
    return ~HardwareRegister(reg, p + consumed, n - consumed);
  }
  if (HardwareAvailable()) return ~HardwareRegister(~crc, p, n);
#endif
  return ExtendPortable(crc, data, n);
}

}  // namespace topicfs::store::crc32c
