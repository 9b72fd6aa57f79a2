#pragma once
// What the group coordinator answers, named and numbered as Kafka's error
// codes (org.apache.kafka.common.protocol.Errors), so a Kafka listener
// sends static_cast<int16_t>(error) as it is and the filesystem can turn
// the few it meets into errnos.

#include <cstdint>
#include <string_view>

namespace topicfs::store {

enum class GroupError : int16_t {
  kNone = 0,
  kUnknownServerError = -1,
  kUnknownTopicOrPartition = 3,
  kOffsetMetadataTooLarge = 12,
  kCoordinatorNotAvailable = 15,
  kNotCoordinator = 16,
  kIllegalGeneration = 22,
  kInconsistentGroupProtocol = 23,
  kInvalidGroupId = 24,
  kUnknownMemberId = 25,
  kInvalidSessionTimeout = 26,
  kRebalanceInProgress = 27,
  kInvalidCommitOffsetSize = 28,
  kNonEmptyGroup = 68,
  kGroupIdNotFound = 69,
  kMemberIdRequired = 79,
  kGroupMaxSizeReached = 81,
  kFencedInstanceId = 82,
  kGroupSubscribedToTopic = 86,
};

// Kafka's name of the error, e.g. "UNKNOWN_MEMBER_ID".
std::string_view GroupErrorName(GroupError error);

}  // namespace topicfs::store
