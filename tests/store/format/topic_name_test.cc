#include "store/format/topic_name.h"

#include <string>

#include <gtest/gtest.h>

namespace topicfs::store {
namespace {

TEST(TopicNameTest, LegalNamesAreAccepted) {
  for (const std::string& name :
       {std::string("valid"), std::string("TOPIC"), std::string("_0-9_."), std::string("..."),
        std::string("a"), std::string(kMaxTopicNameLength, 'x')}) {
    Status st = ValidateTopicName(name);
    EXPECT_TRUE(st.ok()) << name << ": " << st.ToString();
  }
}

TEST(TopicNameTest, IllegalNamesAreInvalidArgument) {
  for (const std::string& name :
       {std::string(""), std::string("."), std::string(".."), std::string("foo bar"),
        std::string("foo:bar"), std::string("foo=bar"), std::string("foo/bar"),
        std::string(kMaxTopicNameLength + 1, 'x'), std::string("caf\xc3\xa9"), std::string("tab\t")}) {
    EXPECT_EQ(ValidateTopicName(name).code(), Code::kInvalidArgument) << "'" << name << "'";
  }
}

TEST(TopicNameTest, BadCharacterMessageNamesTheCharacterAndTheRule) {
  EXPECT_EQ(ValidateTopicName("foo bar").message(),
            "topic name 'foo bar' contains ' ', allowed are [a-zA-Z0-9._-]");
  EXPECT_EQ(ValidateTopicName("foo:bar").message(),
            "topic name 'foo:bar' contains ':', allowed are [a-zA-Z0-9._-]");
}

TEST(TopicNameTest, NonAsciiBytesAreShownEscapedInTheMessage) {
  EXPECT_EQ(ValidateTopicName("caf\xc3\xa9").message(),
            "topic name 'caf\\xc3\\xa9' contains '\\xc3', allowed are [a-zA-Z0-9._-]");
}

TEST(TopicNameTest, MessagesSayWhatIsWrong) {
  EXPECT_EQ(ValidateTopicName("").message(), "topic name is empty");
  EXPECT_EQ(ValidateTopicName("..").message(), "topic name '..' is not allowed");
  EXPECT_EQ(ValidateTopicName(std::string(250, 'x')).message(),
            "topic name is 250 characters long, at most 249 allowed");
}

TEST(TopicNameTest, NamesStartingWithTwoUnderscoresAreInternal) {
  EXPECT_TRUE(IsInternalTopic("__consumer_offsets"));
  EXPECT_TRUE(IsInternalTopic("__transaction_state"));
  EXPECT_TRUE(IsInternalTopic("__"));
  EXPECT_FALSE(IsInternalTopic("_consumer_offsets"));
  EXPECT_FALSE(IsInternalTopic("orders"));
  EXPECT_FALSE(IsInternalTopic("a__b"));
}

TEST(TopicNameTest, DotAndUnderscoreCollide) {
  EXPECT_TRUE(TopicNamesCollide("topic.name", "topic_name"));
  EXPECT_TRUE(TopicNamesCollide("topic_name", "topic.name"));
  EXPECT_TRUE(TopicNamesCollide("a.b_c", "a_b.c"));
  EXPECT_TRUE(TopicNamesCollide("same", "same"));
}

TEST(TopicNameTest, OtherDifferencesDoNotCollide) {
  EXPECT_FALSE(TopicNamesCollide("topic.name", "topic-name"));
  EXPECT_FALSE(TopicNamesCollide("topic", "topic."));
  EXPECT_FALSE(TopicNamesCollide("Topic", "topic"));
}

}  // namespace
}  // namespace topicfs::store
