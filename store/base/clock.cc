#include "store/base/clock.h"

#include <chrono>

namespace topicfs::store {
namespace {

class SystemClock : public Clock {
 public:
  Timestamp Now() const override {
    using namespace std::chrono;
    return Timestamp(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  }
  int64_t MonotonicMs() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  }
};

}  // namespace

Clock& Clock::System() {
  static SystemClock clock;
  return clock;
}

}  // namespace topicfs::store
