#pragma once
// Test helpers that need a Log: open a partition directory, read one back
// whole. In a library of their own (topicfs_test_log) so that the tests of
// the folders below store/log link without it.

#include <memory>
#include <string>

#include "store/base/clock.h"
#include "store/log/log.h"
#include "store/log/log_config.h"

namespace topicfs::testing {

// Opens (creating) the partition directory `dir` as topic "t" partition 0
// with the given config and clock; nullptr (and a test failure) on error.
std::unique_ptr<store::Log> OpenTestLog(const std::string& dir, const store::LogConfig& config,
                                        const store::Clock* clock);
// Opens a log with these options; nullptr (and a test failure) on error.
std::unique_ptr<store::Log> OpenTestLog(const store::Log::Options& options);

// Every presented byte of the log from `from` on, read sequentially in 4 KiB
// reads the way cat does (each read continuing where the last one stopped).
std::string ReadAll(const store::Log& log, store::Offset from = store::Offset(0));

}  // namespace topicfs::testing
