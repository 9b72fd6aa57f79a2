#include "store/format/batch_compression.h"

#include "store/base/big_endian.h"
#include "store/base/format.h"
#include "store/format/batch_header.h"

namespace topicfs::store {
namespace {

constexpr size_t kHeaderSize = format::kBatchHeaderSize;

// For a compressed batch (a std::string) and an inflated twin (a ByteBuffer).
template <typename Bytes>
void SetCodecAndLength(Codec codec, Bytes* batch) {
  char* p = batch->data();
  int16_t attributes = be::Load<int16_t>(p + format::kAttributesPos);
  attributes = static_cast<int16_t>((attributes & ~format::kCompressionMask) | static_cast<int16_t>(codec));
  be::Store<int16_t>(p + format::kAttributesPos, attributes);
  be::Store<int32_t>(p + format::kLengthPos, static_cast<int32_t>(batch->size() - format::kLogOverhead));
}

}  // namespace

Codec BatchCodec(std::string_view batch) {
  return static_cast<Codec>(be::Load<int16_t>(batch.data() + format::kAttributesPos) & format::kCompressionMask);
}

Status CompressBatch(std::string_view plain, Codec codec, int level, std::string* out) {
  if (codec == Codec::kNone) {
    out->assign(plain);
    return Status::Ok();
  }
  out->assign(plain.substr(0, kHeaderSize));
  RETURN_IF_ERROR(Compress(codec, level, plain.substr(kHeaderSize), out));
  SetCodecAndLength(codec, out);
  be::Store<uint32_t>(out->data() + format::kCrcPos, BatchCrc(*out));
  return Status::Ok();
}

Status InflateBatch(std::string_view batch, ByteBuffer* out) {
  const Codec codec = BatchCodec(batch);
  out->clear();
  if (codec == Codec::kNone) {
    out->Append(batch);
    return Status::Ok();
  }
  out->Append(batch.substr(0, kHeaderSize));
  Status inflated = Decompress(codec, batch.substr(kHeaderSize), kMaxInflatedBatchBytes - int64_t{kHeaderSize}, out);
  if (!inflated.ok()) {
    return inflated.Annotate(fmt::format("batch at offset {}", be::Load<int64_t>(batch.data())));
  }
  SetCodecAndLength(Codec::kNone, out);
  return Status::Ok();
}

Status InflateBatch(std::string_view batch, std::string* out) {
  // Off the read path (loading, recovery, the cleaner): a copy is cheap there.
  ByteBuffer inflated;
  RETURN_IF_ERROR(InflateBatch(batch, &inflated));
  out->assign(inflated.view());
  return Status::Ok();
}

Result<std::string_view> ReadableBatch(std::string_view batch, std::string* twin) {
  if (batch.size() < kHeaderSize || BatchCodec(batch) == Codec::kNone) return batch;
  RETURN_IF_ERROR(InflateBatch(batch, twin));
  return std::string_view(*twin);
}

}  // namespace topicfs::store
