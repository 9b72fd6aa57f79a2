#!/usr/bin/env python3
"""topicfs's Kafka listener against a single-node Apache Kafka 4.4 broker
(KRaft, its own defaults but the 1-node replication settings, the JVM as
kafka-server-start.sh starts it: 1 GiB heap, G1), on this machine, in one run, with Kafka's
own perf tools (KAFKA_BENCH.md, "Against a Kafka broker"):

  kafka-producer-perf-test  N records of 100 bytes, --throughput -1, for
                            acks=1, acks=-1, and lz4 with acks=1
  kafka-consumer-perf-test  the N records of the acks=1 topic (its fetch
                            rate: the time after the group's join)

Targets run in turns (kafka, topicfs, kafka, ...) on fresh topics, REPS
times. Reports per case the median records/s, MB/s, p50 and p99 produce
latency, consume records/s, and each broker's peak memory (Kafka's JVM
against the topicfs daemon: its own, RssAnon, and resident with mapped
files, VmHWM), with the goals of issue 14.

  python3 bench/kafka_perf_bench.py [--topicfs build-bench/topicfs] [--records N] [--reps R]

Needs Java, Maven's cache of Kafka's jars (tests/e2e/kafka_tools.py fetch).
Every broker and daemon it starts is stopped on every path."""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import kafka_tools  # noqa: E402

PRODUCER_PERF = "org.apache.kafka.tools.ProducerPerformance"
CONSUMER_PERF = "org.apache.kafka.tools.ConsumerPerformance"
KAFKA_START_JVM = ("-Xms1g", "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
                   "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent")
CASES = {"acks=1": ["acks=1"], "acks=-1": ["acks=-1"], "lz4 acks=1": ["acks=1", "compression.type=lz4"]}
# kafka-producer-perf-test's summary line.
PRODUCED = re.compile(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
                      r"([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th")


def status_mib(pid, field):
    """A /proc/PID/status memory field (VmHWM, RssAnon, ...) in MiB."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class MemoryPeaks:
    """The largest RssAnon of each process, sampled every 100 ms while the
    run lasts. RssAnon is the process's own memory (heap, buffers); the
    resident total (VmHWM) also counts the page cache a process maps, which
    for topicfs is the segment files it reads through mmap and for Kafka
    only its indexes (it reads segments with FileChannel), so it is shown
    apart."""

    def __init__(self, pids):
        self.pids = dict(pids)
        self.anon = {name: 0.0 for name in self.pids}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self):
        while not self.stop.wait(0.1):
            for name, pid in self.pids.items():
                self.anon[name] = max(self.anon[name], status_mib(pid, "RssAnon"))

    def finish(self):
        self.stop.set()
        self.thread.join()
        for name, pid in self.pids.items():
            self.anon[name] = max(self.anon[name], status_mib(pid, "RssAnon"))
        return {name: (self.anon[name], status_mib(pid, "VmHWM")) for name, pid in self.pids.items()}


class Topicfs:
    """The daemon with --no-mount, listening on a free loopback port."""

    def __init__(self, binary):
        self.tmp = tempfile.mkdtemp(prefix="topicfs-perf-")
        self.port = kafka_tools.free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.tmp, "daemon.log"), "w")
        self.proc = subprocess.Popen([binary, "-f", f"--kafka-listen={self.bootstrap}", "--no-mount",
                                      os.path.join(self.tmp, "data")], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"topicfs exited with {self.proc.returncode}")
                time.sleep(0.05)
        raise RuntimeError("topicfs did not listen")

    def create_topic(self, name):
        kafka_tools.run_main(kafka_tools.TOPIC_COMMAND, ["--bootstrap-server", self.bootstrap, "--create",
                                                         "--topic", name, "--partitions", "1"])

    @property
    def pid(self):
        return self.proc.pid

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def produce(bootstrap, topic, records, props):
    r = kafka_tools.run_main(PRODUCER_PERF, ["--topic", topic, "--num-records", str(records), "--record-size", "100",
                                             "--throughput", "-1", "--producer-props",
                                             f"bootstrap.servers={bootstrap}", *props], timeout=600, heap="512m")
    m = PRODUCED.findall(r.stdout)
    if not m:
        raise RuntimeError(f"no summary from the producer perf test:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    sent, rps, mbs, _avg, _max, p50, _p95, p99 = m[-1]
    if int(sent) != records:
        raise RuntimeError(f"sent {sent} of {records}")
    return {"records/s": float(rps), "MB/s": float(mbs), "p50 ms": float(p50), "p99 ms": float(p99)}


def consume(bootstrap, topic, records):
    r = kafka_tools.run_main(CONSUMER_PERF, ["--bootstrap-server", bootstrap, "--topic", topic, "--messages",
                                             str(records), "--timeout", "60000"], timeout=600, heap="512m")
    rows = [line for line in r.stdout.splitlines() if line and line[0].isdigit()]
    if not rows:
        raise RuntimeError(f"no figures from the consumer perf test:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    fields = [f.strip() for f in rows[-1].split(",")]
    if int(fields[4]) < records:
        raise RuntimeError(f"consumed {fields[4]} of {records}")
    # After the group's join (Kafka's initial rebalance delay is 3 s on
    # topicfs, as Kafka's default, and 0 on the test broker): the fetching.
    return {"consume records/s": float(fields[9]), "consume MB/s": float(fields[8]),
            "rebalance ms": float(fields[6])}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--topicfs", default="build-bench/topicfs")
    p.add_argument("--records", type=int, default=1_000_000)
    p.add_argument("--reps", type=int, default=3)
    args = p.parse_args()
    kafka_tools.ensure_jars()
    results = {(t, c): [] for t in ("kafka", "topicfs") for c in CASES}
    consumed = {t: [] for t in ("kafka", "topicfs")}
    # kafka-server-start.sh's heap and collector settings (KAFKA_HEAP_OPTS,
    # KAFKA_JVM_PERFORMANCE_OPTS), not the tests' small serial JVM.
    broker = kafka_tools.KafkaBroker(heap="1g", jvm_args=KAFKA_START_JVM)
    daemon = None
    try:
        broker.start()
        daemon = Topicfs(args.topicfs)
        targets = {"kafka": broker, "topicfs": daemon}
        peaks = MemoryPeaks({"kafka": broker.proc.pid, "topicfs": daemon.pid})
        for rep in range(args.reps):
            for name in (("kafka", "topicfs") if rep % 2 == 0 else ("topicfs", "kafka")):
                target = targets[name]
                for case, props in CASES.items():
                    topic = f"perf-{rep}-{case.replace(' ', '-').replace('=', '')}"
                    target.create_topic(topic)
                    figures = produce(target.bootstrap, topic, args.records, props)
                    results[(name, case)].append(figures)
                    print(f"rep {rep} {name} {case}: {figures}", flush=True)
                    if case == "acks=1":
                        c = consume(target.bootstrap, topic, args.records)
                        consumed[name].append(c)
                        print(f"rep {rep} {name} consume: {c}", flush=True)
        memory = peaks.finish()
    finally:
        if daemon is not None:
            daemon.close()
        broker.close()

    def med(rows, key):
        return statistics.median(r[key] for r in rows)

    print(f"\n{args.records} records of 100 bytes, {args.reps} runs per case, medians; "
          f"load average after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs\n")
    print("| case | metric | Kafka 4.4 | topicfs | topicfs / Kafka | goal |")
    print("|---|---|---|---|---|---|")
    for case in CASES:
        k, t = results[("kafka", case)], results[("topicfs", case)]
        for key, goal in (("records/s", ">= 1.5x"), ("MB/s", ""), ("p50 ms", ""), ("p99 ms", "<= 1.0x")):
            kv, tv = med(k, key), med(t, key)
            ratio = tv / kv if kv else float("inf")
            print(f"| produce {case} | {key} | {kv:,.1f} | {tv:,.1f} | {ratio:.2f}x | {goal} |")
    kv, tv = med(consumed["kafka"], "consume records/s"), med(consumed["topicfs"], "consume records/s")
    print(f"| consume | records/s | {kv:,.0f} | {tv:,.0f} | {tv / kv:.2f}x | >= 1.0x |")
    (k_anon, k_total), (t_anon, t_total) = memory["kafka"], memory["topicfs"]
    print(f"| peak own memory (RssAnon) | MiB | {k_anon:,.0f} | {t_anon:,.0f} | {t_anon / k_anon:.3f}x | <= 0.1x |")
    print(f"| peak resident, mapped files too (VmHWM) | MiB | {k_total:,.0f} | {t_total:,.0f} | "
          f"{t_total / k_total:.3f}x | |")


if __name__ == "__main__":
    main()
