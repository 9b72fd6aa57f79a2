// Log::AppendProducedBatches: the append a Kafka Produce makes. A producer
// numbers its records 0, 1, 2, ... within each batch; here they get their
// offsets in the one coordinate (the byte position of each record's first
// presented byte), so every batch is built again at those offsets, with
// its LastOffsetDelta and CRC-32C recomputed, as Kafka's broker rebuilds a
// batch it must recompress (LogValidator).

#include <algorithm>

#include "store/base/format.h"
#include "store/format/batch_compression.h"
#include "store/format/presented_record.h"
#include "store/format/produced_batches.h"
#include "store/log/log.h"

namespace topicfs::store {

Result<AppendResult> Log::AppendProducedBatches(std::string_view records, ProducedBy by) {
  // Decoding (CRCs, inflating) needs no lock: the appender waits only for
  // the re-encoding and the write.
  std::vector<ProducedBatch> batches;
  RETURN_IF_ERROR(DecodeProducedBatches(records, &batches));

  MutexLock lock(&append_mu_);
  if (fenced_) return Status::Fenced(fence_reason_);
  if (read_only_) return Status::ReadOnly(read_only_reason_);
  const LogConfig& cfg = appender_config();
  const int64_t batch_limit = std::min(cfg.max_message_bytes, cfg.segment_bytes);
  auto too_large = [&](size_t i, int64_t size, const char* what) {
    return Status::RecordTooLarge(fmt::format(
        "produced batch {} of {} bytes {}, over the limit of {} (max.message.bytes={}, segment.bytes={})",
        i, size, what, batch_limit, cfg.max_message_bytes, cfg.segment_bytes));
  };
  for (size_t i = 0; i < batches.size(); ++i) {
    const int64_t size = static_cast<int64_t>(batches[i].bytes.size());
    if (size > batch_limit) return too_large(i, size, "as sent");
    if (!cfg.cleanup_compact) continue;
    for (const RecordView& r : batches[i].records) {
      if (!r.key) {
        return Status::InvalidArgument(
            fmt::format("compacted topic needs a key: a record of produced batch {} has a null key", i));
      }
    }
  }

  const Timestamp now = clock_->Now();
  // Kafka's LogValidator: an idempotent producer's batch is the only batch
  // of its produce for the partition (its one sequence range is what a
  // retry is matched by).
  const BatchHeader* idempotent = nullptr;
  for (const ProducedBatch& b : batches) {
    if (b.header.producer_id >= 0) idempotent = &b.header;
  }
  if (idempotent != nullptr && batches.size() != 1) {
    return Status::InvalidArgument(fmt::format(
        "a produce with a batch of idempotent producer {} must hold only that batch for the partition, not {}",
        idempotent->producer_id, batches.size()));
  }
  if (idempotent != nullptr && by == ProducedBy::kProducer) {
    ASSIGN_OR_RETURN(std::optional<AppendResult> duplicate, JudgeProducedBatch(*idempotent, now));
    if (duplicate) return *duplicate;
  }

  const Offset start = log_end_offset();
  AppendResult result{start, start, 0, 0, now};
  // Gathered and written as one, as Append writes several batches: none is
  // visible or survives a crash without the others.
  multi_batch_.clear();
  std::vector<BatchLocation> locations;
  Offset offset = start;
  // A keyed record from a Kafka producer reads as a keyed line written
  // through the mount: key + separator + value. The presentation follows
  // the record's bytes, never the config (byte positions must not move if
  // key.separator changes later), so the separator goes into the record.
  const bool add_separator = by == ProducedBy::kProducer && !cfg.key_separator.empty();
  const RecordHeader separator{format::kSeparatorHeader, cfg.key_separator};
  for (size_t i = 0; i < batches.size(); ++i) {
    const ProducedBatch& produced = batches[i];
    builder_.Reset(offset, produced.header.base_timestamp);
    builder_.SetProducer(produced.header.producer_id, produced.header.producer_epoch,
                         produced.header.base_sequence);
    for (RecordView r : produced.records) {
      r.offset = offset;
      if (add_separator && r.key && !r.HasHeader(format::kSeparatorHeader)) {
        builder_.AddCopyWithHeader(r, separator);
        offset += KeyedPresentedSize(r, separator.value->size());
      } else {
        builder_.AddCopy(r);
        offset += PresentedSize(r);
      }
    }
    builder_.SetLastOffset(offset - 1);
    BatchLocation loc;
    loc.base_offset = builder_.base_offset();
    loc.last_offset = builder_.last_offset();
    loc.records = builder_.records();
    loc.max_timestamp = builder_.max_timestamp();
    std::string_view batch = builder_.Finish();
    const Codec codec = cfg.compression_type == CompressionType::kProducer ? produced.codec : cfg.AppendCodec();
    if (codec != Codec::kNone) {
      RETURN_IF_ERROR(CompressBatch(batch, codec, cfg.LevelFor(codec), &compressed_batch_));
      // Incompressible near the limit: kept uncompressed rather than refused.
      const bool fits = static_cast<int64_t>(compressed_batch_.size()) <= batch_limit;
      if (fits || static_cast<int64_t>(batch.size()) > batch_limit) {
        batch = compressed_batch_;
        loc.compressed = true;
      }
    }
    // Offset deltas in the one coordinate take more varint bytes than 0, 1,
    // 2, ...: a batch just under the limit may pass it re-encoded.
    if (static_cast<int64_t>(batch.size()) > batch_limit) {
      return too_large(i, static_cast<int64_t>(batch.size()), "re-encoded at its offsets");
    }
    loc.position = FilePosition(static_cast<int64_t>(multi_batch_.size()));
    loc.size = static_cast<int64_t>(batch.size());
    multi_batch_.append(batch);
    locations.push_back(loc);
    result.records += loc.records;
    ++result.batches;
  }
  const BatchLocation first_location = locations.front();
  RETURN_IF_ERROR(WriteBatches(multi_batch_, std::move(locations), result.records, offset));
  if (idempotent != nullptr) {
    // Once the batch landed: a failed write must not make its retry a duplicate.
    const int32_t last_sequence = ProducerStateTable::LastSequence(idempotent->base_sequence,
                                                                   idempotent->records_count);
    producer_state_.Record(idempotent->producer_id, idempotent->producer_epoch,
                           {idempotent->base_sequence, last_sequence, first_location.base_offset,
                            first_location.last_offset, first_location.max_timestamp});
  }
  result.end_offset = offset;
  RETURN_IF_ERROR(FinishAppend(result, now));
  return result;
}

}  // namespace topicfs::store
