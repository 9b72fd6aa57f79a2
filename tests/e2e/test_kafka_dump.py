#!/usr/bin/env python3
"""Kafka's own DumpLogSegments validates every segment and index topicfs
writes (issue 15, "How it is shown").

Through the mount: plain topics with many segments, a keyed topic, a topic
per codec (gzip, snappy, lz4, zstd), a compacted topic (one uncompressed,
one zstd) cleaned with tombstones kept under their delete horizon, a topic
whose old segments retention deleted, and a group's commits in
__consumer_offsets. After a clean unmount, DumpLogSegments runs over every
.log, .index and .timeindex of the data directory (one JVM) with
--deep-iteration --print-data-log --verify-index-only, then again over the
indexes with --index-sanity-check, and over __consumer_offsets with
--offsets-decoder. Asserted: Kafka complains about nothing (no mismatch, no
invalid bytes, no failed CRC, nothing else on stderr), every batch carries
the topic's codec, and the records it decodes are what was written, at the
byte positions they were written at (docs/contract.md): offsets, keys,
values, the topicfs.sep header of keyed lines, timestamps within the time
of the test, what `cat` showed before the unmount. A second test does the
same after a kill -9 and with index files deleted or cut short while
stopped: what recovery and the rebuild wrote passes too.

Needs Kafka's jars (tests/e2e/kafka_tools.py)."""

import glob
import hashlib
import json
import os
import shlex
import sys
import time

import dump_log_segments
import kafka_tools
from mount_fixture import PREFIX, MountedTestCase, main

SEGMENT_BYTES = 6000
INDEX_INTERVAL = 512
CODECS = ("gzip", "snappy", "lz4", "zstd")
KEYED = ("keyed", "compacted", "compacted-zstd")


def line_for(topic, i):
    """A line that compresses like real data rather than to nothing."""
    return f"{topic}-{i:05d} {hashlib.sha1(f'{topic}{i}'.encode()).hexdigest()[:24]}"


def written_records(data):
    """{offset: line} of the lines in `data`, written back to back from 0."""
    out, offset = {}, 0
    for line in data.split(b"\n")[:-1]:
        out[offset] = line.decode()
        offset += len(line) + 1
    return out


def presented(record):
    """What `cat` shows of a record, as docs/format.md says: a keyed line
    (topicfs.sep header) as key + separator + value, else the value."""
    if "topicfs.sep" in record.header_keys:
        return record.key + ":" + (record.value or "")
    return record.value


class DumpLogSegmentsTest(MountedTestCase):
    daemon_args = ("--retention-check-interval-ms=200", "--cleaner-backoff-ms=200")

    def setUp(self):
        kafka_tools.jars_or_skip()
        super().setUp()

    def setfattr(self, rel, name, value):
        self.sh(f"setfattr -n {PREFIX}{name} -v {shlex.quote(str(value))} {shlex.quote(rel)}")

    def figure(self, rel, name):
        return int(os.getxattr(self.path(rel), PREFIX + name))

    def write_lines(self, topic, lines):
        data = "".join(line + "\n" for line in lines).encode()
        # Writes of at most 2 KB, so that segments of 6 KB roll often.
        self.append_in_writes(f"{topic}/0", data, 2048)
        return data

    def test_every_segment_and_index_topicfs_wrote_passes_dump_log_segments(self):
        started_ms = int(time.time() * 1000)
        # Root defaults, so that every segment (the first ones too) is small
        # and indexed densely.
        self.setfattr(".", "internal.segment.bytes", SEGMENT_BYTES)
        self.setfattr(".", "index.interval.bytes", INDEX_INTERVAL)
        written = {}   # topic -> bytes written
        codec = {}     # topic -> the compresscodec its batches must carry

        for topic in ("plain", "many"):
            self.mkdir(topic)
            codec[topic] = "none"
        written["plain"] = self.write_lines("plain", [line_for("plain", i) for i in range(3000)])
        # Many writes of one line each: one batch per line.
        data = b""
        for i in range(300):
            line = (line_for("many", i) + "\n").encode()
            self.append("many/0", line)
            data += line
        written["many"] = data

        self.mkdir("keyed")
        self.setfattr("keyed", "key.separator", ":")
        codec["keyed"] = "none"
        written["keyed"] = self.write_lines(
            "keyed", [f"k{i % 37}:{line_for('keyed', i)}" for i in range(2000)])

        for name in CODECS:
            topic = f"codec-{name}"
            self.mkdir(topic)
            self.setfattr(topic, "compression.type", name)
            codec[topic] = name
            written[topic] = self.write_lines(topic, [line_for(topic, i) for i in range(4000)])

        # Compacted, uncompressed and zstd: 100 keys x 8 versions, then
        # tombstones for every tenth key, then more than a segment of other
        # keys, so that the tombstones leave the active segment and are
        # cleaned too. Tombstones outlive this test (delete.retention.ms is
        # a day), so they stay, with a delete horizon in their batch.
        for topic, name in (("compacted", "none"), ("compacted-zstd", "zstd")):
            self.mkdir(topic)
            self.setfattr(topic, "key.separator", ":")
            self.setfattr(topic, "cleanup.policy", "compact")
            self.setfattr(topic, "min.cleanable.dirty.ratio", "0.01")
            if name != "none":
                self.setfattr(topic, "compression.type", name)
            codec[topic] = name
            lines = [f"key-{k:03d}:{line_for(topic, v * 100 + k)}" for v in range(8) for k in range(100)]
            lines += [f"key-{k:03d}:" for k in range(0, 100, 10)]
            lines += [f"late-{i:03d}:{line_for(topic, 9000 + i)}" for i in range(200)]
            written[topic] = self.write_lines(topic, lines)

        # Retention by size: segments of 6 KB, at most 12 KB kept.
        self.mkdir("retained")
        self.setfattr("retained", "retention.bytes", 2 * SEGMENT_BYTES)
        self.setfattr("retained", "file.delete.delay.ms", 0)
        codec["retained"] = "none"
        written["retained"] = self.write_lines("retained", [line_for("retained", i) for i in range(2000)])

        # A group's commit: 100 records of "plain" read.
        self.sh("cat plain/0@group=billing,max=100 > /dev/null")
        plain_offsets = sorted(written_records(written["plain"]))
        group_position = plain_offsets[100]

        def cleaned(topic):
            """One line per key below the active segment's base offset."""
            at = {line: offset for offset, line in written_records(written[topic]).items()}
            active = max(int(os.path.basename(p)[:20])
                         for p in glob.glob(os.path.join(self.data, f"{topic}-0", "*.log")))
            keys = [line.split(":", 1)[0] for line in self.read(topic, "0").decode().splitlines()
                    if at[line] < active]
            return len(keys) == len(set(keys))
        for topic in ("compacted", "compacted-zstd"):
            self.wait_for(lambda: cleaned(topic), 30.0, f"{topic} compacted")
        self.wait_for(lambda: self.figure("retained/0", "log_start_offset") > 0
                      and not glob.glob(os.path.join(self.data, "retained-0", "*.deleted")),
                      30.0, "retention deleted old segments of retained")
        log_start = self.figure("retained/0", "log_start_offset")
        shown = {topic: self.read(topic, "0") for topic in written}
        self.stop_daemon()
        finished_ms = int(time.time() * 1000)

        every = sorted(glob.glob(os.path.join(self.data, "*-[0-9]*", "*.log"))
                       + glob.glob(os.path.join(self.data, "*-[0-9]*", "*.index"))
                       + glob.glob(os.path.join(self.data, "*-[0-9]*", "*.timeindex")))
        # __consumer_offsets holds binary keys and values: dumped with its
        # decoder below, not as text.
        files = [f for f in every if "/__consumer_offsets-" not in f]
        dump = dump_log_segments.run(files, "--deep-iteration", "--print-data-log",
                                     "--verify-index-only")
        self.assertEqual(dump.problems, [], "DumpLogSegments complained")
        indexes = [f for f in files if not f.endswith(".log")]
        sanity = dump_log_segments.run(indexes, "--index-sanity-check")
        self.assertEqual(sanity.problems, [], "DumpLogSegments --index-sanity-check complained")
        self.assertEqual(sanity.sane | sanity.empty, set(indexes),
                         "indexes neither sane nor empty")
        # Not vacuous: most indexes hold entries, which Kafka checked.
        self.assertGreater(len(sanity.sane), len(indexes) // 2, "few indexes with entries")

        batches = [b for bs in dump.logs.values() for b in bs]
        # Every batch topicfs wrote (appends, compressed ones, the cleaner's
        # rewrites) carries leader epoch 0 (docs/format.md).
        self.assertEqual(sorted({b.leader_epoch for b in batches}), [0], "partitionLeaderEpoch")
        sys.stderr.write(
            f"\nDumpLogSegments read {len(files)} files: {len(dump.logs)} segments, {len(batches)} batches, "
            f"{sum(len(b.records) for b in batches)} records, "
            f"{sum(os.path.getsize(f) // 8 for f in files if f.endswith('.index'))} offset and "
            f"{sum(os.path.getsize(f) // 12 for f in files if f.endswith('.timeindex'))} time index "
            f"entries checked, "
            f"{sum(1 for b in batches if b.delete_horizon_ms is not None)} batches with a delete horizon, "
            f"codecs {sorted(set(b.codec for b in batches))}\n")
        for topic, data in written.items():
            with self.subTest(topic=topic):
                self.check_partition(topic, data, shown[topic], codec[topic], dump,
                                     started_ms, finished_ms)

        compacted_records = {t: self.records_of(dump, t) for t in ("compacted", "compacted-zstd")}
        for topic, records in compacted_records.items():
            with self.subTest(topic=topic, what="tombstones"):
                tombstones = [(r, b) for r, b in records if r.value_size == -1]
                self.assertEqual(sorted(r.key for r, _ in tombstones),
                                 [f"key-{k:03d}" for k in range(0, 100, 10)])
                horizons = [b.delete_horizon_ms for _, b in tombstones]
                self.assertTrue(all(h is not None and h > finished_ms for h in horizons),
                                f"tombstones' batches without a future delete horizon: {horizons}")
        with self.subTest(topic="retained"):
            records = self.records_of(dump, "retained")
            self.assertGreater(log_start, 0)
            self.assertGreaterEqual(records[0][0].offset, log_start)

        offsets_files = [f for f in every if "/__consumer_offsets-" in f]
        commits = dump_log_segments.run(offsets_files, "--offsets-decoder", "--verify-index-only")
        self.assertEqual(commits.problems, [], "DumpLogSegments --offsets-decoder complained")
        self.assertEqual(sorted({b.leader_epoch for bs in commits.logs.values() for b in bs}), [0],
                         "partitionLeaderEpoch of the group commits")
        decoded = [(json.loads(r.key), json.loads(r.value))
                   for batches in commits.logs.values() for b in batches for r in b.records]
        self.assertEqual([(k["data"]["group"], k["data"]["topic"], k["data"]["partition"],
                           v["data"]["offset"]) for k, v in decoded],
                         [("billing", "plain", 0, group_position)])

    def test_indexes_recovery_rebuilt_pass_dump_log_segments(self):
        """After a kill -9 (recovery from the recovery point) and with index
        files deleted or cut short while stopped (rebuilt at the next
        mount), Kafka finds nothing wrong and reads every line."""
        self.setfattr(".", "internal.segment.bytes", SEGMENT_BYTES)
        self.setfattr(".", "index.interval.bytes", INDEX_INTERVAL)
        written = {}
        for topic, name in (("t", None), ("z", "zstd")):
            self.mkdir(topic)
            if name:
                self.setfattr(topic, "compression.type", name)
            written[topic] = self.write_lines(topic, [line_for(topic, i) for i in range(2000)])
        self.crash_and_remount()
        for topic in written:
            written[topic] += self.write_lines(topic, [line_for(topic, i) for i in range(2000, 2500)])
        self.stop_daemon()
        damaged = []
        for topic in written:
            bases = sorted(glob.glob(os.path.join(self.data, f"{topic}-0", "*.log")))
            self.assertGreater(len(bases), 4)
            first, second = bases[1][:-len(".log")], bases[2][:-len(".log")]
            os.remove(first + ".index")
            os.remove(first + ".timeindex")
            with open(second + ".timeindex", "r+b") as f:
                f.truncate(5)  # not a whole entry: corrupt
            with open(second + ".index", "r+b") as f:
                f.truncate(3)
            damaged += [first + ".index", first + ".timeindex", second + ".index", second + ".timeindex"]
        self.start_daemon()
        shown = {topic: self.read(topic, "0") for topic in written}
        self.stop_daemon()
        for topic in written:
            self.assertEqual(shown[topic], written[topic], f"cat of {topic} after recovery")
        for path in damaged:
            self.assertTrue(os.path.exists(path), f"{path} not rebuilt")
            entry = 12 if path.endswith(".timeindex") else 8
            self.assertEqual(os.path.getsize(path) % entry, 0, f"{path} not rebuilt")
        files = sorted(f for pattern in ("*.log", "*.index", "*.timeindex")
                       for f in glob.glob(os.path.join(self.data, "[tz]-0", pattern)))
        dump = dump_log_segments.run(files, "--deep-iteration", "--print-data-log",
                                     "--verify-index-only")
        self.assertEqual(dump.problems, [], "DumpLogSegments complained")
        sanity = dump_log_segments.run([f for f in files if not f.endswith(".log")],
                                       "--index-sanity-check")
        self.assertEqual(sanity.problems, [], "DumpLogSegments --index-sanity-check complained")
        for topic in written:
            records = [r for r, _ in self.records_of(dump, topic)]
            self.assertEqual("".join(r.value + "\n" for r in records).encode(), written[topic])

    def records_of(self, dump, topic):
        """[(Record, Batch)] of a partition, over its segments in order."""
        out = []
        for path in sorted(p for p in dump.logs if os.path.dirname(p).endswith(f"/{topic}-0")):
            for batch in dump.logs[path]:
                out += [(r, batch) for r in batch.records]
        return out

    def check_partition(self, topic, data, shown, codec, dump, started_ms, finished_ms):
        records = self.records_of(dump, topic)
        self.assertTrue(records, "no records")
        lines_at = written_records(data)
        offsets = [r.offset for r, _ in records]
        self.assertEqual(offsets, sorted(set(offsets)), "offsets not strictly increasing")
        for record, batch in records:
            self.assertIn(record.offset, lines_at, f"offset {record.offset} is not a line's position")
            self.assertEqual(presented(record), lines_at[record.offset],
                             f"the record at {record.offset}")
            if record.value is not None:
                self.assertEqual(record.value_size, len(record.value.encode()))
            self.assertEqual(record.header_keys, ["topicfs.sep"] if topic in KEYED else [],
                             f"headers at {record.offset}")
            self.assertTrue(started_ms - 1000 <= record.timestamp <= finished_ms + 1000,
                            f"timestamp {record.timestamp} of {record.offset} outside the test")
            self.assertLessEqual(record.timestamp, batch.max_timestamp)
        batches = {id(b): b for _, b in records}.values()
        for batch in batches:
            self.assertEqual(batch.codec, codec, f"the codec of the batch at {batch.base_offset}")
            self.assertEqual(batch.timestamp_type, "CreateTime")
            self.assertEqual(batch.max_timestamp, max(r.timestamp for r in batch.records))
        # What Kafka decodes is what cat showed.
        self.assertEqual("".join(presented(r) + "\n" for r, _ in records).encode(), shown,
                         "the records DumpLogSegments decodes vs cat before the unmount")
        if topic not in ("compacted", "compacted-zstd", "retained"):
            self.assertEqual(sorted(lines_at), offsets, "records missing")
        # The non-consecutive offsets it lists are the gaps byte positions make.
        segment_files = sorted(p for p in dump.logs if os.path.dirname(p).endswith(f"/{topic}-0"))
        self.assertGreater(len(segment_files), 2, "too few segments to show rolls")
        for path in segment_files:
            got = [r.offset for b in dump.logs[path] for r in b.records]
            expected_pairs = [(a, b) for a, b in zip([-1] + got, got) if b != a + 1]
            self.assertEqual(dump.non_consecutive.get(path, []), expected_pairs, path)


if __name__ == "__main__":
    main()
