// InitProducerId: an idempotent producer gets a new producer id, epoch 0;
// one that names its current id and epoch (v3+) gets the epoch bumped (a
// new id when the epoch would overflow). Transactions are not served: a
// transactional id is TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which Java
// and librdkafka producers treat as fatal at once, never a retry loop.

#include "kafka/broker/admin_apis.h"
#include "kafka/protocol/error_codes.h"
#include "kafka/protocol/init_producer_id.h"

namespace topicfs::kafka {

void AdminApis::HandleInitProducerId(Answer& answer, ByteReader& in) {
  InitProducerIdRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  InitProducerIdResponse response;
  if (request.transactional_id && !request.transactional_id->empty()) {
    response.error_code = error::kTransactionalIdAuthorizationFailed;
  } else if (request.producer_id >= 0 && request.producer_epoch >= 0 && request.producer_epoch < INT16_MAX - 1) {
    response.producer_id = request.producer_id;
    response.producer_epoch = static_cast<int16_t>(request.producer_epoch + 1);
  } else {
    response.producer_id = next_producer_id_.fetch_add(1);
    response.producer_epoch = 0;
  }
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
