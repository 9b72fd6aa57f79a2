#include "kafka/protocol/init_producer_id.h"

#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {

bool InitProducerIdRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 2;
  transactional_id = in.NullableString(flexible);
  transaction_timeout_ms = in.Int32();
  if (version >= 3) {
    producer_id = in.Int64();
    producer_epoch = in.Int16();
  }
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void InitProducerIdResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  w.Int32(throttle_time_ms);
  w.Int16(error_code);
  w.Int64(producer_id);
  w.Int16(producer_epoch);
  if (version >= 2) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
