#pragma once
// Kafka's error codes (docs/protocol.html, "Error Codes") that the admin
// and SASL APIs answer with, beside error_codes.h's.

#include <cstdint>

namespace topicfs::kafka::error {

inline constexpr int16_t kTopicAuthorizationFailed = 29;
inline constexpr int16_t kUnsupportedSaslMechanism = 33;
inline constexpr int16_t kTopicAlreadyExists = 36;
inline constexpr int16_t kInvalidPartitions = 37;
inline constexpr int16_t kInvalidReplicationFactor = 38;
inline constexpr int16_t kInvalidReplicaAssignment = 39;
inline constexpr int16_t kInvalidConfig = 40;
inline constexpr int16_t kUnknownTopicId = 100;

}  // namespace topicfs::kafka::error
