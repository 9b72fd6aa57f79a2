#!/usr/bin/env python3
"""Nothing lost: the data-loss findings of issue 16, seen through the mount.

- 5,000 partitions of 3+ segments each under RLIMIT_NOFILE 1024: every
  byte comes back after a remount, and no open ever fails EMFILE;
- a partition grow that runs out of inodes changes nothing, and rmdir of
  the topic then leaves no partition directory behind;
- a Kafka broker's partition (consecutive offsets, built with Debian's
  python3-kafka) is set aside byte-identical, not truncated or deleted;
- a multi-batch write that fails ENOSPC, in a segment or at a roll,
  appends nothing, now or after a remount;
- a segment that cannot be opened takes its partition offline (EIO) with
  its files untouched, and once repaired the partition has its old log end;
- the first fsync(2) of a new partition syncs the partition directory and
  the data directory (seen with strace);
- removing .lock does not let a second daemon open the data directory.

The tmpfs tests mount small tmpfs file systems as data directories, so they
need root (they are skipped otherwise); the fsync test needs strace."""

import errno
import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
import time
import unittest

from mount_fixture import PREFIX, Daemon, MountedTestCase, in_mount_table, main, topicfs_bin

PYTHON3_WITH_KAFKA = "/usr/bin/python3"


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def hash_tree(top):
    """{relative path: sha256, or "dir" for a directory} of everything under top."""
    out = {}
    for root, dirs, files in os.walk(top):
        for d in dirs:
            out[os.path.relpath(os.path.join(root, d), top)] = "dir"
        for name in files:
            path = os.path.join(root, name)
            out[os.path.relpath(path, top)] = sha256_file(path)
    return out


def segment_logs(partition_dir):
    """The .log files of a partition directory, sorted by name."""
    return sorted(n for n in os.listdir(partition_dir) if n.endswith(".log"))


def partition_dirs(data_dir, topic):
    """Names of the <topic>-<n> directories in data_dir."""
    pattern = re.compile(re.escape(topic) + r"-\d+")
    return sorted(n for n in os.listdir(data_dir) if pattern.fullmatch(n))


class TmpfsDataDirTestCase(MountedTestCase):
    """The data directory is a tmpfs of its own (tmpfs_options), mounted
    before the first daemon starts and unmounted after the last one is gone."""

    tmpfs_options = "size=8m"

    def set_up_data_dir(self):
        # Cleanups run even when setUp fails or skips.
        self.addCleanup(self._unmount_tmpfs)
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        os.mkdir(self.data)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", self.tmpfs_options, "topicfs-e2e", self.data],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"mount -t tmpfs -o {self.tmpfs_options}: {r.stderr.strip()}")

    def _unmount_tmpfs(self):
        # Runs after the fixture's own teardown (registered before it): the
        # daemon is gone, so the tmpfs is not busy.
        if in_mount_table(self.data):
            r = subprocess.run(["umount", self.data], capture_output=True, text=True)
            if r.returncode != 0:
                subprocess.run(["umount", "-l", self.data], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def fill_disk(self, name="filler"):
        """Writes a file in the data directory (no topic's) until the tmpfs
        is full; returns its path."""
        path = os.path.join(self.data, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            for size in (1 << 20, 64 << 10, 4096, 512, 1):
                block = b"\0" * size
                while True:
                    try:
                        if os.write(fd, block) < size:
                            break
                    except OSError as e:
                        if e.errno != errno.ENOSPC:
                            raise
                        break
        finally:
            os.close(fd)
        return path

    def inodes_free(self):
        return os.statvfs(self.data).f_ffree


# ---- 1. many partitions under a small descriptor limit ------------------------

PARTITIONS = 5000
WRITES = 3
DESCRIPTOR_LIMIT = 1024
# Each write's one line makes a batch of about 110 bytes: two do not fit 200,
# so every write after the first rolls, and 3 writes make 3 segments.
SEGMENT_BYTES = 200


def many_line(p, w):
    return f"partition {p:04d} write {w} {'m' * (20 + p % 7)}\n".encode()


class ManyPartitionsTest(MountedTestCase):
    daemon_nofile = DESCRIPTOR_LIMIT
    daemon_start_timeout = 180.0
    daemon_stop_timeout = 180.0

    def test_5000_partitions_of_3_segments_under_1024_descriptors_read_back_after_remount(self):
        pid = self.daemon.proc.pid
        with open(f"/proc/{pid}/limits") as f:
            limits = [l for l in f if l.startswith("Max open files")][0].split()
        self.assertEqual(limits[3:5], [str(DESCRIPTOR_LIMIT)] * 2, "the daemon's RLIMIT_NOFILE")

        self.mkdir("t")
        self.sh(f"setfattr -n user.topicfs.internal.segment.bytes -v {SEGMENT_BYTES} t")
        started = time.monotonic()
        self.sh(f"setfattr -n user.topicfs.partitions -v {PARTITIONS} t", timeout=300)
        grow_s = time.monotonic() - started
        self.assertEqual(len(os.listdir(self.path("t"))), PARTITIONS)

        started = time.monotonic()
        for w in range(WRITES):
            for p in range(PARTITIONS):
                fd = os.open(self.path("t", str(p)), os.O_WRONLY | os.O_APPEND)
                try:
                    self.assertEqual(os.write(fd, many_line(p, w)), len(many_line(p, w)))
                finally:
                    os.close(fd)
        write_s = time.monotonic() - started
        descriptors = len(os.listdir(f"/proc/{pid}/fd"))
        self.assertLess(descriptors, DESCRIPTOR_LIMIT)

        started = time.monotonic()
        self.stop_daemon()
        unmount_s = time.monotonic() - started
        started = time.monotonic()
        self.start_daemon()
        mount_s = time.monotonic() - started

        started = time.monotonic()
        for p in range(PARTITIONS):
            expected = b"".join(many_line(p, w) for w in range(WRITES))
            with open(self.path("t", str(p)), "rb") as f:
                self.assertEqual(f.read(), expected, f"partition {p}")
        read_s = time.monotonic() - started

        rng = random.Random(16)
        for p in [0, 1, PARTITIONS // 2, PARTITIONS - 1] + rng.sample(range(PARTITIONS), 16):
            figures = self.figures(f"t/{p}")
            self.assertGreaterEqual(figures["segments"], WRITES, f"partition {p}: {figures}")
            self.assertEqual(figures["records"], WRITES, f"partition {p}")
            self.assertEqual(figures["log_end_offset"],
                             sum(len(many_line(p, w)) for w in range(WRITES)), f"partition {p}")
            self.assertGreaterEqual(len(segment_logs(os.path.join(self.data, f"t-{p}"))), WRITES)
        descriptors_after = len(os.listdir(f"/proc/{self.daemon.proc.pid}/fd"))
        self.stop_daemon()
        for i in (1, 2):
            with open(os.path.join(self.tmp, f"daemon-{i}.log"), errors="replace") as f:
                log = f.read()
            for marker in ("EMFILE", "ENFILE", "Too many open files"):
                self.assertNotIn(marker, log, f"daemon-{i}.log")
        sys.stderr.write(
            f"\n  {PARTITIONS} partitions, {WRITES} writes each, RLIMIT_NOFILE {DESCRIPTOR_LIMIT}: "
            f"grow {grow_s:.1f}s, writes {write_s:.1f}s, unmount {unmount_s:.1f}s, mount {mount_s:.1f}s, "
            f"read pass {read_s:.1f}s; daemon descriptors {descriptors} after writing, "
            f"{descriptors_after} after reading ... ")


# ---- 2. a failing partition grow ----------------------------------------------

class PartitionGrowTest(TmpfsDataDirTestCase):
    # 128 inodes: the data directory's own files and partition 0 take about
    # 10, and each further partition 4 (a directory, .log, .index,
    # .timeindex), so 1,000 partitions cannot fit.
    tmpfs_options = "size=20m,nr_inodes=128"

    def setUp(self):
        super().setUp()
        self.mkdir("t")
        self.append("t/0", "kept\n")

    def directories(self):
        return sorted(n for n in os.listdir(self.data) if os.path.isdir(os.path.join(self.data, n)))

    def grow_to_1000_fails(self):
        """setxattr partitions=1000 fails ENOSPC and says why; returns how
        many inodes it left taken."""
        log_before = len(self.daemon.log())
        inodes_before = self.inodes_free()
        with self.assertRaises(OSError) as cm:
            os.setxattr(self.path("t"), PREFIX + "partitions", b"1000")
        self.assertEqual(cm.exception.errno, errno.ENOSPC,
                         f"setxattr partitions=1000 failed with {errno.errorcode.get(cm.exception.errno)}")
        log = self.daemon.log()[log_before:]
        self.assertRegex(log, r"setxattr user\.topicfs\.partitions='1000' on topic t: topic 't': "
                              r"creating partition \d+ of 1000: .*ENOSPC .*\(nothing changed\)")
        return inodes_before - self.inodes_free()

    def check_topic_unchanged(self, when):
        self.assertEqual(self.xattr("t", "partitions"), "1", when)
        self.assertEqual(os.listdir(self.path("t")), ["0"], when)
        self.assertEqual(self.read("t", "0"), b"kept\n", when)

    def test_a_grow_past_the_inodes_fails_enospc_and_changes_nothing(self):
        directories = self.directories()
        self.assertEqual(directories, ["t-0"])
        inodes_taken = self.grow_to_1000_fails()
        self.check_topic_unchanged("after the failed grow")
        directories_after = self.directories()
        self.remount()
        self.check_topic_unchanged("after a remount")
        self.sh("setfattr -n user.topicfs.partitions -v 2 t")  # what fits still works
        self.assertEqual(sorted(os.listdir(self.path("t"))), ["0", "1"])
        self.remount()
        self.assertEqual(self.xattr("t", "partitions"), "2")
        self.assertEqual(sorted(os.listdir(self.path("t"))), ["0", "1"])
        # The data directory last: this is where it fails (t-30 is left).
        self.assertEqual(directories_after, directories, "directories the failed grow left")
        self.assertEqual(inodes_taken, 0, "inodes the failed grow left taken")
        self.assertEqual(self.directories(), ["t-0", "t-1"])

    def test_rmdir_after_a_failed_grow_leaves_no_partition_directory(self):
        self.grow_to_1000_fails()
        self.check_topic_unchanged("after the failed grow")
        os.rmdir(self.path("t"))
        self.assertEqual(os.listdir(self.mnt), [])
        self.assertEqual(partition_dirs(self.data, "t"), [])
        # Renamed <topic>-<n>.<id>-delete, then removed in the background.
        self.wait_for(lambda: not any(n.startswith("t-") for n in os.listdir(self.data)), 10.0,
                      "the deleted topic's directories removed")
        self.remount()
        self.assertEqual(os.listdir(self.mnt), [])
        self.assertEqual([n for n in os.listdir(self.data) if n.startswith("t-")], [])
        self.assertEqual([n for n in os.listdir(self.data) if n.endswith((".conf", ".deleting"))], [])
        # And the name is free for a new topic, which starts empty.
        self.mkdir("t")
        self.assertEqual(self.read("t", "0"), b"")
        self.assertEqual(self.xattr("t", "partitions"), "1")


# ---- 3. a Kafka broker's partition --------------------------------------------

# Run with Debian's python3-kafka: writes <dir>/<base>.log for each segment,
# with consecutive offsets as a broker assigns them, and empty indexes.
KAFKA_SEGMENTS = r"""
import os, struct, sys
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
out, segments = sys.argv[1], [(int(a), int(b)) for a in sys.argv[2:] for a, b in [a.split(":")]]
ts = 1764064800000
for base, count in segments:
    with open(os.path.join(out, "%020d.log" % base), "wb") as f:
        offset = base
        while offset < base + count:
            n = min(7, base + count - offset)
            builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                                producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                                batch_size=1 << 20)
            for i in range(n):
                value = ("broker record %d" % (offset + i)).encode()
                assert builder.append(i, timestamp=ts + offset + i, key=None, value=value, headers=[])
            batch = bytearray(builder.build())
            struct.pack_into(">q", batch, 0, offset)  # the broker's base offset (outside the CRC)
            assert DefaultRecordBatch(bytes(batch)).validate_crc()
            f.write(batch)
            offset += n
    for suffix in (".index", ".timeindex"):
        open(os.path.join(out, "%020d%s" % (base, suffix)), "wb").close()
"""


class KafkaBrokerDataTest(MountedTestCase):
    SEGMENTS = [(0, 40), (40, 30)]  # (base offset, records)

    def set_up_data_dir(self):
        self.addCleanup(shutil.rmtree, self.tmp, True)  # also if this fails
        probe = subprocess.run([PYTHON3_WITH_KAFKA, "-c", "import kafka"], capture_output=True, text=True)
        if probe.returncode != 0:
            raise AssertionError(f"{PYTHON3_WITH_KAFKA} has no python3-kafka (scripts/setup.sh installs it): "
                                 f"{probe.stderr.strip()}")
        self.partition_dir = os.path.join(self.data, "broker-0")
        os.makedirs(self.partition_dir)
        subprocess.run([PYTHON3_WITH_KAFKA, "-c", KAFKA_SEGMENTS, self.partition_dir,
                        *(f"{b}:{n}" for b, n in self.SEGMENTS)], check=True)
        self.before = hash_tree(self.partition_dir)
        self.sizes = {n: os.path.getsize(os.path.join(self.partition_dir, n)) for n in self.before}

    def test_a_brokers_two_segments_are_set_aside_byte_identical_and_the_topic_works(self):
        logs = [f"{base:020d}.log" for base, _ in self.SEGMENTS]
        self.assertEqual(sorted(n for n in self.before if n.endswith(".log")), logs)
        self.assertTrue(all(self.sizes[n] > 0 for n in logs), self.sizes)
        after = hash_tree(self.partition_dir)
        for name in logs:
            self.assertIn(name + ".unreadable", after, f"{name} set aside; the directory holds {sorted(after)}")
            self.assertEqual(after[name + ".unreadable"], self.before[name], f"{name} changed")
        # Nothing of the broker's is gone or changed: its indexes went aside
        # with their segments, as they were.
        for name in self.before:
            self.assertEqual(after.get(name + ".unreadable"), self.before[name], f"{name} set aside as it was")
        log = self.daemon.log()
        for base, _ in self.SEGMENTS:
            self.assertRegex(log, rf"broker-0: segment {base} set aside: .*offsets do not follow")
            self.assertIn(f"{base:020d}.log.unreadable", log)
        self.assertNotIn("cut", log)

        self.assertEqual(os.listdir(self.mnt), ["broker"])
        self.assertEqual(os.listdir(self.path("broker")), ["0"])
        self.assertEqual(self.read("broker", "0"), b"")
        self.sh("echo 'after the broker' >> broker/0")
        self.assertEqual(self.read("broker", "0"), b"after the broker\n")
        self.remount()
        self.assertEqual(self.read("broker", "0"), b"after the broker\n")
        after = hash_tree(self.partition_dir)
        for name in logs:
            self.assertEqual(after.get(name + ".unreadable"), self.before[name], f"{name} after a remount")
        self.assertNotIn("set aside", self.daemon.log(), "the second mount set something aside again")


# ---- 4. a multi-batch write failing on ENOSPC ---------------------------------

def disk_full_lines(tag, total_bytes, start=0):
    """Lines of about 1,000 bytes: 4 to a 4,096-byte batch."""
    out, i = [], start
    size = 0
    while size < total_bytes:
        line = f"{tag} {i:06d} {'d' * (980 + i % 17)}\n".encode()
        out.append(line)
        size += len(line)
        i += 1
    return b"".join(out)


class DiskFullTest(TmpfsDataDirTestCase):
    tmpfs_options = "size=8m,nr_inodes=512"

    def setUp(self):
        super().setUp()
        self.mkdir("t")
        self.sh("setfattr -n user.topicfs.max.message.bytes -v 4096 t")

    def write_fails_enospc(self, data, topic="t"):
        """One write(2) of data, which must fail ENOSPC; the file is closed
        (nothing held) before this returns."""
        fd = os.open(self.path(topic, "0"), os.O_WRONLY | os.O_APPEND)
        try:
            with self.assertRaises(OSError) as cm:
                os.write(fd, data)
            self.assertEqual(cm.exception.errno, errno.ENOSPC,
                             f"the failed write: {errno.errorcode.get(cm.exception.errno)}")
        finally:
            os.close(fd)

    def check_holds(self, content, when, topic="t"):
        self.assertEqual(os.stat(self.path(topic, "0")).st_size, len(content), when)
        self.assertEqual(self.read(topic, "0"), content, when)
        self.assertEqual(self.figures(f"{topic}/0")["log_end_offset"], len(content), when)

    def check_after_remount(self, contents):
        """{topic: content}: each holds exactly it after a remount, nothing
        was cut, and appends work again."""
        self.remount()
        self.assertNotIn("cut", self.daemon.log())
        for topic, content in contents.items():
            self.check_holds(content, "after a remount", topic)
            self.append(f"{topic}/0", "after the full disk\n")
            self.assertEqual(self.read(topic, "0"), content + b"after the full disk\n")

    def test_a_write_of_150_batches_failing_enospc_appends_nothing(self):
        content = disk_full_lines("before", 40_000)
        self.append_in_writes("t/0", content, 16_000)
        log_file = os.path.join(self.data, "t-0", "00000000000000000000.log")
        on_disk = sha256_file(log_file)
        self.fill_disk()
        # 600 KB of 1 KB lines: about 150 batches of 4 KB, more than the
        # space the segment has reserved past its end.
        self.write_fails_enospc(disk_full_lines("failing", 600_000))
        self.check_holds(content, "after the failed write")
        self.assertEqual(sha256_file(log_file), on_disk, "the segment's bytes on disk")
        os.remove(os.path.join(self.data, "filler"))
        self.check_holds(content, "with space again")
        # The partition refuses appends until it is reopened (README).
        self.assertErrno(errno.EIO, self.append, "t/0", "refused\n")
        self.check_holds(content, "after the refused append")
        self.check_after_remount({"t": content})

    def test_a_write_that_rolls_on_a_full_disk_and_fails_enospc_appends_nothing(self):
        self.sh("setfattr -n user.topicfs.internal.segment.bytes -v 65536 t")
        content = disk_full_lines("before", 60_000)
        self.append_in_writes("t/0", content, 4000)
        self.assertEqual(self.figures("t/0")["segments"], 1)
        part = os.path.join(self.data, "t-0")
        # The roll gives back the blocks the old segment reserved past its
        # end (about 200 KB here): the write must need more than that.
        allocated = sum(os.stat(os.path.join(part, n)).st_blocks * 512 for n in os.listdir(part))
        on_disk = sha256_file(os.path.join(part, "00000000000000000000.log"))
        self.fill_disk()
        self.write_fails_enospc(disk_full_lines("rolling", allocated + (128 << 10)))
        self.check_holds(content, "after the failed write")
        self.assertEqual(sha256_file(os.path.join(part, "00000000000000000000.log")), on_disk)
        # The roll happened; the append into the new segment failed and left
        # it empty.
        self.assertEqual(os.path.getsize(os.path.join(part, f"{len(content):020d}.log")), 0)
        os.remove(os.path.join(self.data, "filler"))
        self.check_holds(content, "with space again")
        self.check_after_remount({"t": content})

    def test_a_roll_that_cannot_create_its_segment_fails_enospc_and_appends_nothing(self):
        # Three partitions, each with a full 64 KiB segment; then no inode
        # is left but 0, 1 or 2, so that the roll of each fails creating
        # its .log, its .index or its .timeindex.
        topics = {0: "r0", 1: "r1", 2: "r2"}
        content = disk_full_lines("before", 60_000)
        before = {}
        for topic in topics.values():
            self.mkdir(topic)
            self.sh(f"setfattr -n user.topicfs.max.message.bytes -v 4096 {topic}")
            self.sh(f"setfattr -n user.topicfs.internal.segment.bytes -v 65536 {topic}")
            self.append_in_writes(f"{topic}/0", content, 4000)
            before[topic] = hash_tree(os.path.join(self.data, f"{topic}-0"))
        fillers = os.path.join(self.data, "inodes")
        os.mkdir(fillers)
        made = []

        def leave_free(k):
            while self.inodes_free() > k:
                made.append(os.path.join(fillers, str(len(made))))
                open(made[-1], "wb").close()
            while self.inodes_free() < k:
                os.remove(made.pop())

        more = disk_full_lines("rolling", 8_000)
        for free, topic in topics.items():
            with self.subTest(free_inodes=free):
                leave_free(free)
                self.write_fails_enospc(more, topic)
                self.assertRegex(self.daemon.log(), rf"write {topic}/0 .*cannot roll a new segment: .*ENOSPC")
                self.check_holds(content, f"after the failed roll with {free} inodes free", topic)
                # A failed roll changes nothing and fences nothing.
                self.assertEqual(self.figures(f"{topic}/0")["segments"], 1)
                part = os.path.join(self.data, f"{topic}-0")
                now = hash_tree(part)
                for name, digest in before[topic].items():
                    self.assertEqual(now.get(name), digest, f"{name} after the failed roll")
                # What it made and left: empty files named for the new
                # segment's base (the log end), which the next roll takes over.
                for name in set(now) - set(before[topic]):
                    self.assertTrue(name.startswith(f"{len(content):020d}."), name)
                    self.assertEqual(os.path.getsize(os.path.join(part, name)), 0, name)
        shutil.rmtree(fillers)
        for topic in topics.values():
            self.append(f"{topic}/0", more)  # not fenced: no remount needed
            self.assertEqual(self.read(topic, "0"), content + more)
            self.assertEqual(self.figures(f"{topic}/0")["segments"], 2)
        self.check_after_remount({topic: content + more for topic in topics.values()})


# ---- 5. a segment that cannot be opened ---------------------------------------

class OfflinePartitionTest(MountedTestCase):

    CONTENT = b"".join(f"line {i:04d} {'s' * (i % 50)}\n".encode() for i in range(300))

    def take_t0_offline(self):
        """Topic t (2 partitions, t/0 in 5+ segments) and topic other; then,
        unmounted, the .index of t/0's second segment replaced by a
        directory, and mounted again. Returns t-0's directory, its files'
        hashes before the damage, its .log names and the damaged index."""
        self.mkdir("t")
        self.mkdir("other")
        self.sh("setfattr -n user.topicfs.internal.segment.bytes -v 1024 t")
        self.sh("setfattr -n user.topicfs.partitions -v 2 t")
        self.append_in_writes("t/0", self.CONTENT, 400)
        self.append("t/1", "t/1 before\n")
        self.append("other/0", "other before\n")
        self.assertGreaterEqual(self.figures("t/0")["segments"], 5)
        self.stop_daemon()
        part = os.path.join(self.data, "t-0")
        before = hash_tree(part)
        logs = segment_logs(part)
        victim = os.path.join(part, logs[1][:-len(".log")] + ".index")
        os.remove(victim)
        os.mkdir(victim)
        self.start_daemon()
        return part, before, logs, victim

    def test_a_segment_that_cannot_be_opened_takes_the_partition_offline_and_keeps_its_end(self):
        part, before, logs, victim = self.take_t0_offline()
        damaged = hash_tree(part)
        self.assertIn("partition t-0 is offline", self.daemon.log())
        self.assertIn(victim, self.daemon.log())
        self.assertErrno(errno.EIO, os.stat, self.path("t", "0"))
        self.assertErrno(errno.EIO, os.open, self.path("t", "0"), os.O_RDONLY)
        self.assertErrno(errno.EIO, os.open, self.path("t", "0"), os.O_WRONLY | os.O_APPEND)
        self.assertErrno(errno.EIO, os.getxattr, self.path("t", "0"), PREFIX + "log_end_offset")
        # The rest of the mount works: the topic's other partition too.
        self.assertEqual(sorted(os.listdir(self.mnt)), ["other", "t"])
        self.assertEqual(sorted(os.listdir(self.path("t"))), ["0", "1"])
        self.append("t/1", "t/1 after\n")
        self.assertEqual(self.read("t", "1"), b"t/1 before\nt/1 after\n")
        self.append("other/0", "other after\n")
        self.assertEqual(self.read("other", "0"), b"other before\nother after\n")
        self.mkdir("new")
        self.append("new/0", "new\n")
        self.assertEqual(self.read("new", "0"), b"new\n")
        self.stop_daemon()
        self.assertEqual(hash_tree(part), damaged, "the offline partition's files changed")

        # Repaired: the index goes, and is rebuilt from its .log.
        os.rmdir(victim)
        self.start_daemon()
        self.assertEqual(os.stat(self.path("t", "0")).st_size, len(self.CONTENT))
        self.assertEqual(self.read("t", "0"), self.CONTENT)
        self.assertEqual(self.figures("t/0")["log_end_offset"], len(self.CONTENT))
        self.assertEqual(segment_logs(part), logs)
        now = hash_tree(part)
        for name in logs:
            self.assertEqual(now[name], before[name], f"{name} changed")
        self.assertTrue(os.path.isfile(victim), "the index was not rebuilt")
        self.append("t/0", "after\n")
        self.assertEqual(self.read("t", "0"), self.CONTENT + b"after\n")
        self.assertEqual(self.read("other", "0"), b"other before\nother after\n")
        self.assertEqual(self.read("t", "1"), b"t/1 before\nt/1 after\n")

    def test_a_refused_open_of_an_offline_partition_is_logged(self):
        self.take_t0_offline()
        logged = len(self.daemon.log())
        self.assertShellFails("cat t/0", "Input/output error")
        self.assertRegex(self.daemon.log()[logged:], r"t[-/]0.*EIO")


# ---- 6. the first fsync of a new partition ------------------------------------

class FirstFsyncTest(MountedTestCase):

    def strace_daemon(self, out):
        """strace -f -yy of the daemon's fsync calls into out; returns the
        Popen once every thread is attached."""
        if shutil.which("strace") is None:
            self.skipTest("strace is not installed (scripts/setup.sh installs it)")
        pid = self.daemon.proc.pid
        proc = subprocess.Popen(["strace", "-f", "-yy", "-e", "trace=fsync,fdatasync,syncfs,sync",
                                 "-p", str(pid), "-o", out],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # "strace: Process N attached with M threads", once all are.
        line = proc.stderr.readline()
        if "attached" not in line:
            proc.kill()
            proc.communicate()
            self.fail(f"strace -p {pid}: {line.strip()}")
        return proc

    def stop_strace(self, proc, out):
        proc.terminate()
        proc.communicate(timeout=10)
        with open(out) as f:
            return f.read()

    def test_first_fsync_of_a_new_topic_syncs_the_partition_and_data_directories(self):
        self.mkdir("t")
        out = os.path.join(self.tmp, "strace.out")
        strace = self.strace_daemon(out)
        try:
            fd = os.open(self.path("t", "0"), os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, b"first line\n")
                os.fsync(fd)
                os.write(fd, b"second line\n")
                os.fsync(fd)
            finally:
                os.close(fd)
        finally:
            trace = self.stop_strace(strace, out)
        data = os.path.realpath(self.data)
        segment = f"{data}/t-0/00000000000000000000"
        synced = re.findall(r"\bf(?:data)?sync\(\d+<([^>]*)>\) = 0", trace)
        # Each fsync(2) syncs the segment's .log first: split the trace there.
        starts = [i for i, path in enumerate(synced) if path == segment + ".log"]
        self.assertEqual(len(starts), 2, f"two fsyncs of the .log expected:\n{trace}")
        first, second = synced[starts[0]:starts[1]], synced[starts[1]:]
        for path in (segment + ".log", segment + ".index", segment + ".timeindex", f"{data}/t-0", data):
            self.assertIn(path, first, f"the first fsync(2) syncs {path}:\n{trace}")
        # The partition's directory entries are durable now: the second
        # fsync(2) syncs the segment only.
        self.assertIn(segment + ".log", second)
        self.assertNotIn(f"{data}/t-0", second, trace)
        self.assertNotIn(data, second, trace)
        self.assertEqual(self.figures("t/0")["recovery_point"], len(b"first line\nsecond line\n"))


# ---- 7. the data directory lock -----------------------------------------------

class DataDirLockTest(MountedTestCase):

    def test_removing_dot_lock_does_not_let_a_second_daemon_in(self):
        self.mkdir("t")
        self.append("t/0", "first daemon\n")
        os.unlink(os.path.join(self.data, ".lock"))
        other = os.path.join(self.tmp, "mnt2")
        os.mkdir(other)
        second = Daemon(topicfs_bin(), self.data, other, os.path.join(self.tmp, "second.log"))
        try:
            second.start(timeout=10)
        except AssertionError:
            pass  # it exited before mounting: what we expect
        else:
            second.stop()
            self.fail(f"a second daemon mounted the data directory:\n{second.log()}")
        self.assertNotEqual(second.proc.returncode, 0)
        self.assertIn("in use by another process", second.log())
        self.assertFalse(in_mount_table(other))
        self.assertFalse(os.path.exists(os.path.join(self.data, ".lock")),
                         "the refused daemon wrote a .lock")
        # The first daemon is unaffected.
        self.append("t/0", "still served\n")
        self.assertEqual(self.read("t", "0"), b"first daemon\nstill served\n")
        self.remount()
        self.assertEqual(self.read("t", "0"), b"first daemon\nstill served\n")


if __name__ == "__main__":
    main()
