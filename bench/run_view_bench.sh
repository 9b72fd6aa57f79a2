#!/usr/bin/env bash
# Builds view_bench (Release) and runs it: view resolution on a partition of
# 10 M records, 3 repetitions; the summary at the end gives the medians of
# the repetitions' p50 and p99 and the target (bench/VIEW_BENCH.md).
#
#   bench/run_view_bench.sh                               # ~1 min idle
#   bench/run_view_bench.sh --benchmark_filter=time_lookup   # extra flags go to view_bench
#
# Environment: BUILD_DIR (default <repo>/build-bench), TMPDIR (where the
# 1.1 GB partition goes; /tmp by default, TMPDIR=/dev/shm for tmpfs).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$repo/build-bench}

cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTOPICFS_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j2 --target view_bench

# Other work on this 2-core machine stretches the figures: say how busy it was.
read -r load1 _ < /proc/loadavg
echo "load average (1 min) before the run: $load1 on $(nproc) cores" >&2
"$build/view_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true "$@"
read -r load1 _ < /proc/loadavg
echo "load average (1 min) after the run: $load1" >&2
