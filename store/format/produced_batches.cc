#include "store/format/produced_batches.h"

#include <memory>

#include "store/base/format.h"
#include "store/format/batch_compression.h"

namespace topicfs::store {
namespace {

// The header of the batch at `pos`, framed and CRC-checked.
Result<BatchHeader> FrameBatch(std::string_view records, size_t pos) {
  const std::string_view rest = records.substr(pos);
  auto where = [pos](std::string_view why) {
    return fmt::format("produced batch at byte {}: {}", pos, why);
  };
  if (rest.size() < static_cast<size_t>(format::kHeaderSizeUpToMagic)) {
    return Status::Corruption(where(fmt::format("truncated: {} bytes, not even a frame", rest.size())));
  }
  auto header = ParseBatchHeader(rest);
  if (!header.ok()) return header.status().Annotate(fmt::format("produced batch at byte {}", pos));
  if (static_cast<uint64_t>(header->size()) > rest.size()) {
    return Status::Corruption(
        where(fmt::format("truncated: declares {} bytes, {} present", header->size(), rest.size())));
  }
  const std::string_view batch = rest.substr(0, static_cast<size_t>(header->size()));
  if (Status verified = VerifyBatch(batch); !verified.ok()) return verified.Annotate(fmt::format("produced batch at byte {}", pos));
  if (header->is_control()) {
    return Status::Unsupported(where("a control batch (only a broker writes those)"));
  }
  if ((header->attributes & format::kTransactionalBit) != 0) {
    return Status::Unsupported(where("a transactional batch (transactions are not supported)"));
  }
  if (header->records_count == 0) return Status::InvalidArgument(where("no records"));
  if (header->last_offset_delta != header->records_count - 1) {
    return Status::InvalidArgument(where(fmt::format("LastOffsetDelta {} for {} records",
                                                     header->last_offset_delta, header->records_count)));
  }
  return header;
}

// The records of a framed batch, checked to be numbered 0, 1, 2, ...
Status DecodeRecords(ProducedBatch* batch, size_t pos) {
  std::string_view readable = batch->bytes;
  if (batch->codec != Codec::kNone) {
    batch->twin = std::make_unique<std::string>();
    auto inflated = ReadableBatch(batch->bytes, batch->twin.get());
    if (!inflated.ok()) {
      return inflated.status().Annotate(fmt::format("produced batch at byte {}", pos));
    }
    readable = *inflated;
  }
  RecordReader reader(readable);
  RecordView rec;
  batch->records.reserve(static_cast<size_t>(batch->header.records_count));
  while (reader.Next(&rec)) {
    const Offset want = batch->header.base_offset + static_cast<int64_t>(batch->records.size());
    if (rec.offset != want) {
      return Status::InvalidArgument(fmt::format("produced batch at byte {}: record {} has offset delta {}",
                                                 pos, batch->records.size(),
                                                 rec.offset - batch->header.base_offset));
    }
    batch->records.push_back(rec);
  }
  if (!reader.status().ok()) {
    return reader.status().Annotate(fmt::format("produced batch at byte {}", pos));
  }
  return Status::Ok();
}

}  // namespace

Status DecodeProducedBatches(std::string_view records, std::vector<ProducedBatch>* out) {
  out->clear();
  if (records.empty()) return Status::Corruption("a produce without a record batch");
  // Framed first, decoded second: the records point into batches that no
  // longer move.
  std::vector<size_t> positions;
  for (size_t pos = 0; pos < records.size();) {
    ASSIGN_OR_RETURN(BatchHeader header, FrameBatch(records, pos));
    ProducedBatch batch;
    batch.header = header;
    batch.codec = static_cast<Codec>(header.attributes & format::kCompressionMask);
    batch.bytes = records.substr(pos, static_cast<size_t>(header.size()));
    out->push_back(std::move(batch));
    positions.push_back(pos);
    pos += static_cast<size_t>(header.size());
  }
  for (size_t i = 0; i < out->size(); ++i) RETURN_IF_ERROR(DecodeRecords(&(*out)[i], positions[i]));
  return Status::Ok();
}

}  // namespace topicfs::store
