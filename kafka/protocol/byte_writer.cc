#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {

void ByteWriter::Int16(int16_t v) {
  auto u = static_cast<uint16_t>(v);
  out_->push_back(static_cast<char>(u >> 8));
  out_->push_back(static_cast<char>(u));
}

void ByteWriter::Int32(int32_t v) {
  auto u = static_cast<uint32_t>(v);
  for (int shift = 24; shift >= 0; shift -= 8) out_->push_back(static_cast<char>(u >> shift));
}

void ByteWriter::Int64(int64_t v) {
  auto u = static_cast<uint64_t>(v);
  for (int shift = 56; shift >= 0; shift -= 8) out_->push_back(static_cast<char>(u >> shift));
}

void ByteWriter::UnsignedVarint(uint32_t v) {
  while (v >= 0x80) {
    out_->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<char>(v));
}

void ByteWriter::Varint(int32_t v) {
  UnsignedVarint((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31));
}

void ByteWriter::Varlong(int64_t v) {
  uint64_t u = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (u >= 0x80) {
    out_->push_back(static_cast<char>((u & 0x7f) | 0x80));
    u >>= 7;
  }
  out_->push_back(static_cast<char>(u));
}

void ByteWriter::String(std::string_view s, bool compact) {
  if (compact) {
    UnsignedVarint(static_cast<uint32_t>(s.size() + 1));
  } else {
    Int16(static_cast<int16_t>(s.size()));
  }
  Raw(s);
}

void ByteWriter::NullableString(std::optional<std::string_view> s, bool compact) {
  if (s) return String(*s, compact);
  if (compact) {
    UnsignedVarint(0);
  } else {
    Int16(-1);
  }
}

void ByteWriter::NullableBytes(std::optional<std::string_view> b, bool compact) {
  if (!b) {
    if (compact) {
      UnsignedVarint(0);
    } else {
      Int32(-1);
    }
    return;
  }
  if (compact) {
    UnsignedVarint(static_cast<uint32_t>(b->size() + 1));
  } else {
    Int32(static_cast<int32_t>(b->size()));
  }
  Raw(*b);
}

void ByteWriter::ArrayLength(int32_t n, bool compact) {
  if (compact) {
    UnsignedVarint(static_cast<uint32_t>(n + 1));
  } else {
    Int32(n);
  }
}

void ByteWriter::PatchInt32(size_t at, int32_t v) {
  auto u = static_cast<uint32_t>(v);
  for (int i = 0; i < 4; ++i) (*out_)[at + i] = static_cast<char>(u >> (24 - 8 * i));
}

}  // namespace topicfs::kafka
