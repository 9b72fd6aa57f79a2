#!/usr/bin/env python3
"""Integrity under faults, seen through the mount.

- CorruptionCampaignTest: a data directory is built through a mount (three
  topics, one of them keyed and compacted, one of several segments, group
  commits, root defaults), cleanly unmounted, and in a second state killed
  with SIGKILL after more writes. Trial after trial, a fresh copy of one of
  the two gets one file damaged (1-3 flipped bytes or a truncation) and is
  mounted twice; what every read returns is checked against the lines
  written (TOPICFS_E2E_SEED, TOPICFS_INTEGRITY_TRIALS, TOPICFS_INTEGRITY_SHARD).
- BadBatchTest: one flipped byte inside one record's value in the middle of
  a .log, after a clean shutdown: cat prints every good byte before the
  batch and then fails EIO, reads after it work, withheld_batches says 1;
  the next mount moves the batch into a .corrupt side file.
- BadFilesTest: a damaged topic config, __consumer_offsets config or
  topicfs-defaults.properties, a regular file or a dangling symlink where a
  partition directory should be, .lock as a directory: the mount comes up
  and the log says why.
- CompactionCrashLoopTest: SIGKILL the daemon at random moments while the
  cleaner compacts a keyed topic under writers; after each remount every
  key shows its latest acknowledged value (TOPICFS_COMPACTION_CRASH_CYCLES).

Trials and cycles are many more in the ctest label "long" (tests/e2e/README.md).

The bugs these found are fixed, and their tests (CrossSegmentReadTest,
FrameDamageTest, BaseOffsetDamageTest, UncheckedSkipTest,
TimeIndexCloseTest and some of BadBatchTest and BadFilesTest) now guard
the fixes. One known limitation stays pinned by an @unittest.expectedFailure
test (TailOverGapTest) whose comment says what is wrong; the campaign lets
a check fail only where it explains it (KB_* below), and counts those trials.
"""

import collections
import errno
import hashlib
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time
import unittest

from mount_fixture import PREFIX, MountedTestCase, main, topicfs_bin

SEED = int(os.environ.get("TOPICFS_E2E_SEED", "20261206"))

# The daemon's background work is off during the trials: nothing but the
# damage changes the data directory between the two mounts. The build and
# the crash loop keep the cleaner busy.
QUIET_ARGS = ("--cleaner-backoff-ms=3600000", "--retention-check-interval-ms=3600000")
BUSY_CLEANER_ARGS = ("--cleaner-backoff-ms=100", "--retention-check-interval-ms=3600000")

READ_TIMEOUT = 20  # seconds: a read that takes longer is a hung daemon
EIO_TEXT = "Input/output error"
ENOENT_TEXT = "No such file or directory"
SEGMENT_NAME = re.compile(r"\d{20}\.log")


# ---- the on-disk format, enough to damage it on purpose (docs/format.md) ------

HEADER_SIZE = 61  # a v2 batch header, up to its records


def _varint(buf, i):
    shift = result = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return (result >> 1) ^ -(result & 1), i
        shift += 7


Batch = collections.namedtuple("Batch", "position size base_offset records")
Record = collections.namedtuple("Record", "offset data segment batch_position")


def parse_log(data, segment=""):
    """The batches of a .log the store wrote: Batch(position, size,
    base_offset, records [(offset, presented bytes)]). Stops at what does not
    parse (a test builds only intact files)."""
    batches, pos = [], 0
    while pos + HEADER_SIZE <= len(data):
        base, length = struct.unpack_from(">qi", data, pos)
        size = length + 12
        if length <= 0 or pos + size > len(data):
            break
        count = struct.unpack_from(">i", data, pos + 57)[0]
        records, i = [], pos + HEADER_SIZE
        for _ in range(count):
            rec_len, j = _varint(data, i)
            end = j + rec_len
            j += 1  # attributes
            _, j = _varint(data, j)  # timestamp delta
            offset_delta, j = _varint(data, j)
            key_len, j = _varint(data, j)
            key = data[j:j + key_len] if key_len >= 0 else None
            j += max(key_len, 0)
            value_len, j = _varint(data, j)
            value = data[j:j + value_len] if value_len >= 0 else None
            j += max(value_len, 0)
            header_count, j = _varint(data, j)
            headers = {}
            for _ in range(header_count):
                hk_len, j = _varint(data, j)
                hk = data[j:j + hk_len]
                j += hk_len
                hv_len, j = _varint(data, j)
                headers[hk] = data[j:j + hv_len] if hv_len >= 0 else None
                j += max(hv_len, 0)
            sep = headers.get(b"topicfs.sep")
            if value is not None and sep is None:
                presented = value + b"\n"
            else:  # a split line (or a tombstone): key + separator + value + "\n"
                presented = (key or b"") + (sep or b"") + (value or b"") + b"\n"
            records.append(Record(base + offset_delta, presented, segment, pos))
            i = end
        batches.append(Batch(pos, size, base, records))
        pos += size
    return batches


def segment_files(partition_dir):
    return sorted(n for n in os.listdir(partition_dir) if SEGMENT_NAME.fullmatch(n))


def side_files(partition_dir, suffix):
    return sorted(n for n in os.listdir(partition_dir) if n.endswith(suffix))


def copy_tree(src, dst):
    """cp -a: keeps the holes of preallocated index files (a crashed data
    directory holds 64 KiB of them per partition)."""
    subprocess.run(["cp", "-a", src, dst], check=True)


def run(cmd, cwd=None, timeout=READ_TIMEOUT):
    """(returncode, stdout, stderr) of a command; a timeout is a hang."""
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{' '.join(cmd)}: no answer within {timeout}s (a hung daemon?)")
    return r.returncode, r.stdout, r.stderr.decode(errors="replace")


def match_records(out, records):
    """Matches the bytes a read returned against records (a partition's
    records in offset order): returns the indexes of the records they are,
    in order, or raises AssertionError naming the first bytes that are no
    record written there (or a record out of order or twice)."""
    found, i, k = [], 0, 0
    by_first_byte = collections.defaultdict(list)
    for n, rec in enumerate(records):
        by_first_byte[rec.data[:1]].append(n)
    while i < len(out):
        candidates = by_first_byte.get(out[i:i + 1], [])
        hit = next((n for n in candidates if n >= k and out.startswith(records[n].data, i)), None)
        if hit is None:
            raise AssertionError(f"bytes at {i} of the read are no record written to the partition "
                                 f"after the one before: {out[i:i + 80]!r}")
        found.append(hit)
        i += len(records[hit].data)
        k = hit + 1
    return found


# ---- one damaged batch, seen through the mount --------------------------------------

class SegmentDamageTestCase(MountedTestCase):
    """Helpers to write lines one batch each, damage one batch on disk while
    unmounted, and read back."""

    def write_lines(self, rel, lines):
        """One write(2), so one batch, per line; returns [(offset, line + "\\n")]."""
        out = []
        offset = os.stat(self.path(rel)).st_size
        for line in lines:
            data = line.encode() + b"\n"
            self.append(rel, data)
            out.append((offset, data))
            offset += len(data)
        return out

    def segment_path(self, partition_dir, index=0):
        d = os.path.join(self.data, partition_dir)
        return os.path.join(d, segment_files(d)[index])

    def batches(self, path):
        with open(path, "rb") as f:
            return parse_log(f.read(), os.path.basename(path))

    def patch(self, path, position, new_bytes):
        """Overwrites bytes of a file in place; returns the file's bytes after."""
        with open(path, "r+b") as f:
            f.seek(position)
            f.write(new_bytes)
        with open(path, "rb") as f:
            return f.read()

    def flip_value_byte(self, path, batch):
        """Flips one byte in the middle of the batch's (first) record value."""
        with open(path, "rb") as f:
            data = f.read()
        value = batch.records[0].data[:-1]
        at = data.index(value, batch.position + HEADER_SIZE) + len(value) // 2
        return self.patch(path, at, bytes([data[at] ^ 0x20]))

    def cat(self, rel):
        return run(["cat", rel], cwd=self.mnt)


LINES = [f"line {i:04d} {'v' * (i % 40)}" for i in range(400)]


class BadBatchTest(SegmentDamageTestCase):
    """One flipped byte inside one record's value in the middle of a .log,
    after a clean shutdown (so the open does not look at that batch)."""

    def setUp(self):
        super().setUp()
        self.mkdir("t")
        self.written = self.write_lines("t/0", LINES)
        self.size = self.written[-1][0] + len(self.written[-1][1])
        self.stop_daemon()
        self.log_file = self.segment_path("t-0")
        self.victim = self.batches(self.log_file)[200]
        self.assertEqual(self.victim.records[0].data, self.written[200][1])
        self.damaged = self.flip_value_byte(self.log_file, self.victim)
        self.cut = self.damaged[self.victim.position:self.victim.position + self.victim.size]
        self.start_daemon()
        self.assertNotIn("recovery", self.daemon.log(), "the open looked at the segment")

    def before(self):
        return b"".join(d for _, d in self.written[:200])

    def after(self):
        return b"".join(d for _, d in self.written[201:])

    def test_cat_prints_the_good_bytes_then_eio_reads_after_it_work_and_the_next_mount_cuts_it(self):
        rc, out, err = self.cat("t/0")
        self.assertNotEqual(rc, 0)
        self.assertIn("Input/output error", err)
        self.assertEqual(out, self.before(), "cat prints every good byte before the damaged batch")
        self.assertRegex(self.daemon.log(), rf"read t/0 at \d+: corruption: {re.escape(self.log_file)}: "
                                            rf"the batch at position {self.victim.position} is damaged and withheld")
        # Reading on after it: tail -c +N, dd skip=, a view from the next record.
        next_offset = self.written[201][0]
        rc, out, err = run(["tail", "-c", f"+{next_offset + 1}", "t/0"], cwd=self.mnt)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, self.after(), "tail -c +N after the damaged batch")
        rc, out, err = run(["dd", "if=t/0", "bs=4096", "iflag=skip_bytes", f"skip={next_offset}", "status=none"],
                           cwd=self.mnt)
        self.assertEqual((rc, out), (0, self.after()), f"dd skip=: {err}")
        rc, out, err = self.cat(f"t/0@{next_offset}")
        self.assertEqual((rc, out), (0, self.after()), f"cat t/0@{next_offset}: {err}")
        rc, out, err = run(["tail", "-n", "3", "t/0"], cwd=self.mnt)
        self.assertEqual(out.splitlines(), self.after().splitlines()[-3:])
        # A read starting at the damaged batch fails; one before it stops there.
        fd = os.open(self.path("t", "0"), os.O_RDONLY)
        try:
            self.assertErrno(errno.EIO, os.pread, fd, 100, self.written[200][0])
        finally:
            os.close(fd)
        fd = os.open(self.path("t", "0"), os.O_RDONLY)
        try:
            self.assertEqual(os.pread(fd, 4096, self.written[199][0]), self.written[199][1])
        finally:
            os.close(fd)
        self.assertEqual(self.xattr("t/0", "withheld_batches"), "1")
        self.assertEqual(os.stat(self.path("t", "0")).st_size, self.size)

        self.stop_daemon()
        # The read lowered the partition's recovery point to the segment's
        # base, so the next open validates it although the shutdown was clean.
        with open(os.path.join(self.data, "recovery-point-offset-checkpoint")) as f:
            self.assertIn("t 0 0\n", f.read())
        self.start_daemon()
        part = os.path.join(self.data, "t-0")
        corrupt = side_files(part, ".corrupt")
        self.assertEqual(corrupt, [f"{0:020d}.log.{self.victim.position}.corrupt"])
        with open(os.path.join(part, corrupt[0]), "rb") as f:
            self.assertEqual(f.read(), self.cut, "the .corrupt file holds the damaged batch's bytes")
        self.assertRegex(self.daemon.log(), rf"recovery cut {self.victim.size} bytes .* \(kept in "
                                            rf"{re.escape(os.path.join(part, corrupt[0]))}\)")
        rc, out, err = self.cat("t/0")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, self.before() + self.after(), "everything but the damaged batch's line")
        self.assertEqual(os.stat(self.path("t", "0")).st_size, self.size, "st_size after the repair")
        figures = self.figures("t/0")
        self.assertEqual(figures["withheld_batches"], 0)
        self.assertEqual(figures["log_end_offset"], self.size)
        self.assertEqual(figures["records"], len(LINES) - 1)
        # The position of the cut line reads on at the next record.
        fd = os.open(self.path("t", "0"), os.O_RDONLY)
        try:
            self.assertEqual(os.pread(fd, len(self.written[201][1]), self.written[200][0]), self.written[201][1])
        finally:
            os.close(fd)
        self.append("t/0", "after the repair\n")
        self.assertEqual(self.read("t", "0"), self.before() + self.after() + b"after the repair\n")
        self.assertEqual(os.stat(self.path("t", "0")).st_size, self.size + len("after the repair\n"))

    def test_a_view_that_starts_before_the_damaged_batch_prints_up_to_it_then_fails_eio(self):
        rc, out, err = self.cat("t/0@-210")  # ten records before the damaged one
        self.assertIn("Input/output error", err)
        self.assertEqual(out, b"".join(d for _, d in self.written[190:200]))

    # A bug this found, now fixed (fs/views.cc, the view lookup): a view whose start the
    # lookup resolves by decoding the damaged batch (one that starts at it:
    # t/0@-200, t/0@<its offset>) fails with the lookup's ENOENT ("No such
    # file or directory", as a malformed view name does) instead of EIO:
    #   [warning] lookup t/0@-200: corruption: .../t-0/00000000000000000000.log:
    #   the batch at position 19500 is damaged and withheld: ...: ENOENT
    # Lookup errors other than a malformed name or a missing partition
    # should keep their errno (EIO for corruption).
    def test_a_view_whose_lookup_meets_the_damaged_batch_fails_eio(self):
        for view in ("t/0@-200", f"t/0@{self.written[200][0]}"):
            rc, out, err = self.cat(view)
            self.assertNotEqual(rc, 0, view)
            self.assertIn("Input/output error", err, view)


class CrossSegmentReadTest(SegmentDamageTestCase):
    """A damaged batch in a segment that is not the last one."""

    def setUp(self):
        super().setUp()
        self.mkdir("t")
        self.sh("setfattr -n user.topicfs.internal.segment.bytes -v 2048 t")
        self.written = self.write_lines("t/0", LINES[:120])
        self.stop_daemon()
        part = os.path.join(self.data, "t-0")
        self.logs = segment_files(part)
        self.assertGreaterEqual(len(self.logs), 4)
        self.records = []  # (segment, batch, index into written)
        for name in self.logs:
            for b in self.batches(os.path.join(part, name)):
                self.records.append((name, b))
        self.assertEqual([b.records[0].data for _, b in self.records], [d for _, d in self.written])

    def damage(self, segment_index, batch_index):
        name = self.logs[segment_index]
        in_segment = [(i, b) for i, (n, b) in enumerate(self.records) if n == name]
        index, batch = in_segment[batch_index]
        self.flip_value_byte(os.path.join(self.data, "t-0", name), batch)
        self.start_daemon()
        return index

    # A bug this found, now fixed (store/log.cc, Log::Read): LogSegment::Read returns the good
    # bytes before a withheld batch, and Log::Read then carries on in the
    # next segment within the same request, as if the segment had ended. So
    # cat prints the next segment's lines right after the good ones and
    # never fails: the damaged batch and every intact batch after it in its
    # segment are skipped without an error (only withheld_batches and the
    # log say so), until a remount cuts the batch.
    def test_cat_fails_eio_at_a_damaged_batch_in_the_middle_of_an_earlier_segment(self):
        index = self.damage(1, 2)
        rc, out, err = self.cat("t/0")
        self.assertEqual(out, b"".join(d for _, d in self.written[:index]),
                         "cat goes on past the damaged batch's segment")
        self.assertIn("Input/output error", err)

    # A bug this found, now fixed (store/log.cc, Log::Read): when the withheld batch is the
    # first of a later segment, LogSegment::Read fails (no bytes before it
    # in that segment), and Log::Read returns that error, dropping the
    # bytes it already had from the earlier segments in the same request:
    # cat prints nothing at all.
    def test_cat_prints_the_earlier_segments_before_a_damaged_first_batch(self):
        index = self.damage(2, 0)
        rc, out, err = self.cat("t/0")
        self.assertIn("Input/output error", err)
        self.assertEqual(out, b"".join(d for _, d in self.written[:index]),
                         "cat drops the earlier segments' bytes")

    def test_after_a_remount_only_the_damaged_batch_is_missing(self):
        index = self.damage(1, 2)
        self.cat("t/0")  # the read marks the segment
        self.remount()
        rc, out, err = self.cat("t/0")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, b"".join(d for i, (_, d) in enumerate(self.written) if i != index))
        self.assertEqual(segment_files(os.path.join(self.data, "t-0")), self.logs,
                         "a later segment went")


class FrameDamageTest(SegmentDamageTestCase):
    """A batch whose frame is damaged: the Length field (bytes 8-11), which
    says where the next batch starts, or the magic byte. The CRC-32C does
    not cover the Length, and a read interprets both before any check."""

    def setUp(self):
        super().setUp()
        self.mkdir("t")
        self.written = self.write_lines("t/0", LINES[:100])
        self.stop_daemon()
        self.log_file = self.segment_path("t-0")
        self.victim = self.batches(self.log_file)[50]

    def set_length(self, value):
        self.patch(self.log_file, self.victim.position + 8, struct.pack(">i", value))
        self.start_daemon()

    # A bug this found, now fixed (store/log_segment.cc, LogSegment::Read): with a Length that
    # runs past the end of the file, BatchAt fails (a corruption status,
    # "batch at position P of N bytes runs past the end") and the read
    # returns that error, not the good bytes it already copied: cat prints
    # nothing (the read at 0 fails EIO). The batch is not withheld, so
    # withheld_batches stays 0 and the segment is not marked: every later
    # mount, clean or not (the recovery point is past it), fails the same.
    def test_a_length_past_the_end_withholds_the_batch_after_the_good_bytes(self):
        self.set_length(0x00900000)
        rc, out, err = self.cat("t/0")
        self.assertIn("Input/output error", err)
        self.assertRegex(self.daemon.log(), r"runs past the end")
        self.assertEqual(out, b"".join(d for _, d in self.written[:50]), "the good bytes before it")
        self.assertEqual(self.xattr("t/0", "withheld_batches"), "1")

    def test_a_length_past_the_end_is_repaired_by_the_next_mount(self):
        self.set_length(0x00900000)
        self.cat("t/0")
        self.remount()
        rc, out, err = self.cat("t/0")
        self.assertEqual((rc, err), (0, ""), "the segment was not repaired")

    # A bug this found, now fixed (store/log_segment.cc and fs/errno_map.cc): a flipped magic
    # byte makes ParseBatchHeader answer "unsupported" (magic 0/1, or an
    # unknown format) before the CRC-32C is checked, so the read fails
    # EOPNOTSUPP ("Operation not supported"), not EIO, and again nothing is
    # withheld or marked. (A flipped compression codec bit does the same.)
    def test_a_flipped_magic_byte_is_eio(self):
        self.patch(self.log_file, self.victim.position + 16, b"\x03")
        self.start_daemon()
        rc, out, err = self.cat("t/0")
        self.assertIn("Input/output error", err)


class BaseOffsetDamageTest(SegmentDamageTestCase):
    """A batch whose base offset (bytes 0-7, which the CRC-32C does not
    cover, as in Kafka) is damaged."""

    def setUp(self):
        super().setUp()
        self.mkdir("t")
        self.written = self.write_lines("t/0", LINES[:100])
        self.content = b"".join(d for _, d in self.written)
        self.stop_daemon()
        self.log_file = self.segment_path("t-0")
        self.victim = self.batches(self.log_file)[50]

    def set_base(self, value):
        self.patch(self.log_file, self.victim.position, struct.pack(">q", value))

    def pread_fresh(self, n, offset):
        fd = os.open(self.path("t", "0"), os.O_RDONLY)
        try:
            return os.pread(fd, n, offset)
        finally:
            os.close(fd)

    # A bug this found, now fixed (store/log_segment.cc, LogSegment::Read): the read skips a
    # batch when the next batch's base offset is at or below the offset
    # wanted, trusting a header field no check covers. With batch 50's base
    # lowered to 0, a read at the offset of line 49 (intact) skips batch 49
    # and starts at line 51: dd skip=, tail -c and views miss intact lines,
    # while cat (which follows its cursor) shows them all. No read notices,
    # so nothing is withheld or marked, and no clean mount repairs it
    # (recovery would cut the batch as misplaced).
    def test_a_lowered_base_offset_does_not_hide_the_intact_line_before_it(self):
        self.set_base(0)
        self.start_daemon()
        self.assertEqual(self.read("t", "0"), self.content, "cat follows its cursor")
        offset, line = self.written[49]
        self.assertEqual(self.pread_fresh(len(line), offset), line)

    def recover_with_base(self, value):
        """Batch 50's base offset set to value, then an unclean open (which
        recovers the segment); returns the lines cat shows."""
        self.set_base(value)
        os.remove(os.path.join(self.data, ".kafka_cleanshutdown"))
        self.start_daemon()
        return self.read("t", "0").splitlines(keepends=True)

    def check_only_batch_50_went(self, lines):
        written = [d for _, d in self.written]
        self.assertTrue(lines in (written[:50] + written[51:], written),
                        f"{len(lines)} lines of {len(written)} are left, missing "
                        f"{[l for l in written if l not in lines][:3]}; the log says:\n{self.daemon.log()}")

    # A bug this found, now fixed (store/log_segment_recovery.cc, ValidateAndIndex): a base
    # offset raised a little (here by 3) passes as a valid batch after a
    # gap, its lines then presented 3 bytes later than written; the intact
    # batch after it now starts below its end and is cut as the misplaced
    # one ("recovery cut 89 bytes that are not valid batches ... kept in
    # ....log.4813.corrupt", 4813 being batch 51's position). The damaged
    # batch stays, an intact one goes.
    def test_a_slightly_raised_base_offset_costs_only_its_batch_at_recovery(self):
        self.check_only_batch_50_went(self.recover_with_base(self.victim.base_offset + 3))

    # A bug this found, now fixed (store/log_segment_recovery.cc, ValidateAndIndex): raised by
    # 256, the batches after it start below its presented end, and two such
    # in a row read as "another Kafka's consecutive offsets": the whole
    # segment is renamed .unreadable, every intact line of it out of the
    # mount, instead of the one damaged batch being cut. Seen:
    #   segment 0 set aside: .../00000000000000000000.log at position P: its
    #   batches' offsets do not follow their byte positions (a Kafka broker's data?)
    def test_a_raised_base_offset_does_not_set_the_segment_aside(self):
        self.check_only_batch_50_went(self.recover_with_base(self.victim.base_offset + 256))


class UncheckedSkipTest(SegmentDamageTestCase):
    """A batch whose damaged attributes say "control batch", or whose
    record count reads 0."""

    def setUp(self):
        super().setUp()
        self.mkdir("t")
        self.written = self.write_lines("t/0", LINES[:100])
        self.stop_daemon()
        self.log_file = self.segment_path("t-0")
        self.victim = self.batches(self.log_file)[50]

    def check_withheld(self):
        rc, out, err = self.cat("t/0")
        self.assertIn("Input/output error", err, f"cat printed {len(out.splitlines())} lines and no error")
        self.assertEqual(self.xattr("t/0", "withheld_batches"), "1")

    # A bug this found, now fixed (store/log_segment.cc, LogSegment::Read): the read skips
    # control batches and batches of no records before it checks the CRC-32C
    # (`if (loc.control || loc.records == 0) continue;` comes before
    # VerifyServed), so a damaged header bit makes a batch's lines vanish
    # from every read without an error: not withheld, not counted, the
    # segment not marked, and no clean mount repairs it.
    def test_a_flipped_control_bit_is_withheld_not_skipped(self):
        self.patch(self.log_file, self.victim.position + 22, b"\x20")  # attributes: control
        self.start_daemon()
        self.check_withheld()

    def test_a_record_count_flipped_to_zero_is_withheld_not_skipped(self):
        self.patch(self.log_file, self.victim.position + 57, struct.pack(">i", 0))
        self.start_daemon()
        self.check_withheld()


class TailOverGapTest(SegmentDamageTestCase):

    # Known limitation (the read semantics over removed records, as the
    # contract states them: a read continues at the next survivor): a read
    # of n bytes at position p returns n bytes of
    # surviving records, also from positions past p + n when records in
    # between are gone. GNU tail -n reads the last block [S - S % 8192, S),
    # then the block before it at 0 with read(8192), and takes its byte
    # counts for positions; a gap in that block (a batch cut by recovery,
    # or compaction's) makes it print the wrong lines. Here 257 lines of 32
    # bytes (8,224 bytes) with line 10 cut: tail -n 3 prints 1 line.
    @unittest.expectedFailure
    def test_tail_n_after_a_cut_batch_prints_the_last_lines(self):
        self.mkdir("t")
        lines = [f"tail line {i:05d} {'g' * 15}" for i in range(257)]
        written = self.write_lines("t/0", lines)
        self.assertEqual(os.stat(self.path("t", "0")).st_size, 257 * 32)
        self.stop_daemon()
        log_file = self.segment_path("t-0")
        self.flip_value_byte(log_file, self.batches(log_file)[10])
        os.remove(os.path.join(self.data, ".kafka_cleanshutdown"))  # the open cuts the batch
        self.start_daemon()
        self.assertIn("recovery cut", self.daemon.log())
        self.assertEqual(len(self.read("t", "0").splitlines()), 256)
        rc, out, err = run(["tail", "-n", "3", "t/0"], cwd=self.mnt)
        self.assertEqual(out.decode().splitlines(), lines[-3:])


class TimeIndexCloseTest(SegmentDamageTestCase):

    # A bug this found, now fixed (store/time_index.cc, the open's checks, and the final entry
    # written at close): a .timeindex entry whose relative offset was
    # flipped far past the segment's end passes the checks at open, and the
    # clean close then fails appending the final entry below it:
    #   [error] closing <data>: invalid argument: time index .../00000000000000000000.timeindex:
    #   append of offset 5506 below the last offset 553648195
    # so the daemon exits 1 after a clean unmount and leaves no
    # clean-shutdown marker. The entry should be found wrong at open (an
    # offset at or past the segment's end), and the index rebuilt.
    def test_a_time_index_entry_past_the_segment_end_does_not_fail_the_close(self):
        self.mkdir("t")
        self.write_lines("t/0", LINES[:20])
        self.stop_daemon()
        index = os.path.join(self.data, "t-0", f"{0:020d}.timeindex")
        self.assertEqual(os.path.getsize(index), 12)  # one entry: the final one, written at close
        # Its timestamp lowered (so the close appends a final entry again)
        # and its relative offset raised to 0x21xxxxxx.
        with open(index, "rb") as f:
            timestamp, relative = struct.unpack(">qi", f.read())
        self.patch(index, 0, struct.pack(">qi", timestamp - 1000, relative | 0x21000000))
        self.start_daemon()
        self.assertEqual(self.read("t", "0"), "".join(l + "\n" for l in LINES[:20]).encode())
        self.daemon.stop(timeout=self.daemon_stop_timeout)
        self.assertEqual(self.daemon.returncode, 0, self.daemon.log())


# ---- bad files do not kill the mount ----------------------------------------------

def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class BadFilesTest(MountedTestCase):
    """Topic a (3 partitions, retention.ms set), topic b, group g's commit
    on a/0, a root default; then one file damaged while unmounted."""

    A_LINES = {p: b"".join(f"a/{p} line {i}\n".encode() for i in range(30)) for p in range(3)}
    B_LINES = b"".join(f"b line {i}\n".encode() for i in range(30))

    def setUp(self):
        super().setUp()
        self.sh("setfattr -n user.topicfs.index.interval.bytes -v 512 .")
        self.mkdir("a")
        self.sh("setfattr -n user.topicfs.partitions -v 3 a && setfattr -n user.topicfs.retention.ms -v 3600000 a")
        self.mkdir("b")
        for p, data in self.A_LINES.items():
            self.append(f"a/{p}", data)
        self.append("b/0", self.B_LINES)
        self.sh("cat a/0@group=g > /dev/null")
        self.first_commit = self.xattr("a/0", "group.g")
        self.append("a/0", "a/0 after the first commit\n")
        self.A_LINES = dict(self.A_LINES)
        self.A_LINES[0] += b"a/0 after the first commit\n"
        self.sh("cat a/0@group=g > /dev/null")  # a second commit: a second batch
        self.committed = self.xattr("a/0", "group.g")
        self.assertEqual(int(self.committed), len(self.A_LINES[0]))
        self.stop_daemon()

    def flip(self, path, needle):
        """Flips the low bit of the first byte of `needle` in the file."""
        with open(path, "rb") as f:
            data = bytearray(f.read())
        at = data.index(needle)
        data[at] ^= 0x01
        with open(path, "wb") as f:
            f.write(data)
        return sha256(path)

    def config(self, topic):
        return os.path.join(self.data, topic + ".conf")

    def check_reads(self, topics=("a", "b")):
        for p, data in self.A_LINES.items():
            if "a" in topics:
                self.assertEqual(self.read("a", str(p)), data, f"a/{p}")
        if "b" in topics:
            self.assertEqual(self.read("b", "0"), self.B_LINES)

    def check_writable(self, rel):
        self.append(rel, "still writable\n")

    def check_read_only(self, topic):
        logged = len(self.daemon.log())
        self.assertShellFails(f"echo refused >> {topic}/0", "Read-only file system")
        self.assertErrno(errno.EROFS, os.setxattr, self.path(topic), PREFIX + "retention.ms", b"7200000")
        self.assertRegex(self.daemon.log()[logged:], rf"{topic}/0 .*EROFS", "the refusal is not logged")

    def test_a_damaged_topic_config_makes_that_topic_read_only_and_the_rest_works(self):
        digest = self.flip(self.config("a"), b"3600000")
        self.start_daemon()
        self.assertRegex(self.daemon.log(), rf"topic a is read-only: {re.escape(self.config('a'))}: damaged")
        self.check_reads()
        self.check_read_only("a")
        self.assertShellFails("echo refused >> a/2", "Read-only file system")
        self.assertEqual(sorted(os.listdir(self.path("a"))), ["0", "1", "2"])
        self.check_reads()
        self.check_writable("b/0")
        self.mkdir("c")
        self.check_writable("c/0")
        self.assertEqual(self.xattr("a/0", "group.g"), self.committed)
        self.remount()
        self.assertIn("topic a is read-only", self.daemon.log())
        self.check_read_only("a")
        self.stop_daemon()
        self.assertEqual(sha256(self.config("a")), digest, "the damaged config was rewritten")

    def test_a_damaged_consumer_offsets_config_keeps_the_mount_and_the_group_positions(self):
        path = self.config("__consumer_offsets")
        self.flip(path, b"104857600")
        self.start_daemon()
        self.assertRegex(self.daemon.log(), rf"topic __consumer_offsets is read-only: {re.escape(path)}: damaged")
        self.check_reads()
        self.assertEqual(self.xattr("a/0", "group.g"), self.committed)
        self.check_writable("a/0")
        self.check_writable("b/0")
        self.assertShellFails("echo x >> __consumer_offsets/0", "Operation not permitted")

    # A bug this found, now fixed (fs/: the group view's flush/release path): committing a
    # group position at close when __consumer_offsets is read-only throws
    # an exception, caught at the FUSE boundary and answered EIO:
    #   [error] flush: unexpected exception: string pointer is null
    #   [error] release: unexpected exception: string pointer is null
    # ("string pointer is null" is fmt's error for a null const char*
    # argument). The refusal should be EROFS, logged as a refused commit.
    def test_a_group_commit_to_a_read_only_consumer_offsets_fails_erofs_and_says_why(self):
        self.flip(self.config("__consumer_offsets"), b"104857600")
        self.start_daemon()
        self.append("a/0", "new\n")
        r = self.sh("cat a/0@group=g", check=False)
        self.assertEqual(r.stdout, b"new\n")
        self.assertNotIn("unexpected exception", self.daemon.log())
        self.assertIn("Read-only file system", r.stderr.decode())

    def test_damaged_defaults_make_every_topic_read_only_and_reads_work(self):
        path = os.path.join(self.data, "topicfs-defaults.properties")
        self.flip(path, b"512")
        self.start_daemon()
        self.assertRegex(self.daemon.log(), rf"{re.escape(path)}: damaged .*every topic is read-only")
        self.check_reads()
        self.check_read_only("a")
        self.check_read_only("b")
        self.assertErrno(errno.EROFS, os.setxattr, self.mnt, PREFIX + "retention.ms", b"7200000")
        self.assertEqual(self.xattr("a/0", "group.g"), self.committed)
        self.check_reads()

    # A bug this found, now fixed (the mkdir path with damaged defaults, store/log_manager.cc
    # CreateTopic or fs/): creating a topic while the defaults are damaged
    # fails EIO through an exception caught at the FUSE boundary:
    #   [error] mkdir: unexpected exception: string pointer is null
    # It should be refused EROFS (every topic is read-only) and say why.
    def test_mkdir_with_damaged_defaults_fails_erofs(self):
        self.flip(os.path.join(self.data, "topicfs-defaults.properties"), b"512")
        self.start_daemon()
        self.assertErrno(errno.EROFS, os.mkdir, self.path("c"))
        self.assertNotIn("unexpected exception", self.daemon.log())

    def replace_partition_dir(self, make):
        """a-1 moved aside and `make(path)` put in its place; returns where
        the real directory went."""
        real = os.path.join(self.data, "a-1")
        aside = os.path.join(self.tmp, "a-1.aside")
        os.rename(real, aside)
        make(real)
        return real, aside

    def check_offline_partition(self, real):
        self.start_daemon()
        log = self.daemon.log()
        self.assertIn(f"{real} is not a directory: not a partition", log)
        self.assertRegex(log, r"partition a-1 is offline: ")
        self.assertErrno(errno.EIO, os.stat, self.path("a", "1"))
        self.assertShellFails("cat a/1", "Input/output error")
        self.assertErrno(errno.EIO, os.open, self.path("a", "1"), os.O_WRONLY | os.O_APPEND)
        self.assertErrno(errno.EIO, os.getxattr, self.path("a", "1"), PREFIX + "log_end_offset")
        self.assertRegex(self.daemon.log()[len(log):], r"a[-/]1.*offline.*EIO")
        # The rest of the mount: a's other partitions, b, a new topic.
        self.assertEqual(self.read("a", "0"), self.A_LINES[0])
        self.assertEqual(self.read("a", "2"), self.A_LINES[2])
        self.check_writable("a/2")
        self.check_writable("b/0")
        self.mkdir("c")
        self.check_writable("c/0")
        self.assertEqual(self.xattr("a/0", "group.g"), self.committed)

    def check_restored(self, real, aside):
        self.stop_daemon()
        os.remove(real)
        os.rename(aside, real)
        self.start_daemon()
        self.assertEqual(self.read("a", "1"), self.A_LINES[1])
        self.check_writable("a/1")

    def test_a_regular_file_where_a_partition_directory_should_be_takes_only_it_offline(self):
        def make(path):
            with open(path, "w") as f:
                f.write("not a partition\n")
        real, aside = self.replace_partition_dir(make)
        self.check_offline_partition(real)
        self.stop_daemon()
        with open(real) as f:
            self.assertEqual(f.read(), "not a partition\n", "the file was changed")
        self.start_daemon()
        self.check_restored(real, aside)

    def test_a_dangling_symlink_where_a_partition_directory_should_be_takes_only_it_offline(self):
        real, aside = self.replace_partition_dir(lambda path: os.symlink("/nonexistent/a-1", path))
        self.check_offline_partition(real)
        self.stop_daemon()
        self.assertEqual(os.readlink(real), "/nonexistent/a-1", "the symlink was changed")
        self.start_daemon()
        self.check_restored(real, aside)

    def test_lock_as_a_directory_is_only_a_warning(self):
        lock = os.path.join(self.data, ".lock")
        if os.path.exists(lock):
            os.remove(lock)
        os.mkdir(lock)
        self.start_daemon()
        self.assertRegex(self.daemon.log(), rf"\[?warning\]?:? .*{re.escape(lock)}.*EISDIR")
        self.check_reads()
        self.check_writable("a/0")
        # The data directory's own lock still keeps a second daemon out.
        other = os.path.join(self.tmp, "mnt2")
        os.mkdir(other)
        r = subprocess.run([topicfs_bin(), "-f", self.data, other], capture_output=True, text=True, timeout=10)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("in use by another process", r.stderr)
        self.assertTrue(os.path.isdir(lock))

    # A bug this found, now fixed (store/checksum_line.cc, StripChecksumLine): a config is
    # checked only when its last line is a whole "# crc32c=<8 hex>" line;
    # otherwise it is read as it is (meant for hand edits). So a config cut
    # short (damage, or an editor's partial save) loses its checksum line
    # and is read as a shorter, valid config: cut after "retention.ms=36",
    # topic a is writable with retention.ms=36 (retention would delete its
    # segments); cut before "partitions=3", a has 1 partition and a/1, a/2
    # vanish from the mount without a word in the log. A file the store
    # wrote (it starts "# topicfs topic config") without its checksum line
    # is damaged.
    def test_a_truncated_config_is_damaged_not_read_as_a_shorter_one(self):
        path = self.config("a")
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[:data.index(b"retention.ms=36") + len(b"retention.ms=36")])
        self.start_daemon()
        # Not the shorter config's 36 ms (retention would delete the
        # segments); the topic is read-only, so nothing is deleted either.
        self.assertNotEqual(self.xattr("a", "retention.ms"), "36")
        self.assertRegex(self.daemon.log(), rf"topic a is read-only: {re.escape(path)}: damaged")
        self.check_read_only("a")

    def test_a_config_truncated_before_its_partitions_line_hides_no_partition(self):
        path = self.config("a")
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[:data.index(b"partitions=")])
        self.start_daemon()
        self.assertEqual(sorted(os.listdir(self.path("a"))), ["0", "1", "2"])
        self.check_read_only("a")

    # A bug this found, now fixed (mountd/main.cc: loading the group positions): a damaged
    # batch in __consumer_offsets fails the whole mount:
    #   topicfs: cannot load consumer group positions in <data>:
    #   __consumer_offsets-N: .../00000000000000000000.log: the batch at
    #   position 0 is damaged and withheld: ...
    # and the daemon exits 1. (The read marked the segment, so the next
    # start cuts the batch and mounts, without that group's position.)
    # One damaged commit should cost that commit, not the mount.
    def test_a_damaged_consumer_offsets_batch_does_not_fail_the_mount(self):
        part = next(n for n in os.listdir(self.data) if n.startswith("__consumer_offsets-")
                    and os.path.getsize(os.path.join(self.data, n, f"{0:020d}.log")) > 0)
        log_file = os.path.join(self.data, part, f"{0:020d}.log")
        with open(log_file, "rb") as f:
            batches = parse_log(f.read())
        self.assertEqual(len(batches), 2, "two commits")
        with open(log_file, "r+b") as f:
            # Inside the first commit's value (the open checks only the last batch).
            at = batches[0].position + batches[0].size - 5
            f.seek(at)
            byte = f.read(1)
            f.seek(at)
            f.write(bytes([byte[0] ^ 0x01]))
        try:
            self.start_daemon()
        except AssertionError as e:
            self.daemon.proc = None  # it exited before mounting: nothing to unmount
            self.fail(f"the mount failed: {e}")
        self.check_reads()
        self.assertEqual(self.xattr("a/0", "group.g"), self.committed)


# ---- the data set ----------------------------------------------------------------

class DataSet:
    """The data directory every trial starts from, in two states (clean:
    unmounted; crashed: more writes, then kill -9), and what is in it:

    manifest[partition]  every line written there, in order (bytes + "\\n")
    records[state][partition]  the records on disk (Record), parsed from the
        segments, which a mount reads back exactly (checked when built)
    commits[state][(group, partition)]  the offsets committed, oldest first
    """

    DATA_PARTITIONS = ["plain/0", "plain/1", "plain/2", "seg/0", "kv/0"]

    def __init__(self, case, rng):
        self.case = case
        self.rng = rng
        self.manifest = collections.defaultdict(list)
        self.dirs = {}
        self.records = {}
        self.commits = {}
        self.sizes = {}

    # -- writing through the mount

    def write(self, part, lines):
        """Appends lines (str, without "\\n") with one write(2)."""
        data = "".join(line + "\n" for line in lines).encode()
        self.case.append(part, data)
        self.manifest[part] += [line.encode() + b"\n" for line in lines]

    def write_mixed(self, part, lines):
        """Writes lines one to eight at a time: batches of one record and
        batches of several."""
        i = 0
        while i < len(lines):
            n = self.rng.randint(1, 8) if self.rng.random() < 0.5 else 1
            self.write(part, lines[i:i + n])
            i += n

    def commit(self, group, part, history):
        case = self.case
        case.sh(f"cat {part}@group={group} > /dev/null")
        history.setdefault((group, part), []).append(int(case.xattr(part, "group." + group)))

    def build(self, root):
        case, rng = self.case, self.rng
        history = {}
        case.sh("setfattr -n user.topicfs.index.interval.bytes -v 200 . && "
                "setfattr -n user.topicfs.segment.index.bytes -v 65536 .")
        case.mkdir("plain")
        case.sh("setfattr -n user.topicfs.partitions -v 3 plain && "
                "setfattr -n user.topicfs.retention.ms -v 604800000000 plain")
        case.mkdir("seg")
        case.sh("setfattr -n user.topicfs.internal.segment.bytes -v 2048 seg")
        case.mkdir("kv")
        case.sh("setfattr -n user.topicfs.key.separator -v : kv && "
                "setfattr -n user.topicfs.cleanup.policy -v compact kv && "
                "setfattr -n user.topicfs.internal.segment.bytes -v 2048 kv && "
                "setfattr -n user.topicfs.min.cleanable.dirty.ratio -v 0.01 kv")
        for p in range(3):
            self.write_mixed(f"plain/{p}", [f"plain/{p} {i:05d} {'p' * rng.randrange(60)}"
                                            for i in range(120)])
        self.commit("g1", "plain/0", history)
        self.write_mixed("plain/0", [f"plain/0 {i:05d} after g1 {'q' * rng.randrange(30)}"
                                     for i in range(120, 160)])
        self.commit("g1", "plain/0", history)
        seg_lines = [f"seg {i:05d} {'s' * rng.randrange(50)}" for i in range(420)]
        for i in range(0, len(seg_lines), 20):  # writes smaller than a segment
            self.write_mixed("seg/0", seg_lines[i:i + 20])
        self.commit("g2", "seg/0", history)
        version = 0
        for _ in range(12):
            lines = [f"key-{k:02d}:v{version + k:04d}-{'k' * rng.randrange(24)}" for k in range(30)]
            version += 30
            self.write_mixed("kv/0", lines)
        written = len(self.manifest["kv/0"])
        case.wait_for(lambda: int(case.xattr("kv/0", "records")) < written // 2, 30.0,
                      "the cleaner compacting kv/0")
        # Dirty again after the cleaning, and tombstones for five keys.
        self.write_mixed("kv/0", [f"key-{k:02d}:v{version + k:04d}-late" for k in range(0, 30, 3)])
        self.write("kv/0", [f"key-{k:02d}:" for k in range(25, 30)])
        self.commit("g3", "kv/0", history)
        case.stop_daemon()
        self.dirs["clean"] = os.path.join(root, "clean")
        copy_tree(case.data, self.dirs["clean"])
        self.commits["clean"] = {k: list(v) for k, v in history.items()}

        # The crashed state: more writes (no cleaning), then kill -9.
        case.daemon_args = QUIET_ARGS
        case.start_daemon()
        self.write_mixed("plain/1", [f"plain/1 {i:05d} before the crash" for i in range(120, 200)])
        self.write_mixed("seg/0", [f"seg {i:05d} before the crash {'c' * rng.randrange(40)}"
                                   for i in range(420, 470)])
        self.write_mixed("kv/0", [f"key-{k:02d}:v{version + 100 + k:04d}-crash" for k in range(0, 30, 2)])
        self.commit("g1", "plain/0", history)
        case.daemon.kill9()
        self.dirs["crashed"] = os.path.join(root, "crashed")
        copy_tree(case.data, self.dirs["crashed"])
        self.commits["crashed"] = {k: list(v) for k, v in history.items()}
        for state, top in self.dirs.items():
            self.records[state], self.sizes[state] = self.parse(top)

    def parse(self, top):
        records, sizes = {}, {}
        for name in os.listdir(top):
            m = re.fullmatch(r"(.+)-(\d+)", name)
            if not m or not os.path.isdir(os.path.join(top, name)):
                continue
            part = f"{m.group(1)}/{m.group(2)}"
            recs = []
            for seg in segment_files(os.path.join(top, name)):
                with open(os.path.join(top, name, seg), "rb") as f:
                    for batch in parse_log(f.read(), seg):
                        recs += batch.records
            records[part] = recs
        return records, sizes

    def partitions(self, state):
        """Every partition with records, plus the data partitions."""
        return sorted(set(self.DATA_PARTITIONS) | {p for p, r in self.records[state].items() if r})

    @staticmethod
    def dir_name(part):
        topic, p = part.rsplit("/", 1)
        return f"{topic}-{p}"


HEADER_FIELDS = [(0, 8, "base offset"), (8, 12, "length"), (12, 16, "leader epoch"), (16, 17, "magic"),
                 (17, 21, "crc"), (21, 23, "attributes"), (23, 27, "last offset delta"),
                 (27, 35, "base timestamp"), (35, 43, "max timestamp"), (43, 57, "producer fields"),
                 (57, 61, "records count")]


# Header fields a read interprets before it checks the CRC-32C.
FRAME_FIELDS = {"length", "magic", "attributes", "records count"}


def header_fields(offsets):
    return {name for lo, hi, name in HEADER_FIELDS for o in offsets if lo <= o < hi}


# Known bugs the campaign meets. Each is pinned by an expectedFailure test
# above (named in brackets) whose comment says what is wrong and where;
# the campaign relaxes only the checks that bug breaks, and only when its
# signature is there, and counts the trials it explains.
KB_VIEW_ENOENT = "view lookup at a damaged batch fails ENOENT [BadBatchTest...lookup_meets_the_damaged_batch]"
KB_CROSS_SEGMENT = "read across segments mishandles a withheld batch [CrossSegmentReadTest]"
KB_FRAME = "damaged frame not withheld, never repaired [FrameDamageTest]"
KB_BASE_OFFSET = "damaged base offset goes unnoticed [BaseOffsetDamageTest]"
KB_CONFIG_AS_IS = "config without its checksum line read as is [BadFilesTest...truncated_config]"
KB_GROUP_LOAD = "damaged __consumer_offsets batch fails the mount [BadFilesTest...consumer_offsets_batch]"
KB_UNCHECKED_SKIP = "batch whose damaged header says control or 0 records skipped unchecked [UncheckedSkipTest]"
KB_TIMEINDEX_CLOSE = "damaged .timeindex entry fails the clean close [TimeIndexCloseTest]"
KB_TAIL_GAP = "tail -n over a gap left by removed records prints wrong lines [TailOverGapTest]"
# Fixed since: a trial showing their signature fails like any other.
FIXED_BUGS = {KB_VIEW_ENOENT, KB_CROSS_SEGMENT, KB_FRAME, KB_BASE_OFFSET, KB_CONFIG_AS_IS, KB_GROUP_LOAD,
              KB_UNCHECKED_SKIP, KB_TIMEINDEX_CLOSE}


class Damage:
    """What a trial did to one file, and what that may cost: the records of
    the batches the damage touches (lost), as indexes into the damaged
    partition's records."""

    def __init__(self, kind, op, path, detail):
        self.kind = kind
        self.op = op  # "flip", "truncate" or "remove"
        self.path = path  # relative to the data directory
        self.detail = detail
        self.partition = None  # the partition whose segment was damaged
        self.segment = None
        self.batch_position = None  # the first batch the damage touches
        self.later_segment = False  # the partition has a segment after the damaged one
        self.fields = set()  # header fields flipped
        self.lost = set()
        self.last_batch = False  # the partition's last batch is among them
        self.topics_read_only = set()  # topics whose config the damage should make read-only
        self.topics_maybe_read_only = set()  # ... or not: the damage left what it says unchanged
        self.config_checked = True  # the config still ends in a well-formed "# crc32c=" line
        self.config_as_is = False  # ...it does not, and the text before it changed
        self.config_topic = None
        self.damaged_bytes = None  # the damaged .log's bytes after the damage
        self.zero_tail = False  # a truncation left only zeros of the cut batch

    def __str__(self):
        return f"{self.kind} ({self.op} {self.path}: {self.detail})"


# ---- the campaign --------------------------------------------------------------

class CorruptionCampaignTest(MountedTestCase):
    """Builds the data set with the cleaner running constantly, then mounts
    a damaged copy twice per trial. Trial n damages kind n % 13; one round
    in three of the kinds that apply takes the crashed state."""

    daemon_args = BUSY_CLEANER_ARGS
    daemon_start_timeout = 20.0
    daemon_stop_timeout = 20.0

    KINDS = ["segment-header", "record-bytes", "segment-truncate", "index", "timeindex",
             "recovery-point-checkpoint", "log-start-checkpoint", "cleaner-checkpoint",
             "checkpoint-crc32c", "topic-config", "defaults", "consumer-offsets-segment",
             "clean-shutdown-marker"]
    CRASHED_KINDS = {"segment-header", "record-bytes", "segment-truncate", "index", "timeindex",
                     "recovery-point-checkpoint", "consumer-offsets-segment", "topic-config"}

    def test_damaged_files_never_serve_unwritten_bytes_and_are_repaired_at_the_next_mount(self):
        trials = int(os.environ.get("TOPICFS_INTEGRITY_TRIALS", "78"))
        shard = int(os.environ.get("TOPICFS_INTEGRITY_SHARD", "0"))
        seed = SEED + 1_000_003 * shard
        sys.stderr.write(f"\n  seed {seed} (TOPICFS_E2E_SEED={SEED}, shard {shard}), {trials} trials\n")
        rng = random.Random(seed)
        started = time.monotonic()
        self.ds = DataSet(self, random.Random(seed))
        self.ds.build(self.tmp)
        self.check_data_set()
        keep = os.environ.get("TOPICFS_INTEGRITY_KEEP")
        if keep:
            for state, top in self.ds.dirs.items():
                shutil.rmtree(os.path.join(keep, state), ignore_errors=True)
                copy_tree(top, os.path.join(keep, state))
        build_s = time.monotonic() - started

        counts = collections.Counter()
        outcomes = collections.defaultdict(collections.Counter)
        bugs = collections.Counter()
        failures = []
        only = {int(x) for x in os.environ.get("TOPICFS_INTEGRITY_ONLY", "").split(",") if x}
        for n in range(trials):
            kind = self.KINDS[n % len(self.KINDS)]
            state = "crashed" if kind in self.CRASHED_KINDS and (n // len(self.KINDS)) % 3 == 2 else "clean"
            trial_seed = rng.getrandbits(64)
            if only and n not in only:
                continue
            label = f"{kind}/{state}"
            counts[label] += 1
            self.known_bugs = set()
            try:
                outcome = self.run_trial(n, kind, state, random.Random(trial_seed))
                outcomes[label][outcome] += 1
            except AssertionError as e:
                outcomes[label]["FAILED"] += 1
                failures.append(f"trial {n} ({label}, trial seed {trial_seed}): {e}")
                self.force_stop()
            for bug in self.known_bugs:
                bugs[bug] += 1
                outcomes[label]["known bug"] += 1
        elapsed = time.monotonic() - started
        table = "".join(f"    {label:36} {counts[label]:4}  "
                        + ", ".join(f"{o}: {c}" for o, c in sorted(outcomes[label].items())) + "\n"
                        for label in sorted(counts))
        bug_table = "".join(f"    {c:4}  {bug}\n" for bug, c in sorted(bugs.items()))
        sys.stderr.write(f"  build {build_s:.1f}s, {sum(counts.values())} trials in {elapsed - build_s:.1f}s "
                         f"(seed {seed}); trials per kind/state and their outcomes:\n{table}"
                         f"  trials a known bug explained (counted once per trial and bug):\n"
                         f"{bug_table or '    none' + chr(10)}")
        if failures:
            self.fail(f"{len(failures)} of {sum(counts.values())} trials failed (seed {seed}):\n"
                      + "\n".join(failures[:8]))

    # -- the data set itself

    def check_data_set(self):
        """Each state reads back as its parsed records, the data partitions'
        records are the lines written (kv/0: a subsequence), and
        __consumer_offsets has commits."""
        ds = self.ds
        for state, top in ds.dirs.items():
            self.data = os.path.join(self.tmp, f"golden-{state}")
            copy_tree(top, self.data)
            self.daemon_args = QUIET_ARGS
            self.start_daemon()
            for part in ds.partitions(state):
                got = self.read(*part.split("/"))
                self.assertEqual(got, b"".join(r.data for r in ds.records[state][part]),
                                 f"{state}: {part} as mounted vs its parsed segments")
                ds.sizes[state][part] = os.stat(self.path(*part.split("/"))).st_size
            self.stop_daemon()
            shutil.rmtree(self.data)
            for part in DataSet.DATA_PARTITIONS:
                recs = [r.data for r in ds.records[state][part]]
                if part != "kv/0":
                    self.assertEqual(recs, ds.manifest[part][:len(recs)], f"{state}: {part} vs the lines written")
            kv = [r.data for r in ds.records[state]["kv/0"]]
            self.assertLess(len(kv), len(ds.manifest["kv/0"]), f"{state}: kv/0 was never compacted")
            match_records(b"".join(kv), [Record(0, l, "", 0) for l in ds.manifest["kv/0"]])
            self.assertTrue(any(p.startswith("__consumer_offsets/") for p in ds.partitions(state)))
        self.assertGreater(len(ds.records["crashed"]["plain/1"]), len(ds.records["clean"]["plain/1"]))
        self.assertGreater(len(segment_files(os.path.join(ds.dirs["clean"], "seg-0"))), 5)

    # -- one trial

    def force_stop(self):
        if self.daemon is not None and self.daemon.proc is not None:
            self.daemon.stop(timeout=self.daemon_stop_timeout)

    def mount(self, data):
        self.data = data
        self.daemon_args = QUIET_ARGS
        self.start_daemon()

    def unmount(self, when, damage):
        forced = self.daemon.stop(timeout=self.daemon_stop_timeout)
        self.assertEqual(forced, [], f"{when}: unmount was not clean")
        if self.daemon.returncode != 0:
            # Known bug: a time index entry past the segment's end passes
            # the open's checks, and closing the segment fails on it.
            self.bug(KB_TIMEINDEX_CLOSE, damage.kind == "timeindex" and re.search(
                r"\[error\] closing .*time index .*: append of offset \d+ below the last offset", self.daemon.log()),
                f"{when}: the daemon's exit status was {self.daemon.returncode}")

    def bug(self, name, applies, message):
        """A check that failed: explained by known bug `name` when it
        applies, else a failure."""
        if applies and name not in FIXED_BUGS:
            self.known_bugs.add(name)
        else:
            raise AssertionError(message)

    def run_trial(self, n, kind, state, rng):
        data = os.path.join(self.tmp, f"trial-{n}")
        copy_tree(self.ds.dirs[state], data)
        damage = self.damage(data, kind, state, rng)
        keep = os.environ.get("TOPICFS_INTEGRITY_KEEP")  # a directory: copies of the damaged data
        if keep:
            shutil.rmtree(os.path.join(keep, f"trial-{n}"), ignore_errors=True)
            copy_tree(data, os.path.join(keep, f"trial-{n}"))
            sys.stderr.write(f"  trial {n}: {damage}: a copy in {keep}/trial-{n}\n")
        starts = self._starts
        try:
            try:
                self.mount(data)
            except AssertionError as e:
                # Known bug: the group positions' load fails the mount; the
                # next start has the damaged batch cut and mounts.
                self.bug(KB_GROUP_LOAD, damage.kind == "consumer-offsets-segment"
                         and "cannot load consumer group positions" in str(e), f"the mount failed: {e}")
                self.mount(data)
            first = self.check_mount(damage, state, repaired=False)
            log = self.daemon.log()
            self.unmount("first mount", damage)
            self.mount(data)
            second = self.check_mount(damage, state, repaired=True)
            log += self.daemon.log()
            self.unmount("second mount", damage)
            self.check_repair(data, damage, first, second, log)
        except AssertionError as e:
            raise AssertionError(f"{damage}: {e}\n----- daemon log -----\n{self.daemon.log()[-6000:]}")
        # Passed: its logs go (teardown prints only those of what failed).
        for i in range(starts + 1, self._starts + 1):
            try:
                os.remove(os.path.join(self.tmp, f"daemon-{i}.log"))
            except OSError:
                pass
        shutil.rmtree(data)
        return self.outcome(damage, first, second)

    def outcome(self, damage, first, second):
        if damage.kind in ("topic-config", "defaults"):
            if damage.config_topic == "__consumer_offsets":
                return "internal topic (read-only anyway)"
            if not damage.topics_read_only:
                return "checksum line's text damaged: read as before"
            return "read-only" if first["read_only"] else "writable (read as is)"
        parts = []
        if first["eio"]:
            parts.append("EIO")
        if first["lost"]:
            parts.append("cut at the first mount")
        elif second["lost"]:
            parts.append("cut at the second mount")
        return ", ".join(parts) or "nothing lost"

    # -- damaging

    def damage(self, data, kind, state, rng):
        ds = self.ds
        if kind in ("segment-header", "record-bytes", "segment-truncate", "consumer-offsets-segment"):
            return self.damage_segment(data, kind, state, rng)
        if kind in ("index", "timeindex"):
            candidates = []
            for part in DataSet.DATA_PARTITIONS:
                pdir = os.path.join(data, DataSet.dir_name(part))
                for s in segment_files(pdir):
                    name = os.path.join(pdir, s[:-4] + "." + kind)
                    if os.path.exists(name) and os.path.getsize(name) > 0:
                        candidates.append(name)
            path = rng.choice(candidates)
        elif kind == "recovery-point-checkpoint":
            path = os.path.join(data, "recovery-point-offset-checkpoint")
        elif kind == "log-start-checkpoint":
            path = os.path.join(data, "log-start-offset-checkpoint")
        elif kind == "cleaner-checkpoint":
            path = os.path.join(data, "cleaner-offset-checkpoint")
        elif kind == "checkpoint-crc32c":
            path = os.path.join(data, rng.choice(["recovery-point-offset-checkpoint", "log-start-offset-checkpoint",
                                                  "cleaner-offset-checkpoint"]) + ".crc32c")
        elif kind == "topic-config":
            topic = rng.choice(["plain", "seg", "kv", "__consumer_offsets"])
            path = os.path.join(data, topic + ".conf")
        elif kind == "defaults":
            path = os.path.join(data, "topicfs-defaults.properties")
        elif kind == "clean-shutdown-marker":
            path = os.path.join(data, ".kafka_cleanshutdown")
        else:
            raise AssertionError(f"unknown kind {kind}")
        self.assertTrue(os.path.isfile(path), f"{kind}: {path} does not exist in the {state} state")
        with open(path, "rb") as f:
            original = f.read()
        content = bytearray(original)
        choice = rng.random()
        rel = os.path.relpath(path, data)
        if kind == "clean-shutdown-marker" and choice < 0.34:
            os.remove(path)
            return Damage(kind, "remove", rel, "removed")
        if choice < 0.6 and content:
            where = rng.sample(range(len(content)), min(len(content), rng.randint(1, 3)))
            for at in where:
                content[at] ^= rng.randint(1, 255)
            d = Damage(kind, "flip", rel, f"bytes {sorted(where)} of {len(content)}")
        else:
            at = rng.randrange(len(content)) if content else 0
            del content[at:]
            d = Damage(kind, "truncate", rel, f"to {at} of {len(original)} bytes")
        with open(path, "wb") as f:
            f.write(content)
        if kind in ("topic-config", "defaults"):
            # The store checks a config against its last line only when
            # that is a whole "# crc32c=<8 hex>" line (store/checksum_line.cc);
            # without one the file is read as it is (docs/format.md).
            body = original[:original.rindex(b"# crc32c=")]
            body_intact = bytes(content[:len(body)]) == body
            tail = bytes(content[-18:])
            d.config_checked = len(content) >= 18 and tail.startswith(b"# crc32c=") and tail.endswith(b"\n")
            d.config_as_is = not d.config_checked and not body_intact
            affected = {"plain", "seg", "kv"} if kind == "defaults" else {topic} - {"__consumer_offsets"}
            if d.config_checked or d.config_as_is:
                d.topics_read_only = affected
            else:  # only the checksum line's text: read as before, or refused
                d.topics_maybe_read_only = affected
            d.config_topic = None if kind == "defaults" else topic
        return d

    def damage_segment(self, data, kind, state, rng):
        ds = self.ds
        if kind == "consumer-offsets-segment":
            part = rng.choice([p for p in ds.partitions(state) if p.startswith("__consumer_offsets/")])
        else:
            part = rng.choice(DataSet.DATA_PARTITIONS)
        pdir = os.path.join(data, DataSet.dir_name(part))
        all_segs = segment_files(pdir)
        segs = [s for s in all_segs if os.path.getsize(os.path.join(pdir, s)) > 0]
        seg = rng.choice(segs)
        path = os.path.join(pdir, seg)
        with open(path, "rb") as f:
            content = bytearray(f.read())
        batches = parse_log(bytes(content), seg)
        rel = os.path.relpath(path, data)
        if kind == "segment-truncate" or (kind == "consumer-offsets-segment" and rng.random() < 0.3):
            at = rng.randrange(len(content))
            hit = [b for b in batches if b.position + b.size > at]
            d = Damage(kind, "truncate", rel, f"to {at} of {len(content)} bytes")
            d.zero_tail = not any(content[hit[0].position:at])
            del content[at:]
        else:
            batch = rng.choice(batches)
            if kind == "segment-header":
                lo, hi = batch.position, batch.position + HEADER_SIZE
            elif kind == "record-bytes":
                lo, hi = batch.position + HEADER_SIZE, batch.position + batch.size
            else:
                lo, hi = batch.position, batch.position + batch.size
            where = rng.sample(range(lo, hi), min(hi - lo, rng.randint(1, 3)))
            for at in where:
                content[at] ^= rng.randint(1, 255)
            hit = [batch]
            offsets = sorted(p - batch.position for p in where)
            d = Damage(kind, "flip", rel, f"bytes {offsets} of the batch at {batch.position} "
                                          f"({batch.size} bytes, base offset {batch.base_offset})")
            d.fields = header_fields(offsets)
        with open(path, "wb") as f:
            f.write(content)
        d.partition = part
        d.segment = seg
        d.batch_position = hit[0].position
        d.later_segment = any(os.path.getsize(os.path.join(pdir, s)) > 0 for s in all_segs if s > seg)
        d.damaged_bytes = bytes(content)
        hit_keys = {(seg, b.position) for b in hit}
        recs = ds.records[state][part]
        d.lost = {i for i, r in enumerate(recs) if (r.segment, r.batch_position) in hit_keys}
        d.last_batch = bool(recs) and (len(recs) - 1) in d.lost
        return d

    # -- reading

    def cmd(self, *args):
        return run(list(args), cwd=self.mnt)

    def frame_errors(self, part, log=None):
        """Read and lookup errors the daemon logged for part that are not a
        withheld batch: the damage broke the batch's frame."""
        pattern = re.compile(rf"\] (read|lookup) {re.escape(part)}(@\S*)? ")
        return [l for l in (log if log is not None else self.daemon.log()).splitlines()
                if pattern.search(l) and "is damaged and withheld" not in l]

    def check_mount(self, damage, state, repaired):
        """Reads every partition with cat, cat <p>@-5, cat <p>@-7d,
        tail -n 3 and pread at sampled records, and checks what they
        return; returns what was seen."""
        ds = self.ds
        records = ds.records[state]
        when = "second mount" if repaired else "first mount"
        seen = {"eio": False, "lost": set(), "read_only": False}
        hidden = set()
        config_as_is = damage.config_as_is
        self.assertEqual(sorted(os.listdir(self.mnt)), ["__consumer_offsets", "kv", "plain", "seg"], when)
        for topic in ("plain", "seg", "kv", "__consumer_offsets"):
            expected = sorted(p.split("/")[1] for p in ds.partitions(state) if p.startswith(topic + "/"))
            listed = set(os.listdir(self.path(topic)))
            if not set(expected) <= listed:
                # Known bug: a config read as is without its partitions line.
                self.bug(KB_CONFIG_AS_IS, config_as_is and damage.config_topic == topic,
                         f"{when}: ls {topic} shows {sorted(listed)}, partitions {expected} hold records")
                hidden |= {f"{topic}/{p}" for p in expected if p not in listed}
        for part in ds.partitions(state):
            if part not in hidden:
                self.check_partition(part, records[part], damage, state, repaired, seen)
        if not (config_as_is and damage.config_topic == "__consumer_offsets"):
            self.check_groups(damage, state, when, hidden)
        seen["read_only"] = self.check_writable(damage, when, config_as_is)
        self.assertIsNone(self.daemon.proc.poll(), f"{when}: the daemon died")
        return seen

    def check_partition(self, part, recs, damage, state, repaired, seen):
        when = "second mount" if repaired else "first mount"
        where = f"{when}: {part}"
        damaged = part == damage.partition
        lost = damage.lost if damaged else set()
        def frame():  # asked when a check fails: the daemon logs as the reads go
            return damaged and bool(self.frame_errors(part) or damage.fields & FRAME_FIELDS)
        base_offset = damaged and "base offset" in damage.fields
        try:
            st = os.stat(self.path(*part.split("/")))
        except OSError as e:
            raise AssertionError(f"{where}: stat failed: {e} (offline?)")

        # cat: only records written there, in order; a failure is EIO.
        rc, out, err = self.cmd("cat", part)
        if rc != 0:
            self.assertTrue(damaged, f"{where}: cat failed on a partition whose files are intact: {err}")
            if EIO_TEXT not in err:
                self.bug(KB_FRAME, frame(), f"{where}: cat failed with something other than EIO: {err}")
            if repaired:
                self.bug(KB_FRAME, frame(), f"{where}: cat still fails after the repair: {err}")
            seen["eio"] = True
        self.assertTrue(out == b"" or out.endswith(b"\n") or part.startswith("__"),
                        f"{where}: cat ends inside a record: {out[-60:]!r}")
        try:
            got = match_records(out, recs)
        except AssertionError as e:
            raise AssertionError(f"{where}: cat: {e}")
        missing = set(range(len(recs) if rc == 0 else (max(got) + 1 if got else 0))) - set(got)
        if rc != 0 and lost:
            # Every good byte before the damaged batch comes first.
            missing |= set(range(min(lost))) - set(got)
        if not missing <= lost:
            extra = missing - lost
            # Known bug: a read request spanning segments goes on in the
            # next segment after the good bytes before a withheld batch
            # (skipping the rest of its segment), or, when the withheld
            # batch is the first of its segment, fails and drops the bytes
            # it had from the segments before.
            cross = damaged and all(
                (recs[i].segment == damage.segment and recs[i].batch_position > damage.batch_position
                 and damage.later_segment) or (recs[i].segment < damage.segment and damage.batch_position == 0)
                for i in extra)
            # Known bug: after a base offset flipped upwards, recovery cuts
            # the intact batches after it, or sets the whole segment aside.
            aside = base_offset and all(recs[i].segment == damage.segment for i in extra) and (
                os.path.exists(os.path.join(self.data, DataSet.dir_name(part), damage.segment + ".unreadable"))
                or all(recs[i].batch_position > damage.batch_position for i in extra))
            self.bug(KB_BASE_OFFSET if aside else KB_CROSS_SEGMENT if cross else KB_FRAME, aside or cross or frame(),
                     f"{where}: cat (exit {rc}) left out records of intact batches: "
                     f"{[recs[i].data[:50] for i in sorted(extra)[:4]]} ({len(extra)} of them)")
        if rc == 0:
            seen["lost"] |= missing
        elif not repaired:
            self.check_read_past(part, recs, got, damage, where, frame())

        # Views and tail: the same records, or EIO.
        views = [("cat", part + "@-5"), ("cat", part + "@-7d")]
        if not part.startswith("__"):
            views.append(("tail", "-n", "3", part))
        for args in views:
            vrc, vout, verr = self.cmd(*args)
            what = f"{where}: {' '.join(args)}"
            if vrc != 0:
                if ENOENT_TEXT in verr and args[0] == "cat":
                    # Known bug: the view's lookup met the damaged batch.
                    self.bug(KB_VIEW_ENOENT, damaged and re.search(
                        rf"lookup {re.escape(args[1])}: .*: ENOENT", self.daemon.log()), f"{what}: {verr}")
                elif EIO_TEXT not in verr:
                    self.bug(KB_FRAME, frame(), f"{what} failed with something other than EIO: {verr}")
                if not damaged:
                    raise AssertionError(f"{what} failed on a partition whose files are intact: {verr}")
                if repaired:
                    self.bug(KB_FRAME, frame(), f"{what} still fails after the repair: {verr}")
                seen["eio"] = True
            try:
                vgot = match_records(vout, recs)
            except AssertionError as e:
                raise AssertionError(f"{what}: {e}")
            if vrc == 0:
                # What cat showed, or every record but the damaged batch's,
                # or every record (the damage changed nothing they read).
                n = 5 if args[1].endswith("@-5") else 3 if args[0] == "tail" else len(recs)
                ideal = [i for i in range(len(recs)) if i not in lost]
                accepted = [ideal[-n:], list(range(len(recs)))[-n:]] + ([got[-n:]] if rc == 0 else [])
                if vgot not in accepted:
                    gap = damaged and args[0] == "tail" and any(
                        recs[i].offset >= st.st_size - 16384 for i in set(range(len(recs))) - set(got))
                    self.bug(KB_TAIL_GAP if gap else KB_BASE_OFFSET, gap or base_offset,
                             f"{what}: {[recs[i].data[:40] for i in vgot]}, not {[recs[i].data[:40] for i in accepted[0]]}")

        # Positioned reads at sampled records: the record itself, or, where
        # it was damaged, EIO or what follows it.
        rng = random.Random(f"{part} {when}")  # the same records on every run
        sample = set(rng.sample(range(len(recs)), min(len(recs), 6)))
        if lost:
            sample |= {i for i in (min(lost) - 1, min(lost), max(lost) + 1) if 0 <= i < len(recs)}
        for i in sorted(sample):
            rec = recs[i]
            # A descriptor of its own: a pread where the last read on the
            # descriptor stopped continues that read, wherever it got to
            # (fs/filesystem.cc ReadOffset), which is not rec.offset once
            # records are missing in between.
            fd = os.open(self.path(*part.split("/")), os.O_RDONLY)
            try:
                try:
                    at = os.pread(fd, len(rec.data), rec.offset)
                except OSError as e:
                    if e.errno != errno.EIO:
                        self.bug(KB_FRAME, frame(), f"{where}: pread at {rec.offset}: {e}")
                    if i not in lost or repaired:
                        # A damaged base offset makes the scan for an
                        # earlier record skip it and land in the damaged batch.
                        self.bug(KB_BASE_OFFSET if base_offset and not frame() else KB_FRAME, frame() or base_offset,
                                 f"{where}: pread at {rec.offset} ({rec.data[:40]!r}): {e}")
                    seen["eio"] = True
                    continue
            finally:
                os.close(fd)
            if at == rec.data:
                continue

            def stream(j):  # what a read returns from record j on, up to len(at) bytes
                out = b""
                while j < len(recs) and len(out) < len(at):
                    out += recs[j].data
                    j += 1
                return out[:len(at)]
            # Where records were removed, a read continues at the next one left.
            survivor = next((j for j in range(i + 1, len(recs)) if j not in lost), len(recs))
            if i in lost and stream(survivor) == at:
                continue
            # A damaged base offset shifts where its batch's bytes are served.
            later = at in b"".join(r.data for r in recs[i + 1:]) or base_offset and at in b"".join(
                r.data for r in recs)
            self.bug(KB_BASE_OFFSET, base_offset and later,
                     f"{where}: pread at {rec.offset} returned {at[:50]!r}, not {rec.data[:50]!r}")

        figures = self.figures(part)
        if seen["eio"] and damaged and figures["withheld_batches"] < 1:
            self.bug(KB_FRAME, frame(), f"{where}: reads failed EIO, yet withheld_batches is 0")
        if not damaged or repaired:
            self.assertEqual(figures["withheld_batches"], 0, f"{where}: withheld_batches")
        self.assertEqual(st.st_size, figures["log_end_offset"], f"{where}: st_size vs log_end_offset")
        golden_size = self.ds.sizes[state][part]
        if st.st_size != golden_size and not (damage.last_batch and damaged and st.st_size < golden_size):
            self.bug(KB_BASE_OFFSET, base_offset, f"{where}: st_size {st.st_size}, was {golden_size}")
        if not damaged:
            self.assertEqual(got, list(range(len(recs))), f"{where}: an intact partition lost records")
        silent = lost & missing if rc == 0 and not seen["eio"] else set()
        if silent and not damage.zero_tail:
            # Records gone without an EIO: only a cut may take them (their
            # bytes in a side file), never a read that skips them.
            pdir = os.path.join(self.data, DataSet.dir_name(part))
            if not side_files(pdir, ".corrupt"):
                unchecked = not figures["withheld_batches"] and damage.fields & {"attributes", "records count"}
                aside = bool(side_files(pdir, ".unreadable"))
                self.bug(KB_UNCHECKED_SKIP if unchecked else KB_BASE_OFFSET if aside else KB_CROSS_SEGMENT,
                         unchecked or (aside and base_offset) or (figures["withheld_batches"] > 0 and damage.later_segment),
                         f"{where}: records of the damaged batch are missing without an EIO and no .corrupt "
                         f"file holds them: {[recs[i].data[:40] for i in sorted(silent)[:3]]}")

    def check_read_past(self, part, recs, got, damage, where, frame):
        """After cat stopped at EIO: a read that starts at the first record
        after the damaged batch returns records written there, in order, and
        (the frame intact) at least that record."""
        if not damage.lost or max(damage.lost) + 1 >= len(recs):
            return
        nxt = max(damage.lost) + 1
        fd = os.open(self.path(*part.split("/")), os.O_RDONLY)
        out = b""
        try:
            os.lseek(fd, recs[nxt].offset, os.SEEK_SET)
            while True:
                chunk = os.read(fd, 1 << 19)
                if not chunk:
                    break
                out += chunk
        except OSError as e:
            if e.errno != errno.EIO:
                self.bug(KB_FRAME, frame, f"{where}: reading on after the damage: {e}")
        finally:
            os.close(fd)
        try:
            match_records(out, recs[nxt:])
        except AssertionError as e:
            raise AssertionError(f"{where}: reading on at offset {recs[nxt].offset}: {e}")
        if not out.startswith(recs[nxt].data):
            self.bug(KB_FRAME if frame else KB_BASE_OFFSET, frame or "base offset" in damage.fields,
                     f"{where}: a read at {recs[nxt].offset}, after the damaged batch, returned "
                     f"{out[:50]!r}, not {recs[nxt].data[:50]!r}")

    def check_groups(self, damage, state, when, hidden):
        for (group, part), history in self.ds.commits[state].items():
            try:
                value = int(self.xattr(part, "group." + group))
            except OSError as e:
                self.assertEqual(damage.kind, "consumer-offsets-segment", f"{when}: group {group} on {part}: {e}")
                continue
            if damage.kind == "consumer-offsets-segment":
                self.assertIn(value, history, f"{when}: group {group} on {part}: an offset never committed")
            else:
                self.assertEqual(value, history[-1], f"{when}: group {group} on {part}")

    def check_writable(self, damage, when, config_as_is):
        """Opens partition 0 of each topic for appending (and closes it
        without writing): EROFS where the config is damaged. Returns whether
        every topic expected read-only was."""
        read_only = True
        for topic in ("plain", "seg", "kv"):
            try:
                os.close(os.open(self.path(topic, "0"), os.O_WRONLY | os.O_APPEND))
                writable = True
            except OSError as e:
                self.assertEqual(e.errno, errno.EROFS, f"{when}: opening {topic}/0 for appending: {e}")
                writable = False
            if topic in damage.topics_read_only:
                if writable:
                    self.bug(KB_CONFIG_AS_IS, config_as_is, f"{when}: {topic} is writable with a damaged config")
                    read_only = False
                else:
                    self.assertRegex(self.daemon.log(), rf"{re.escape(damage.path)}.*damaged|read-only",
                                     f"{when}: the log does not say why {topic} is read-only")
            elif topic not in damage.topics_maybe_read_only:
                self.assertTrue(writable, f"{when}: {topic} is read-only, its config intact")
        return read_only

    def check_repair(self, data, damage, first, second, log):
        """After the second mount: what was withheld or cut went into side
        files holding exactly the damaged bytes; nothing was set aside as
        unreadable."""
        for name in os.listdir(data):
            full = os.path.join(data, name)
            if os.path.isdir(full) and side_files(full, ".unreadable"):
                # Known bug: a base offset flipped upwards makes the batches
                # after it look like another Kafka's, and the whole segment
                # goes aside.
                self.bug(KB_BASE_OFFSET, damage.partition and name == DataSet.dir_name(damage.partition)
                         and "base offset" in damage.fields and "set aside" in log,
                         f"{name}: set aside as unreadable: {side_files(full, '.unreadable')}")
        if damage.partition is None:
            return
        pdir = os.path.join(data, DataSet.dir_name(damage.partition))
        corrupt = side_files(pdir, ".corrupt")
        if (first["eio"] or second["lost"]) and not corrupt and not (damage.zero_tail and not first["eio"]):
            frame = bool(self.frame_errors(damage.partition, log))
            unchecked = bool(damage.fields & {"attributes", "records count"}) and not first["eio"]
            aside = bool(side_files(pdir, ".unreadable")) and "base offset" in damage.fields
            self.bug(KB_UNCHECKED_SKIP if unchecked else KB_BASE_OFFSET if aside else KB_FRAME,
                     frame or unchecked or aside,
                     f"{'reads failed EIO' if first['eio'] else 'records went'}, yet no .corrupt file "
                     f"in {pdir} after the second mount")
        for name in corrupt:
            m = re.fullmatch(r"(\d{20}\.log)\.(\d+)(-\d+)?\.corrupt", name)
            self.assertIsNotNone(m, name)
            self.assertEqual(m.group(1), damage.segment, f"{name}: a cut in a segment that was not damaged")
            with open(os.path.join(pdir, name), "rb") as f:
                cut = f.read()
            at = int(m.group(2))
            self.assertEqual(cut, damage.damaged_bytes[at:at + len(cut)],
                             f"{name} does not hold the bytes at {at} of the damaged segment")
            self.assertIn(name, log, f"the log does not name {name}")


# ---- kill -9 while the cleaner compacts ----------------------------------------------

# Appends "key:value" lines to a compacted partition, 1-6 lines per write(2),
# forever; before each write it logs "try <lines>", after it returned "ok".
# Values carry a sequence number, so every line is unique; 1 line in 20 is a
# tombstone ("key:"). Keys are w<writer>k<nn>: each writer has its own.
KEY_WRITER = r"""
import os, random, sys, time
path, progress_path, wid, seq, seed, keys = sys.argv[1:7]
wid, seq, keys, rng = int(wid), int(seq), int(keys), random.Random(int(seed))
fd = os.open(path, os.O_WRONLY | os.O_APPEND)
progress = os.open(progress_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
while True:
    lines = []
    for _ in range(rng.randint(1, 6)):
        key = "w%dk%02d" % (wid, rng.randrange(keys))
        lines.append(key + ":" if rng.random() < 0.05 else "%s:%09d-%s" % (key, seq, "x" * rng.randrange(40)))
        seq += 1
    os.write(progress, ("try %d " % (seq - len(lines)) + " ".join(lines) + "\n").encode())
    os.write(fd, "".join(l + "\n" for l in lines).encode())  # raises once the daemon is gone
    os.write(progress, b"ok\n")
    time.sleep(rng.uniform(0.001, 0.008))  # a few hundred writes a second: the cleaner keeps up
"""


class CompactionCrashLoopTest(MountedTestCase):
    """kill -9 at random moments while two writers update keys of a
    compacted topic (segment.bytes 2048, min.cleanable.dirty.ratio 0.01) and
    the cleaner runs every 100 ms; after each remount, every key's last line
    in cat is its latest acknowledged one (or one of the write that was in
    flight at the kill), every line is one written, in write order.
    TOPICFS_COMPACTION_CRASH_CYCLES sets the number of kills (20)."""

    daemon_args = BUSY_CLEANER_ARGS
    daemon_start_timeout = 30.0
    WRITERS = 2
    KEYS = 20

    def setUp(self):
        super().setUp()
        self.mkdir("c")
        self.sh("setfattr -n user.topicfs.key.separator -v : c && "
                "setfattr -n user.topicfs.cleanup.policy -v compact c && "
                "setfattr -n user.topicfs.internal.segment.bytes -v 2048 c && "
                "setfattr -n user.topicfs.min.cleanable.dirty.ratio -v 0.01 c")
        self.writes = []  # (writer, first seq, [lines], acknowledged)
        self.next_seq = {w: 0 for w in range(self.WRITERS)}

    def run_writers_and_kill(self, cycle, rng):
        """Starts the writers, SIGKILLs the daemon after a random while,
        collects what each writer tried and had acknowledged. Returns
        whether a cleaning was under way (a .cleaned or .swap file)."""
        procs, paths = [], []
        for w in range(self.WRITERS):
            paths.append(os.path.join(self.tmp, f"progress-{cycle}-{w}"))
            procs.append(subprocess.Popen(
                [sys.executable, "-c", KEY_WRITER, self.path("c", "0"), paths[-1], str(w),
                 str(self.next_seq[w]), str(rng.getrandbits(32)), str(self.KEYS)],
                stderr=subprocess.DEVNULL))
        try:
            time.sleep(rng.uniform(0.3, 1.5))
            for p in procs:
                self.assertIsNone(p.poll(), "a writer stopped before the kill")
            self.daemon.kill9()
            cleaning = any(n.endswith((".cleaned", ".swap")) for n in os.listdir(os.path.join(self.data, "c-0")))
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        for w, path in enumerate(paths):
            with open(path) as f:
                events = f.read().split("\n")
            for i, event in enumerate(events):
                if event.startswith("try "):
                    fields = event.split(" ")
                    first, lines = int(fields[1]), fields[2:]
                    acked = i + 1 < len(events) and events[i + 1] == "ok"
                    self.writes.append((w, first, lines, acked))
                    self.next_seq[w] = first + len(lines)
        return cleaning

    def check_keys(self, when):
        """cat c/0 against every write so far."""
        for _ in range(50):  # the cleaner runs meanwhile: a figure and a read that agree in time
            records = int(self.xattr("c/0", "records"))
            out = self.read("c", "0").decode()
            if int(self.xattr("c/0", "records")) == records:
                break
        self.assertEqual(records, out.count("\n"), f"{when}: the records figure vs the lines cat shows")
        self.assertTrue(out == "" or out.endswith("\n"), f"{when}: cat ends inside a line")
        shown = out.split("\n")[:-1]
        # Every line written (or in flight), with its sequence number.
        written = {}  # line -> [seq, ...] (a tombstone may be written many times)
        latest_acked = {}  # key -> seq of its latest acknowledged line
        for w, first, lines, acked in self.writes:
            for i, line in enumerate(lines):
                written.setdefault(line, []).append(first + i)
                if acked:
                    key = line.split(":", 1)[0]
                    latest_acked[key] = max(latest_acked.get(key, -1), first + i)
        last_seq = {}  # key -> seq of the last value line shown
        last_line = {}
        for line in shown:
            self.assertIn(line, written, f"{when}: cat shows a line never written: {line!r}")
            key, _, value = line.partition(":")
            if value:
                seq = written[line][0]
                self.assertGreater(seq, last_seq.get(key, -1), f"{when}: {key}'s lines out of order")
                last_seq[key] = seq
            last_line[key] = line
        for key, acked_seq in latest_acked.items():
            line = last_line.get(key)
            self.assertIsNotNone(line, f"{when}: key {key} is gone; its latest acknowledged line has seq {acked_seq}")
            self.assertTrue(any(s >= acked_seq for s in written[line]),
                            f"{when}: {key} shows {line!r}, older than its latest acknowledged line (seq {acked_seq})")
        part = os.path.join(self.data, "c-0")
        self.assertEqual([n for n in os.listdir(part) if n.endswith(".unreadable")], [], f"{when}: set aside")
        self.assertEqual(os.stat(self.path("c", "0")).st_size, int(self.xattr("c/0", "log_end_offset")))
        return len(shown)

    def test_kill_9_during_compaction_keeps_every_keys_latest_acknowledged_line(self):
        cycles = int(os.environ.get("TOPICFS_COMPACTION_CRASH_CYCLES", "20"))
        seed = SEED
        rng = random.Random(seed)
        started = time.monotonic()
        during_cleaning = 0
        corrupt_cuts = 0
        for cycle in range(cycles):
            during_cleaning += self.run_writers_and_kill(cycle, rng)
            t0 = time.monotonic()
            self.start_daemon()
            if os.environ.get("TOPICFS_DEBUG"):
                sys.stderr.write(f"cycle {cycle}: mount {time.monotonic() - t0:.2f}s, {len(self.writes)} writes, "
                                 f"{len(os.listdir(os.path.join(self.data, 'c-0')))} files\n")
            corrupt_cuts += self.daemon.log().count("recovery cut")
            shown = self.check_keys(f"after kill {cycle + 1} (seed {seed})")
        acked_lines = sum(len(lines) for _, _, lines, acked in self.writes if acked)
        self.remount()
        shown = self.check_keys("after a clean remount")
        records = int(self.xattr("c/0", "records"))
        self.assertLess(records, acked_lines // 2, "the cleaner hardly compacted anything")
        sys.stderr.write(f"\n  {cycles} kills in {time.monotonic() - started:.1f}s (seed {seed}): "
                         f"{len(self.writes)} writes, {acked_lines} lines acknowledged, {records} records left, "
                         f"{shown} lines shown; {during_cleaning} kills with a .cleaned or .swap file present, "
                         f"{corrupt_cuts} recoveries that cut bytes ... ")


if __name__ == "__main__":
    main()
