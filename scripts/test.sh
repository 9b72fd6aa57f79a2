#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every
# test: the full suite on a normal build, the store (and fs) unit tests under
# AddressSanitizer + UBSan, and the concurrency tests under ThreadSanitizer;
# and builds the code with clang, whose thread-safety analysis checks the
# lock annotations (docs/threading.md).
# Long soak, crash-loop and benchmark runs are separate (see README); the
# mounted long loops (ctest label "long", tests/e2e/README.md) are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=$(nproc)

scripts/setup.sh
# Apache Kafka's jars (broker, DumpLogSegments, console tools) are test
# oracles, never part of topicfs: resolved from Maven Central into
# ~/.cache/topicfs once, reused offline afterwards. Required here, so a test
# that needs them fails rather than skips.
echo "== Apache Kafka's tools for the tests (tests/e2e/kafka_tools.py)"
python3 tests/e2e/kafka_tools.py fetch
echo "== KafkaJS for the tests (tests/e2e/kafka_listener_fixture.py)"
python3 tests/e2e/kafka_listener_fixture.py
export TOPICFS_REQUIRE_KAFKA=1

build() {  # build <dir> <cmake args...>
  local dir=$1; shift
  cmake -S "$ROOT" -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

echo "== build (RelWithDebInfo, warnings are errors)"
build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTOPICFS_WERROR=ON
# The warning check, before the long runs; no test runs on this build. A
# broken lock rule (clang's -Wthread-safety on the annotations of
# store/base/thread_annotations.h, docs/threading.md) fails the command here.
echo "== clang build (thread-safety analysis, warnings are errors)"
CC=clang CXX=clang++ build build-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTOPICFS_BUILD_TESTS=OFF -DTOPICFS_BUILD_BENCH=OFF -DTOPICFS_WERROR=ON
echo "== tests"
(cd build && ctest --output-on-failure -j "$JOBS" --timeout 600 -LE long)

echo "== store and fs tests under AddressSanitizer + UBSan"
build build-asan -DCMAKE_BUILD_TYPE=Debug -DTOPICFS_SANITIZE=address -DTOPICFS_BUILD_BENCH=OFF -DTOPICFS_WERROR=ON
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j "$JOBS" -L '^(store|fs|concurrency)$' --timeout 900)

echo "== concurrency tests under ThreadSanitizer"
build build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTOPICFS_SANITIZE=thread -DTOPICFS_BUILD_BENCH=OFF -DTOPICFS_WERROR=ON
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1 \
  ctest --output-on-failure -j "$JOBS" -L '^(concurrency|smoke)$' --timeout 900)
