#!/usr/bin/env python3
"""A stopped topicfs data directory's partitions, placed into a real Apache
Kafka 4.4 broker's log directory, are served by the broker with the same
offsets, keys, values, headers and timestamps (issue 15, point 1).

The way it works today (docs/graduate.md): create the topics in the broker
with the same names and partition counts (the broker assigns each its topic
id and writes partition.metadata and leader-epoch-checkpoint), stop it,
replace the segment files (.log, .index, .timeindex) of each of its
partition directories with topicfs's, start it again. The broker then
loads topicfs's segments and indexes as its own (its shutdown was clean,
so it trusts them) and Kafka's console consumer reads every record.

What the broker refuses, each found by running it:
- a partition directory without partition.metadata, or for a topic it does
  not know: not loaded but renamed `<dir>.<uuid>-stray`, so its records are
  not served;
and what it does not need: leader-epoch-checkpoint (rebuilt), batches
stamped with a leader epoch (topicfs's -1 is served), .snapshot files.

BrokerLockTest checks that each side's lock on .lock keeps the other out.
WholeDataDirectoryTest starts a broker on a whole topicfs data directory:
topicfs's own files (topic configs, defaults) are regular files at its
root, which the broker does not read.

Needs Kafka's jars (tests/e2e/kafka_tools.py), but for BrokerLockTest; one
broker per test."""

import glob
import os
import shlex
import shutil
import subprocess
import sys

import dump_log_segments
import kafka_tools
from mount_fixture import PREFIX, MountedTestCase, main

SEGMENT_BYTES = 6000
# topic -> (partitions, topic configs set with setfattr)
TOPICS = {
    "orders": (2, {}),
    "keyed": (1, {"key.separator": ":"}),
    "zstd": (1, {"compression.type": "zstd"}),
    "compacted": (1, {"key.separator": ":", "cleanup.policy": "compact",
                      "min.cleanable.dirty.ratio": "0.01"}),
}
SEGMENT_FILES = ("*.log", "*.index", "*.timeindex")


def lines_for(topic, partition):
    if topic == "compacted":
        lines = [f"key-{k:02d}:{topic}-version-{v}" for v in range(6) for k in range(50)]
        lines += [f"key-{k:02d}:" for k in range(0, 50, 10)]  # tombstones
        return lines + [f"tail-{i:03d}:{'t' * 30}" for i in range(200)]
    if topic == "keyed":
        return [f"k{i % 13}:{topic}-{i:05d} value" for i in range(1500)]
    return [f"{topic}-{partition}-{i:05d} {'x' * (i % 40)}" for i in range(2000)]


def parse_consumer_line(line):
    """A console consumer line printed with print.timestamp, print.partition,
    print.offset, print.headers and print.key:
    CreateTime:T<TAB>Partition:P<TAB>Offset:O<TAB>headers<TAB>key<TAB>value."""
    ts, partition, offset, headers, key, value = line.split("\t", 5)
    assert ts.startswith("CreateTime:") and partition.startswith("Partition:") \
        and offset.startswith("Offset:"), line
    return (int(partition[len("Partition:"):]), int(offset[len("Offset:"):]),
            int(ts[len("CreateTime:"):]), headers, key, value)


def expected_from_dump(record):
    """The same fields as the console consumer prints them, from what
    DumpLogSegments decoded of topicfs's own files."""
    headers = "topicfs.sep::" if "topicfs.sep" in record.header_keys else "NO_HEADERS"
    return (record.offset, record.timestamp, headers,
            "null" if record.key is None else record.key,
            "null" if record.value is None else record.value)


class BrokerLoadsTopicfsPartitionsTest(MountedTestCase):
    daemon_args = ("--cleaner-backoff-ms=200",)

    def setUp(self):
        kafka_tools.jars_or_skip()
        super().setUp()
        self.broker = kafka_tools.KafkaBroker()
        self.addCleanup(self.broker.close)

    def write_topics(self):
        """Writes every topic through the mount; returns what cat shows of
        each partition, after the compacted topic was cleaned."""
        self.sh(f"setfattr -n {PREFIX}internal.segment.bytes -v {SEGMENT_BYTES} .")
        for topic, (partitions, configs) in TOPICS.items():
            self.mkdir(topic)
            if partitions > 1:
                self.sh(f"setfattr -n {PREFIX}partitions -v {partitions} {topic}")
            for name, value in configs.items():
                self.sh(f"setfattr -n {PREFIX}{name} -v {shlex.quote(value)} {topic}")
            for p in range(partitions):
                data = "".join(line + "\n" for line in lines_for(topic, p))
                self.append_in_writes(f"{topic}/{p}", data, 2048)
        # Cleaned: one line per key below the active segment (the 200 tail
        # lines are over a segment, so the tombstones are below it too).
        def cleaned():
            keys = [line.split(":")[0] for line in self.read("compacted", "0").decode().splitlines()
                    if not line.startswith("tail-")]
            return len(keys) == len(set(keys))
        self.wait_for(cleaned, 30.0, "compacted cleaned")
        return {(t, p): self.read(t, str(p)) for t, (n, _) in TOPICS.items() for p in range(n)}

    def test_broker_serves_every_record_with_topicfs_offsets_keys_values_headers_timestamps(self):
        shown = self.write_topics()
        self.stop_daemon()
        logs = sorted(f for d in shown for f in glob.glob(os.path.join(self.data, f"{d[0]}-{d[1]}", "*.log")))
        dump = dump_log_segments.run(logs, "--deep-iteration", "--print-data-log")
        self.assertEqual(dump.problems, [])

        self.broker.start()
        for topic, (partitions, _) in TOPICS.items():
            self.broker.create_topic(topic, partitions=partitions)
        self.broker.stop()
        for topic, partition in shown:
            theirs = os.path.join(self.broker.log_dir, f"{topic}-{partition}")
            self.assertTrue(os.path.exists(os.path.join(theirs, "partition.metadata")))
            for pattern in (*SEGMENT_FILES, "*.snapshot"):
                for f in glob.glob(os.path.join(theirs, pattern)):
                    os.remove(f)
            for pattern in SEGMENT_FILES:
                for f in glob.glob(os.path.join(self.data, f"{topic}-{partition}", pattern)):
                    shutil.copy2(f, theirs)
        self.broker.start()

        for topic, (partitions, _) in TOPICS.items():
            with self.subTest(topic=topic):
                expected = {}
                for p in range(partitions):
                    records = [r for path in sorted(dump.logs)
                               if os.path.dirname(path).endswith(f"/{topic}-{p}")
                               for b in dump.logs[path] for r in b.records]
                    expected[p] = [expected_from_dump(r) for r in records]
                    presented = "".join(
                        (r.key + ":" + (r.value or "") if "topicfs.sep" in r.header_keys else r.value) + "\n"
                        for r in records).encode()
                    self.assertEqual(presented, shown[(topic, p)], "topicfs's records vs cat")
                total = sum(map(len, expected.values()))
                r = self.broker.consume(topic, total, properties={
                    "print.timestamp": "true", "print.partition": "true", "print.offset": "true",
                    "print.headers": "true", "print.key": "true"})
                self.assertIn(f"Processed a total of {total} messages", r.stderr,
                              f"the console consumer:\n{r.stderr[-3000:]}\n{self.broker.log_tail()}")
                got = {p: [] for p in range(partitions)}
                for line in r.stdout.splitlines():
                    p, *fields = parse_consumer_line(line)
                    got[p].append(tuple(fields))
                self.assertEqual(got, expected)

        # The broker's log end offsets: each partition's last batch's last
        # offset + 1, as Kafka computes it from the segments it loaded.
        r = kafka_tools.run_main("org.apache.kafka.tools.GetOffsetShell",
                                 ["--bootstrap-server", self.broker.bootstrap, "--time", "-1"])
        ends = {}
        for line in r.stdout.split():
            topic, partition, end = line.rsplit(":", 2)
            ends[(topic, int(partition))] = int(end)
        for topic, partition in shown:
            last = [b for path in sorted(dump.logs)
                    if os.path.dirname(path).endswith(f"/{topic}-{partition}") for b in dump.logs[path]][-1]
            self.assertEqual(ends[(topic, partition)], last.last_offset + 1, (topic, partition))


# Takes the lock a Kafka broker takes on <log dir>/.lock (Java's
# FileChannel.tryLock is fcntl F_SETLK over the whole file, as lockf is),
# prints "locked" or the errno, then holds it until its stdin closes.
_BROKER_STYLE_LOCK = """
import fcntl, sys
f = open(sys.argv[1], "a+")
try:
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("locked", flush=True)
except OSError as e:
    print(e.errno, flush=True)
sys.stdin.read()
"""


class BrokerLockTest(MountedTestCase):
    """topicfs and a Kafka broker keep each other out of one directory:
    each side's lock on .lock refuses the other's (no broker needed: the
    broker's lock is one fcntl call, taken here from another process)."""

    daemon_args = ("--lock-wait-ms=0",)

    def broker_style_lock(self):
        proc = subprocess.Popen([sys.executable, "-c", _BROKER_STYLE_LOCK, os.path.join(self.data, ".lock")],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (proc.stdin.close(), proc.wait(), proc.stdout.close()))
        return proc, proc.stdout.readline().strip()

    def test_a_brokers_lock_is_refused_while_mounted_and_a_mount_while_a_broker_holds_it(self):
        proc, result = self.broker_style_lock()
        self.assertIn(result, ("11", "13"), "a broker's lock of .lock while topicfs holds it")
        proc.stdin.close()
        proc.wait()
        self.stop_daemon()
        holder, result = self.broker_style_lock()
        self.assertEqual(result, "locked")
        with self.assertRaises(AssertionError) as cm:
            self.start_daemon()
        self.assertIn("record lock", str(cm.exception), "the daemon's refusal says why")
        holder.stdin.close()
        holder.wait()
        self.start_daemon()


class WholeDataDirectoryTest(MountedTestCase):
    """A stopped topicfs data directory as it is, given the broker's own
    meta.properties, metadata log and partition.metadata files, is a log
    directory a broker loads: topicfs's configs are regular files at the
    root (<topic>.conf, topicfs-defaults.properties), which the broker
    passes over, as it passes over every file there but its own (a
    directory not named like a partition stops it: "is not in the form of
    topic-partition", what the `.topicfs/` folder of the layout before
    did)."""

    def setUp(self):
        kafka_tools.jars_or_skip()
        super().setUp()
        self.broker = kafka_tools.KafkaBroker()
        self.addCleanup(self.broker.close)

    def test_broker_starts_on_a_topicfs_data_directory(self):
        self.mkdir("t")
        self.sh(f"setfattr -n {PREFIX}retention.ms -v 86400000 t")
        self.append("t/0", "".join(f"line {i}\n" for i in range(100)))
        self.stop_daemon()
        self.broker.start()
        self.broker.create_topic("t")
        self.broker.stop()
        # The broker's files into topicfs's data directory, then the data
        # directory as the broker's log directory.
        for name in ("meta.properties", "__cluster_metadata-0"):
            src = os.path.join(self.broker.log_dir, name)
            (shutil.copytree if os.path.isdir(src) else shutil.copy2)(src, os.path.join(self.data, name))
        for name in ("partition.metadata", "leader-epoch-checkpoint"):
            shutil.copy2(os.path.join(self.broker.log_dir, "t-0", name), os.path.join(self.data, "t-0"))
        shutil.rmtree(self.broker.log_dir)
        shutil.copytree(self.data, self.broker.log_dir)
        try:
            self.broker.start()
        except AssertionError:
            refusal = [line for line in self.broker.log().splitlines() if "is not in the form" in line]
            self.fail(f"the broker refused topicfs's data directory: {refusal or self.broker.log_tail()}")
        r = self.broker.consume("t", 100)
        self.assertIn("Processed a total of 100 messages", r.stderr)
        self.assertEqual(r.stdout, "".join(f"line {i}\n" for i in range(100)))
        self.assertTrue(os.path.isfile(os.path.join(self.broker.log_dir, "t.conf")))
        self.assertNotIn("t.conf", self.broker.log(), "the broker passed over topicfs's files without a word")


if __name__ == "__main__":
    main()
