#!/usr/bin/env bash
# Builds followers_bench (Release) and runs it: append latency through
# fs::Filesystem::Write with 0, 100 and 1,000 parked followers, on other
# partitions and on the writer's own, appends back to back and paced one a
# millisecond, 5 repetitions in random order; the summary at the end gives
# the medians of the repetitions' p50 and p99 and p99(N)/p99(0) at the
# same pace (bench/FOLLOWERS_BENCH.md).
#
#   bench/run_followers_bench.sh                                   # ~2 min
#   bench/run_followers_bench.sh --benchmark_filter=same_partition   # extra flags go to followers_bench
#
# Environment: BUILD_DIR (default <repo>/build-bench), TMPDIR (where the
# data directory goes; /tmp by default).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$repo/build-bench}

cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTOPICFS_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j2 --target followers_bench

# Other work on this 2-core machine stretches the figures: say how busy it was.
read -r load1 _ < /proc/loadavg
echo "load average (1 min) before the run: $load1 on $(nproc) cores" >&2
"$build/followers_bench" --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=true "$@"
read -r load1 _ < /proc/loadavg
echo "load average (1 min) after the run: $load1" >&2
