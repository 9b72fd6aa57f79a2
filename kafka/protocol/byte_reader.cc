#include "kafka/protocol/byte_reader.h"

#include <cstring>

#include <fmt/format.h>

namespace topicfs::kafka {

void ByteReader::Fail(std::string_view why) {
  if (error_.empty()) error_ = fmt::format("{} at byte {}", why, pos_);
  pos_ = bytes_.size();  // every later read fails too
}

bool ByteReader::Need(size_t n, const char* what) {
  if (!ok()) return false;
  if (remaining() < n) {
    Fail(fmt::format("truncated {}", what));
    return false;
  }
  return true;
}

namespace {
template <typename T>
T BigEndian(const char* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | static_cast<uint8_t>(p[i]));
  return v;
}
}  // namespace

int8_t ByteReader::Int8() {
  if (!Need(1, "int8")) return 0;
  return static_cast<int8_t>(bytes_[pos_++]);
}

int16_t ByteReader::Int16() {
  if (!Need(2, "int16")) return 0;
  auto v = BigEndian<uint16_t>(bytes_.data() + pos_);
  pos_ += 2;
  return static_cast<int16_t>(v);
}

int32_t ByteReader::Int32() { return static_cast<int32_t>(Uint32()); }

uint32_t ByteReader::Uint32() {
  if (!Need(4, "int32")) return 0;
  auto v = BigEndian<uint32_t>(bytes_.data() + pos_);
  pos_ += 4;
  return v;
}

int64_t ByteReader::Int64() {
  if (!Need(8, "int64")) return 0;
  auto v = BigEndian<uint64_t>(bytes_.data() + pos_);
  pos_ += 8;
  return static_cast<int64_t>(v);
}

bool ByteReader::Bool() { return Int8() != 0; }

uint32_t ByteReader::UnsignedVarint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (!Need(1, "varint")) return 0;
    auto b = static_cast<uint8_t>(bytes_[pos_++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      if (v > UINT32_MAX) break;
      return static_cast<uint32_t>(v);
    }
  }
  Fail("varint longer than 5 bytes");
  return 0;
}

int32_t ByteReader::Varint() {
  uint32_t u = UnsignedVarint();
  return static_cast<int32_t>((u >> 1) ^ -(u & 1));
}

int64_t ByteReader::Varlong() {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (!Need(1, "varlong")) return 0;
    auto b = static_cast<uint8_t>(bytes_[pos_++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return static_cast<int64_t>((v >> 1) ^ -(v & 1));
  }
  Fail("varlong longer than 10 bytes");
  return 0;
}

Uuid ByteReader::ReadUuid() {
  Uuid u{};
  if (!Need(16, "uuid")) return u;
  std::memcpy(u.data(), bytes_.data() + pos_, 16);
  pos_ += 16;
  return u;
}

int64_t ByteReader::Length(bool compact, bool wide) {
  if (compact) return static_cast<int64_t>(UnsignedVarint()) - 1;
  return wide ? Int32() : Int16();
}

std::string_view ByteReader::Raw(size_t n) {
  if (!Need(n, "bytes")) return {};
  std::string_view v = bytes_.substr(pos_, n);
  pos_ += n;
  return v;
}

std::optional<std::string_view> ByteReader::NullableString(bool compact) {
  int64_t n = Length(compact, /*wide=*/false);
  if (!ok()) return std::string_view();
  if (n < -1) {
    Fail("bad string length");
    return std::string_view();
  }
  if (n == -1) return std::nullopt;
  return Raw(static_cast<size_t>(n));
}

std::string_view ByteReader::String(bool compact) {
  auto s = NullableString(compact);
  if (!s) {
    Fail("null string where one is required");
    return {};
  }
  return *s;
}

std::optional<std::string_view> ByteReader::NullableBytes(bool compact) {
  int64_t n = Length(compact, /*wide=*/true);
  if (!ok()) return std::string_view();
  if (n < -1) {
    Fail("bad bytes length");
    return std::string_view();
  }
  if (n == -1) return std::nullopt;
  return Raw(static_cast<size_t>(n));
}

std::string_view ByteReader::Bytes(bool compact) {
  auto b = NullableBytes(compact);
  if (!b) {
    Fail("null bytes where they are required");
    return {};
  }
  return *b;
}

int32_t ByteReader::ArrayLength(bool compact) {
  int64_t n = Length(compact, /*wide=*/true);
  if (!ok()) return 0;
  if (n < -1 || n > static_cast<int64_t>(remaining())) {
    Fail("bad array length");
    return 0;
  }
  return static_cast<int32_t>(n);
}

void ByteReader::SkipTaggedFields() {
  uint32_t count = UnsignedVarint();
  for (uint32_t i = 0; i < count && ok(); ++i) {
    UnsignedVarint();  // tag
    uint32_t size = UnsignedVarint();
    Raw(size);
  }
}

}  // namespace topicfs::kafka
