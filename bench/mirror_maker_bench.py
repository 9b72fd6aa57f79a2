#!/usr/bin/env python3
"""MirrorMaker 2's replication rate out of topicfs against out of Kafka, on
this machine, in one run (issue 15's goal: topicfs -> Kafka at >= 1.0x of
Kafka -> Kafka; KAFKA_BENCH.md, "MirrorMaker 2").

Each repetition loads N records of 100 bytes into the source (Kafka's
producer perf tool, the same for both sources: topicfs's listener with
--no-mount, or a second single-node Kafka 4.4 broker), then starts
MirrorMaker 2 (4.3.1) towards a fresh Kafka broker and times the target
topic's end offset (kcat -Q, polled every 100 ms) from its first record to
its N-th: the replication alone, without MirrorMaker 2's start. Sources in
turns (kafka, topicfs, kafka, ...), REPS times; reports the median
records/s of each and the ratio.

  python3 bench/mirror_maker_bench.py [--topicfs build-bench/topicfs] [--records N] [--reps R]

Every broker, daemon and MirrorMaker it starts is stopped on every path."""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import kafka_tools  # noqa: E402
from kafka_perf_bench import Topicfs, produce  # noqa: E402

TOPIC = "bench"


def end_offset(bootstrap, topic):
    r = subprocess.run(["kcat", "-b", bootstrap, "-Q", "-t", f"{topic}:0:-1"], capture_output=True, text=True,
                       timeout=30)
    for line in r.stdout.splitlines():
        if line.startswith(f"{topic} [0] offset "):
            return int(line.split()[-1])
    return 0


def replicate(source_kind, topicfs_binary, records, tmp):
    """One repetition: the records/s MirrorMaker 2 replicated at."""
    source = Topicfs(topicfs_binary) if source_kind == "topicfs" else kafka_tools.KafkaBroker()
    target = kafka_tools.KafkaBroker()
    mm2 = None
    try:
        if source_kind == "kafka":
            source.start()
            source.create_topic(TOPIC)
        else:
            source.create_topic(TOPIC)
        target.start()
        produce(source.bootstrap, TOPIC, records, ["acks=1"])
        # The source is the cluster named "topicfs" in MirrorMaker's config
        # either way: the target topic is topicfs.bench.
        mm2 = kafka_tools.MirrorMaker(source.bootstrap, target.bootstrap, ["topicfs->kafka"], TOPIC,
                                      os.path.join(tmp, f"mm2-{source_kind}-{time.time():.0f}.log"))
        replica = f"topicfs.{TOPIC}"
        deadline = time.monotonic() + 600
        first = None
        while time.monotonic() < deadline:
            end = end_offset(target.bootstrap, replica)
            now = time.monotonic()
            if end > 0 and first is None:
                first = (now, end)
            if end >= records:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"{source_kind}: {end} of {records} replicated:\n{mm2.log_tail()}")
        return (records - first[1]) / max(now - first[0], 1e-3)
    finally:
        if mm2:
            mm2.stop()
        target.close()
        source.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--topicfs", default="build-bench/topicfs")
    p.add_argument("--records", type=int, default=1_000_000)
    p.add_argument("--reps", type=int, default=3)
    args = p.parse_args()
    kafka_tools.ensure_jars()
    kafka_tools.ensure_mirror_maker_jars()
    rates = {"kafka": [], "topicfs": []}
    with tempfile.TemporaryDirectory(prefix="mm2-bench-") as tmp:
        for rep in range(args.reps):
            for kind in ("kafka", "topicfs"):
                rate = replicate(kind, args.topicfs, args.records, tmp)
                rates[kind].append(rate)
                print(f"rep {rep + 1} {kind} -> kafka: {rate:,.0f} records/s", flush=True)
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(f"\nmedian over {args.reps} reps of {args.records:,} records of 100 bytes:")
    print(f"  kafka   -> kafka: {med['kafka']:,.0f} records/s")
    print(f"  topicfs -> kafka: {med['topicfs']:,.0f} records/s")
    print(f"  ratio topicfs/kafka: {med['topicfs'] / med['kafka']:.2f}x (goal >= 1.0x)")


if __name__ == "__main__":
    main()
