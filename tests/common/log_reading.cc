#include "tests/common/log_reading.h"

#include <gtest/gtest.h>

namespace topicfs::testing {

std::unique_ptr<store::Log> OpenTestLog(const std::string& dir, const store::LogConfig& config,
                                        const store::Clock* clock) {
  store::Log::Options o;
  o.dir = dir;
  o.topic_partition = {"t", 0};
  o.config = config;
  o.clock = clock;
  return OpenTestLog(o);
}

std::unique_ptr<store::Log> OpenTestLog(const store::Log::Options& options) {
  auto log = store::Log::Open(options);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? std::move(log).value() : nullptr;
}

std::string ReadAll(const store::Log& log, store::Offset from) {
  std::string out;
  char buf[4096];
  store::Offset at = from;
  while (true) {
    auto r = log.Read(at, buf, sizeof(buf));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->bytes == 0) break;
    out.append(buf, static_cast<size_t>(r->bytes));
    at = r->next;
  }
  return out;
}

}  // namespace topicfs::testing
