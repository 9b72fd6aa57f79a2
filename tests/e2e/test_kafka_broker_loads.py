#!/usr/bin/env python3
"""A stopped topicfs data directory's partitions, handed to a real Apache
Kafka 4.4 broker with `topicfs export-kafka`, are served by the broker with
the same offsets, keys, values, headers, timestamps and leader epoch (issue
15, point 1).

The way it works (docs/graduate.md): create the topics in the broker with
the same names and partition counts (the broker assigns each its topic id
and writes partition.metadata), stop it, run `topicfs export-kafka DATA
KAFKA_LOG_DIR`, start it again. The broker then loads topicfs's segments and
indexes as its own (its shutdown was clean, so it trusts them), with the
leader-epoch-checkpoint and checkpoint entries the export wrote, and Kafka's
console consumer reads every record.

What the broker refuses, each found by running it:
- a partition directory without partition.metadata, or for a topic it does
  not know: not loaded but renamed `<dir>.<uuid>-stray`, so its records are
  not served (the export refuses such a target).

ExportRefusalTest: the export refuses while the broker runs (its record
lock on .lock), changing nothing. BrokerLockTest checks that each side's
lock on .lock keeps the other out. WholeDataDirectoryTest starts a broker
on a whole topicfs data directory: topicfs's own files (topic configs,
defaults) are regular files at its root, which the broker does not read.

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
from mount_fixture import PREFIX, MountedTestCase, main, topicfs_bin

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


def export_kafka(data, log_dir, *args):
    """`topicfs export-kafka DATA LOG_DIR ARGS`: the CompletedProcess."""
    return subprocess.run([topicfs_bin(), "export-kafka", data, log_dir, *args], capture_output=True,
                          text=True, timeout=300)


def tree(path):
    """Every file under path with its bytes: what "changed nothing"
    compares. .lock's bytes are left out: the pid of whoever held it last."""
    out = {}
    for root, _, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, path)] = b"" if name == ".lock" else f.read()
    return out


def read_checkpoint(path):
    """An offset checkpoint file (version 0): {(topic, partition): offset}."""
    with open(path) as f:
        lines = f.read().split("\n")
    assert lines[0] == "0", lines
    entries = (line.split() for line in lines[2:2 + int(lines[1])])
    return {(t, int(p)): int(o) for t, p, o in entries}


def leader_epochs(path):
    """A leader-epoch-checkpoint's (epoch, start offset) entries (version 0)."""
    with open(path) as f:
        lines = f.read().split("\n")
    assert lines[0] == "0", lines
    count = int(lines[1])
    return [tuple(map(int, line.split())) for line in lines[2:2 + count]]


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
        # topicfs stamps leader epoch 0 on every batch it writes; the
        # cleaner keeps a rewritten batch's own.
        self.assertEqual({(os.path.basename(os.path.dirname(path)), b.base_offset, b.leader_epoch)
                          for path in dump.logs for b in dump.logs[path] if b.leader_epoch != 0}, set())

        self.broker.start()
        for topic, (partitions, _) in TOPICS.items():
            self.broker.create_topic(topic, partitions=partitions)
        self.broker.stop()
        starts = read_checkpoint(os.path.join(self.data, "log-start-offset-checkpoint"))
        log_starts = {}
        # Hard links where both directories share a filesystem (the last
        # segments are copied): the broker must then change none of
        # topicfs's files.
        link = os.stat(self.data).st_dev == os.stat(self.broker.log_dir).st_dev
        data_before = tree(self.data)
        r = export_kafka(self.data, self.broker.log_dir, *(["--link"] if link else []))
        self.assertEqual(r.returncode, 0, f"topicfs export-kafka:\n{r.stdout}{r.stderr}")
        if link:
            self.assertNotIn(" 0 linked", r.stdout.split("\n")[1])  # keyed-0: 16 segments
        for topic, partition in shown:
            theirs = os.path.join(self.broker.log_dir, f"{topic}-{partition}")
            ours = os.path.join(self.data, f"{topic}-{partition}")
            self.assertIn(f"{topic}-{partition}: ", r.stdout)
            self.assertTrue(os.path.exists(os.path.join(theirs, "partition.metadata")))
            def files(d):
                return sorted(os.path.basename(f) for pattern in (*SEGMENT_FILES, "*.snapshot")
                              for f in glob.glob(os.path.join(d, pattern)))
            names = files(ours)
            self.assertEqual(files(theirs), names, "the broker's segments and snapshots replaced")
            for name in names:
                with open(os.path.join(ours, name), "rb") as a, open(os.path.join(theirs, name), "rb") as b:
                    self.assertEqual(a.read(), b.read(), name)
            # Epoch 0 from the log start (the first segment's base, where
            # compaction emptied the ones before): what topicfs stamps on
            # every batch.
            start = max(starts.get((topic, partition), 0),
                        min(int(os.path.basename(f)[:20]) for f in glob.glob(os.path.join(ours, "*.log"))))
            log_starts[(topic, partition)] = start
            self.assertEqual(leader_epochs(os.path.join(theirs, "leader-epoch-checkpoint")), [(0, start)],
                             r.stdout)
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

        # Its log starts: where the export's epoch 0 starts.
        r = kafka_tools.run_main("org.apache.kafka.tools.GetOffsetShell",
                                 ["--bootstrap-server", self.broker.bootstrap, "--time", "-2"])
        for line in r.stdout.split():
            topic, partition, earliest = line.rsplit(":", 2)
            if (topic, int(partition)) in log_starts:
                self.assertEqual(int(earliest), log_starts[(topic, int(partition))], line)

        # The batches the broker served are topicfs's, with their epoch 0
        # (its files, dumped once it stopped), and its epoch cache, written
        # back at shutdown, still starts with the export's entry.
        self.broker.stop()
        for topic, partition in shown:
            theirs = os.path.join(self.broker.log_dir, f"{topic}-{partition}")
            entries = leader_epochs(os.path.join(theirs, "leader-epoch-checkpoint"))
            self.assertEqual(entries[0], (0, log_starts[(topic, partition)]), (topic, partition))
            # A later epoch (the broker's own leadership after the restart)
            # starts at or after the exported log's end.
            for epoch, start in entries[1:]:
                self.assertGreater(epoch, 0)
                self.assertGreaterEqual(start, ends[(topic, partition)])
        logs = sorted(glob.glob(os.path.join(self.broker.log_dir, "*-[0-9]*", "*.log")))
        logs = [f for f in logs if os.path.basename(os.path.dirname(f)).rsplit("-", 1)[0] in TOPICS]
        served = dump_log_segments.run(logs, "--deep-iteration", "--print-data-log")
        self.assertEqual(served.problems, [])
        self.assertEqual({b.leader_epoch for path in served.logs for b in served.logs[path]}, {0})
        self.assertEqual(tree(self.data), data_before, "topicfs's files after the broker served them")


class ExportRefusalTest(MountedTestCase):
    """`topicfs export-kafka` refuses, changing nothing on either side,
    while the broker runs (it holds its log directory's .lock) and while a
    daemon serves the data directory."""

    def setUp(self):
        kafka_tools.jars_or_skip()
        super().setUp()
        self.broker = kafka_tools.KafkaBroker()
        self.addCleanup(self.broker.close)

    def test_refused_while_the_broker_runs_or_the_daemon_serves_then_done_once_both_stopped(self):
        self.mkdir("t")
        self.append("t/0", "".join(f"line {i}\n" for i in range(100)))
        self.broker.start()
        self.broker.create_topic("t")
        r = export_kafka(self.data, self.broker.log_dir)
        self.assertEqual((r.returncode, r.stdout), (1, ""), r.stderr)
        self.assertIn("a Kafka broker", r.stderr)  # the broker's lock, taken first
        self.broker.stop()
        theirs = tree(self.broker.log_dir)
        r = export_kafka(self.data, self.broker.log_dir)
        self.assertEqual((r.returncode, r.stdout), (1, ""), r.stderr)
        self.assertIn("in use by another process", r.stderr)  # the daemon's
        self.assertEqual(tree(self.broker.log_dir), theirs)
        self.stop_daemon()
        ours = tree(self.data)
        r = export_kafka(self.data, self.broker.log_dir, "--topic", "nope")
        self.assertEqual(r.returncode, 1)
        self.assertIn("topic nope is not in", r.stderr)
        self.assertEqual((tree(self.data), tree(self.broker.log_dir)), (ours, theirs))
        r = export_kafka(self.data, self.broker.log_dir, "--topic", "t")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("t-0: 1 segment,", r.stdout)
        self.broker.start()
        r = self.broker.consume("t", 100)
        self.assertIn("Processed a total of 100 messages", r.stderr)
        self.assertEqual(r.stdout.splitlines(), [f"line {i}" for i in range(100)])


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
