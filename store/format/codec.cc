#include "store/format/codec.h"

#include <lz4.h>
#include <lz4frame.h>
#include <lz4hc.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "store/base/big_endian.h"
#include "store/base/byte_buffer.h"
#include "store/base/side_thread.h"

namespace topicfs::store {
namespace {

Status Damaged(Codec codec, std::string_view why) {
  return Status::Corruption(fmt::format("{} data does not decode: {}", CodecName(codec), why));
}
Status TooLarge(Codec codec, int64_t limit) {
  return Status::Corruption(fmt::format("{} data decodes to more than {} bytes", CodecName(codec), limit));
}

void StoreLe32(uint32_t v, char* at) {
  for (int i = 0; i < 4; ++i) at[i] = static_cast<char>(v >> (8 * i));
}
void AppendLe32(uint32_t v, std::string* out) {
  char bytes[4];
  StoreLe32(v, bytes);
  out->append(bytes, 4);
}

// Output written into *out in place: grows it by at least `want` bytes past
// `used` (doubling, so decoding is linear), never past `limit` bytes of
// output beyond `base`. False at the limit.
bool Grow(ByteBuffer* out, size_t base, size_t used, size_t want, int64_t limit) {
  const size_t cap = base + static_cast<size_t>(limit);
  if (used >= cap) return false;
  size_t size = std::max(used + want, std::max<size_t>(out->size() * 2, 64 << 10));
  out->ResizeUninitialized(std::min(size, cap));
  return true;
}

// ---- gzip ----------------------------------------------------------------

// What Java's GZIPOutputStream writes (JDK 16 and later): no name, no
// time, OS 0xff. zlib's own gzip wrapper would write OS 3.
constexpr unsigned char kGzipHeader[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};

Status GzipCompress(int level, std::string_view in, std::string* out) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::InvalidArgument(fmt::format("gzip level {} refused by zlib", level));
  }
  out->append(reinterpret_cast<const char*>(kGzipHeader), sizeof(kGzipHeader));
  const size_t start = out->size();
  const size_t bound = deflateBound(&z, static_cast<uLong>(in.size()));
  out->resize(start + bound);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out->data() + start);
  z.avail_out = static_cast<uInt>(bound);
  const int rc = deflate(&z, Z_FINISH);
  out->resize(start + z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return Status::IoError(ENOMEM, fmt::format("gzip compression failed ({})", rc));
  AppendLe32(static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(in.data()),
                                         static_cast<uInt>(in.size()))),
             out);
  AppendLe32(static_cast<uint32_t>(in.size()), out);
  return Status::Ok();
}

Status GzipDecompress(std::string_view in, int64_t limit, ByteBuffer* out) {
  z_stream z{};
  if (inflateInit2(&z, 16 + 15) != Z_OK) return Status::IoError(ENOMEM, "zlib inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> end(&z, inflateEnd);
  const size_t base = out->size();
  size_t used = base;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    if (used == out->size() && !Grow(out, base, used, in.size() * 4, limit)) return TooLarge(Codec::kGzip, limit);
    z.next_out = reinterpret_cast<Bytef*>(out->data() + used);
    z.avail_out = static_cast<uInt>(out->size() - used);
    const int rc = inflate(&z, Z_NO_FLUSH);
    used = out->size() - z.avail_out;
    if (rc == Z_STREAM_END) {
      // Java reads a next member, and ignores bytes that are not one.
      if (z.avail_in >= 2 && z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
        inflateReset(&z);
        continue;
      }
      break;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) return Damaged(Codec::kGzip, "it ends inside a member");
    if (rc != Z_OK && rc != Z_BUF_ERROR) return Damaged(Codec::kGzip, z.msg != nullptr ? z.msg : "inflate failed");
  }
  out->ResizeUninitialized(used);
  return Status::Ok();
}

// ---- snappy (xerial framing) ---------------------------------------------

constexpr char kXerialMagic[8] = {static_cast<char>(0x82), 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderSize = 16;  // magic, version 1, compatible version 1
constexpr size_t kXerialBlockSize = 32 << 10;

Status SnappyCompress(std::string_view in, std::string* out) {
  out->append(kXerialMagic, sizeof(kXerialMagic));
  out->append("\0\0\0\1\0\0\0\1", 8);
  for (size_t pos = 0; pos < in.size(); pos += kXerialBlockSize) {
    const size_t n = std::min(kXerialBlockSize, in.size() - pos);
    const size_t at = out->size();
    out->resize(at + 4 + snappy::MaxCompressedLength(n));
    size_t written = 0;
    snappy::RawCompress(in.data() + pos, n, out->data() + at + 4, &written);
    be::Store<int32_t>(out->data() + at, static_cast<int32_t>(written));
    out->resize(at + 4 + written);
  }
  return Status::Ok();
}

Status SnappyRaw(std::string_view block, int64_t limit, size_t base, ByteBuffer* out) {
  size_t n = 0;
  if (!snappy::GetUncompressedLength(block.data(), block.size(), &n)) {
    return Damaged(Codec::kSnappy, "bad length");
  }
  if (out->size() + n > base + static_cast<size_t>(limit)) return TooLarge(Codec::kSnappy, limit);
  const size_t at = out->size();
  out->ResizeUninitialized(at + n);
  if (!snappy::RawUncompress(block.data(), block.size(), out->data() + at)) {
    return Damaged(Codec::kSnappy, "bad block");
  }
  return Status::Ok();
}

Status SnappyDecompress(std::string_view in, int64_t limit, ByteBuffer* out) {
  const size_t base = out->size();
  auto is_header = [](std::string_view at) {
    return at.size() >= kXerialHeaderSize && std::memcmp(at.data(), kXerialMagic, sizeof(kXerialMagic)) == 0;
  };
  // Without the xerial magic it is one raw block, as Java's reader takes it.
  if (!is_header(in)) return SnappyRaw(in, limit, base, out);
  size_t pos = kXerialHeaderSize;
  while (pos < in.size()) {
    // A concatenated stream's header, where Java skips it.
    if (is_header(in.substr(pos))) {
      pos += kXerialHeaderSize;
      continue;
    }
    if (in.size() - pos < 4) return Damaged(Codec::kSnappy, "a block length is cut short");
    const int32_t n = be::Load<int32_t>(in.data() + pos);
    pos += 4;
    if (n < 0 || static_cast<size_t>(n) > in.size() - pos) return Damaged(Codec::kSnappy, "a block runs past the end");
    RETURN_IF_ERROR(SnappyRaw(in.substr(pos, static_cast<size_t>(n)), limit, base, out));
    pos += static_cast<size_t>(n);
  }
  return Status::Ok();
}

// ---- lz4 (Kafka's LZ4 frame) ---------------------------------------------

// Magic 0x184D2204, FLG 0x60 (version 1, independent blocks, no checksums,
// no content size), BD 0x40 (64 KiB blocks), header checksum 0x82.
constexpr unsigned char kLz4FrameHeader[7] = {0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82};
constexpr int kLz4BlockSize = 64 << 10;
constexpr uint32_t kLz4Uncompressed = 0x80000000u;

// Appends `in` as lz4 blocks of 64 KiB (the last one shorter).
void Lz4CompressBlocks(int level, std::string_view in, std::string* out) {
  for (size_t pos = 0; pos < in.size(); pos += kLz4BlockSize) {
    const int n = static_cast<int>(std::min<size_t>(kLz4BlockSize, in.size() - pos));
    const size_t at = out->size();
    const int bound = LZ4_compressBound(n);
    out->resize(at + 4 + static_cast<size_t>(bound));
    char* dst = out->data() + at + 4;
    // Kafka's level 9 is lz4-java's fast compressor; any other is HC.
    const int written = level == CodecLevels::kLz4Default ? LZ4_compress_default(in.data() + pos, dst, n, bound)
                                                          : LZ4_compress_HC(in.data() + pos, dst, n, bound, level);
    uint32_t word;
    if (written <= 0 || written >= n) {  // stored as it is, as Kafka does
      std::memcpy(dst, in.data() + pos, static_cast<size_t>(n));
      out->resize(at + 4 + static_cast<size_t>(n));
      word = kLz4Uncompressed | static_cast<uint32_t>(n);
    } else {
      out->resize(at + 4 + static_cast<size_t>(written));
      word = static_cast<uint32_t>(written);
    }
    StoreLe32(word, out->data() + at);
  }
}

// Blocks are independent, so a batch of several is compressed in two
// halves at once, the second on the side thread (when it is idle): the
// bytes are those of one pass, in half the time where a core is free.
constexpr size_t kLz4SplitAtBlocks = 4;

Status Lz4Compress(int level, std::string_view in, std::string* out) {
  out->append(reinterpret_cast<const char*>(kLz4FrameHeader), sizeof(kLz4FrameHeader));
  const size_t blocks = (in.size() + kLz4BlockSize - 1) / kLz4BlockSize;
  if (blocks < kLz4SplitAtBlocks) {
    Lz4CompressBlocks(level, in, out);
  } else {
    const size_t split = blocks / 2 * kLz4BlockSize;
    // This thread's buffer, kept so its pages stay mapped; named through a
    // pointer, since in the lambda the name would be the side thread's own.
    thread_local std::string second_half_buffer;
    std::string* second_half = &second_half_buffer;
    second_half->clear();
    bool second_done = false;
    const uint64_t ticket = SideThread::Shared().TryRun([&] {
      Lz4CompressBlocks(level, in.substr(split), second_half);
      second_done = true;
    });
    Lz4CompressBlocks(level, in.substr(0, split), out);
    if (ticket != 0) SideThread::Shared().Wait(ticket);
    if (!second_done) {
      second_half->clear();
      Lz4CompressBlocks(level, in.substr(split), second_half);
    }
    out->append(*second_half);
  }
  AppendLe32(0, out);  // end mark; no content checksum
  return Status::Ok();
}

Status Lz4FrameDecompress(std::string_view in, int64_t limit, ByteBuffer* out) {
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
    return Status::IoError(ENOMEM, "LZ4F_createDecompressionContext failed");
  }
  std::unique_ptr<LZ4F_dctx, size_t (*)(LZ4F_dctx*)> free_ctx(ctx, LZ4F_freeDecompressionContext);
  const size_t base = out->size();
  size_t used = base;
  size_t pos = 0;
  for (;;) {
    if (used == out->size() && !Grow(out, base, used, in.size() * 4, limit)) return TooLarge(Codec::kLz4, limit);
    size_t dst_size = out->size() - used;
    size_t src_size = in.size() - pos;
    const size_t hint = LZ4F_decompress(ctx, out->data() + used, &dst_size, in.data() + pos, &src_size, nullptr);
    if (LZ4F_isError(hint)) return Damaged(Codec::kLz4, LZ4F_getErrorName(hint));
    used += dst_size;
    pos += src_size;
    if (hint == 0) break;  // the frame is complete; Java ignores what follows
    if (pos == in.size() && dst_size == 0) return Damaged(Codec::kLz4, "it ends inside the frame");
  }
  out->ResizeUninitialized(used);
  return Status::Ok();
}

uint32_t LoadLe32(const char* at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(at[i])) << (8 * i);
  return v;
}

// Kafka's own frame (the header above: independent 64 KiB blocks, no
// checksums) decoded block by block with LZ4_decompress_safe straight into
// the output, sized once from the block headers. LZ4F's decoder would
// take the same bytes through its state machine, and grow the output
// blindly. Any other frame goes to LZ4F.
Status Lz4Decompress(std::string_view in, int64_t limit, ByteBuffer* out) {
  if (in.size() < sizeof(kLz4FrameHeader) ||
      std::memcmp(in.data(), kLz4FrameHeader, sizeof(kLz4FrameHeader)) != 0) {
    return Lz4FrameDecompress(in, limit, out);
  }
  // The blocks' framing first: where the end mark is, and how much output
  // the blocks can make.
  size_t bound = 0;
  size_t pos = sizeof(kLz4FrameHeader);
  for (;;) {
    if (in.size() - pos < 4) return Damaged(Codec::kLz4, "it ends inside the frame");
    const uint32_t word = LoadLe32(in.data() + pos);
    pos += 4;
    if (word == 0) break;
    const size_t n = word & ~kLz4Uncompressed;
    if (n > static_cast<size_t>(kLz4BlockSize)) return Damaged(Codec::kLz4, "a block is larger than 64 KiB");
    if (n > in.size() - pos) return Damaged(Codec::kLz4, "it ends inside the frame");
    bound += (word & kLz4Uncompressed) != 0 ? n : static_cast<size_t>(kLz4BlockSize);
    pos += n;
  }
  const size_t base = out->size();
  out->ResizeUninitialized(base + std::min(bound, static_cast<size_t>(limit)));
  size_t used = base;
  pos = sizeof(kLz4FrameHeader);
  for (;;) {
    const uint32_t word = LoadLe32(in.data() + pos);
    pos += 4;
    if (word == 0) break;
    const size_t n = word & ~kLz4Uncompressed;
    const size_t room = out->size() - used;
    if ((word & kLz4Uncompressed) != 0) {
      if (n > room) return TooLarge(Codec::kLz4, limit);
      std::memcpy(out->data() + used, in.data() + pos, n);
      used += n;
    } else {
      const int made = LZ4_decompress_safe(in.data() + pos, out->data() + used, static_cast<int>(n),
                                           static_cast<int>(std::min(room, static_cast<size_t>(kLz4BlockSize))));
      if (made < 0) {
        if (room < static_cast<size_t>(kLz4BlockSize)) return TooLarge(Codec::kLz4, limit);
        return Damaged(Codec::kLz4, "a block does not decode");
      }
      used += static_cast<size_t>(made);
    }
    pos += n;
  }
  out->ResizeUninitialized(used);
  return Status::Ok();
}

// ---- zstd ----------------------------------------------------------------

// One context per thread: a context holds window buffers worth reusing
// across the batches of a sequential read.
struct ZstdContexts {
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> compress{ZSTD_createCCtx(), ZSTD_freeCCtx};
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> decompress{ZSTD_createDCtx(), ZSTD_freeDCtx};
};
ZstdContexts& Zstd() {
  thread_local ZstdContexts contexts;
  return contexts;
}

Status ZstdCompress(int level, std::string_view in, std::string* out) {
  const size_t at = out->size();
  out->resize(at + ZSTD_compressBound(in.size()));
  // One shot: the frame carries its content size (kafka-python 2.0.2 needs
  // it for batches over 1 MiB); no checksum, as Kafka writes.
  const size_t n = ZSTD_compressCCtx(Zstd().compress.get(), out->data() + at, out->size() - at, in.data(),
                                     in.size(), level);
  if (ZSTD_isError(n)) {
    out->resize(at);
    return Status::IoError(ENOMEM, fmt::format("zstd compression failed: {}", ZSTD_getErrorName(n)));
  }
  out->resize(at + n);
  return Status::Ok();
}

Status ZstdDecompress(std::string_view in, int64_t limit, ByteBuffer* out) {
  ZSTD_DCtx* ctx = Zstd().decompress.get();
  ZSTD_DCtx_reset(ctx, ZSTD_reset_session_only);
  const size_t base = out->size();
  // One frame that states its size (what topicfs and kafka-python write):
  // decoded in one call into a buffer of exactly that size.
  const unsigned long long stated = ZSTD_getFrameContentSize(in.data(), in.size());
  if (stated != ZSTD_CONTENTSIZE_UNKNOWN && stated != ZSTD_CONTENTSIZE_ERROR &&
      ZSTD_findFrameCompressedSize(in.data(), in.size()) == in.size()) {
    if (stated > static_cast<unsigned long long>(limit)) return TooLarge(Codec::kZstd, limit);
    out->ResizeUninitialized(base + stated);
    const size_t n = ZSTD_decompressDCtx(ctx, out->data() + base, stated, in.data(), in.size());
    if (ZSTD_isError(n) || n != stated) {
      out->ResizeUninitialized(base);
      return Damaged(Codec::kZstd, ZSTD_isError(n) ? ZSTD_getErrorName(n) : "shorter than its stated size");
    }
    return Status::Ok();
  }
  size_t used = base;
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  size_t pending = 1;
  for (;;) {
    if (used == out->size() && !Grow(out, base, used, in.size() * 4, limit)) return TooLarge(Codec::kZstd, limit);
    ZSTD_outBuffer dst{out->data() + used, out->size() - used, 0};
    pending = ZSTD_decompressStream(ctx, &dst, &src);
    if (ZSTD_isError(pending)) return Damaged(Codec::kZstd, ZSTD_getErrorName(pending));
    used += dst.pos;
    // Done when every frame (Java reads concatenated ones) is complete.
    if (src.pos == src.size && pending == 0) break;
    if (src.pos == src.size && dst.pos < dst.size) return Damaged(Codec::kZstd, "it ends inside a frame");
  }
  out->ResizeUninitialized(used);
  return Status::Ok();
}

}  // namespace

std::string_view CodecName(Codec codec) {
  switch (codec) {
    case Codec::kNone: return "none";
    case Codec::kGzip: return "gzip";
    case Codec::kSnappy: return "snappy";
    case Codec::kLz4: return "lz4";
    case Codec::kZstd: return "zstd";
  }
  return "unknown";
}

int DefaultLevel(Codec codec) {
  switch (codec) {
    case Codec::kGzip: return CodecLevels::kGzipDefault;
    case Codec::kLz4: return CodecLevels::kLz4Default;
    case Codec::kZstd: return CodecLevels::kZstdDefault;
    default: return 0;
  }
}

Status Compress(Codec codec, int level, std::string_view input, std::string* out) {
  switch (codec) {
    case Codec::kGzip: return GzipCompress(level, input, out);
    case Codec::kSnappy: return SnappyCompress(input, out);
    case Codec::kLz4: return Lz4Compress(level, input, out);
    case Codec::kZstd: return ZstdCompress(level, input, out);
    case Codec::kNone: break;
  }
  return Status::InvalidArgument(fmt::format("no compression with codec {}", CodecName(codec)));
}

Status Decompress(Codec codec, std::string_view input, int64_t limit, ByteBuffer* out) {
  switch (codec) {
    case Codec::kGzip: return GzipDecompress(input, limit, out);
    case Codec::kSnappy: return SnappyDecompress(input, limit, out);
    case Codec::kLz4: return Lz4Decompress(input, limit, out);
    case Codec::kZstd: return ZstdDecompress(input, limit, out);
    case Codec::kNone: break;
  }
  return Status::InvalidArgument(fmt::format("no decompression with codec {}", CodecName(codec)));
}

Status Decompress(Codec codec, std::string_view input, int64_t limit, std::string* out) {
  ByteBuffer inflated;
  RETURN_IF_ERROR(Decompress(codec, input, limit, &inflated));
  out->append(inflated.view());
  return Status::Ok();
}

}  // namespace topicfs::store
