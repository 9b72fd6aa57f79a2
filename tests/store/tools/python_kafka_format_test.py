#!/usr/bin/python3
"""Independent check of topicfs's on-disk format with Debian's python3-kafka.

Usage: python_kafka_format_test.py <path to segment_tool>

Kafka's own record parser, as shipped by another implementation, must read
what the store writes, and the store must read what that implementation
writes (docs/contract.md: "Storage layout", "One coordinate", "Framing").

  store -> python  segment_tool writes lines (empty, UTF-8, binary-ish, keyed
                   with a separator, tombstones) through LogManager into a
                   topic with a small segment.bytes and max.message.bytes.
                   Every .log file is parsed with python3-kafka
                   (MemoryRecords, DefaultRecordBatch): magic 2, CRC-32C,
                   header fields, offsets following the one-coordinate rule,
                   keys, values, headers, timestamps, file names; the
                   .index/.timeindex entries and the checkpoints/clean-shutdown
                   marker are checked against Kafka's layout.
  python -> store  DefaultRecordBatchBuilder builds two segments of batches
                   whose offsets follow the one-coordinate rule, dropped in as
                   a bare Kafka partition directory (no indexes, checkpoints
                   or marker). segment_tool read must recover it, present the
                   same records and bytes, and rebuild the indexes.
  cleaner -> python
                   segment_tool writes keyed lines and tombstones to a
                   compacted topic with small segments, `segment_tool clean`
                   runs the log cleaner (fake clock), and every .log is parsed
                   again: magic 2, CRC-32C, offsets increasing, exactly the
                   latest record per key below the cleaner's checkpoint (plus
                   everything above it), tombstone batches stamped with the
                   delete-horizon bit (0x40) and BaseTimestamp = the horizon,
                   the indexes, cleaner-offset-checkpoint, and what the store
                   presents. A second write + clean past delete.retention.ms
                   drops the tombstones the first cleaning kept.
  groups -> python segment_tool groups commits and forgets consumer-group
                   positions (GroupOffsets); every __consumer_offsets-<p>
                   segment is parsed with python3-kafka: each commit is one
                   record in partition abs(Java hashCode(group)) % 50 (computed
                   here over UTF-16 code units), key = OffsetCommitKey v1,
                   value = OffsetCommitValue v3 (24 bytes, empty metadata,
                   leader epoch -1), a forget a null-value tombstone, offsets
                   following the one-coordinate rule (value + "\n", key + "\n").

Exit status 0 when every check passes. The data is random from a fixed seed;
SEED=<n> in the environment picks another one (the seed is printed).
"""

import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import traceback

import kafka
from kafka.errors import CorruptRecordException
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
from kafka.record.memory_records import MemoryRecords
from kafka.record.util import calc_crc32c

SEP_HEADER = "topicfs.sep"
DELETE_HORIZON_BIT = 0x40  # Kafka's RecordBatch.DELETE_HORIZON_FLAG_MASK (KIP-534)
HEADER = DefaultRecordBatch.HEADER_STRUCT  # the 61-byte v2 batch header
assert HEADER.size == 61
CLOCK_START = 1764064800000  # 2025-11-25T10:00:00Z


class CheckFailed(Exception):
    pass


def check(cond, message):
    if not cond:
        raise CheckFailed(message)


def check_eq(actual, expected, what):
    if actual != expected:
        raise CheckFailed("{}: got {!r}, want {!r}".format(what, short(actual), short(expected)))


def short(v):
    """Long byte strings cut for failure messages."""
    if isinstance(v, (bytes, bytearray)) and len(v) > 80:
        return bytes(v[:80]) + b"..."
    return v


# ---- segment_tool -----------------------------------------------------------

def run_tool(tool, args, stdin=b""):
    p = subprocess.run([tool] + args, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        raise CheckFailed("segment_tool {} failed ({}): {}".format(
            " ".join(args[:1]), p.returncode, p.stderr.decode(errors="replace").strip()))
    return [json.loads(line) for line in p.stdout.decode().splitlines() if line]


def unhex(v):
    return None if v is None else bytes.fromhex(v)


def tool_read(tool, data_dir, topic, partition=0):
    """Runs `segment_tool read` and splits its JSON lines by kind."""
    out = {"warnings": [], "segments": [], "batches": [], "records": []}
    for row in run_tool(tool, ["read", data_dir, topic, str(partition)]):
        if "warning" in row:
            out["warnings"].append(row["warning"])
        elif "segment" in row:
            out["segments"].append(row)
        elif "batch" in row:
            out["batches"].append(row)
        elif "record" in row:
            headers = [(bytes.fromhex(k).decode("utf-8"), unhex(v)) for k, v in row["headers"]]
            out["records"].append((row["record"], row["timestamp"], unhex(row["key"]),
                                   unhex(row["value"]), headers))
        elif "presented" in row:
            out["presented"] = bytes.fromhex(row["presented"])
        elif "log_end_offset" in row:
            out["figures"] = row
    return out


# ---- what the store should make of lines ------------------------------------

def expected_records(lines, separator, timestamps, start_offset=0):
    """(offset, timestamp, key, value, headers) per line (docs/contract.md, "Framing")."""
    out = []
    offset = start_offset
    for line, ts in zip(lines, timestamps):
        key, value, headers = None, line, []
        if separator:
            at = line.find(separator)
            if at >= 0:
                # Split as Kafka's console producer splits (parse.key=true);
                # the separator kept in a header for the presentation.
                key, headers = line[:at], [(SEP_HEADER, separator)]
                value = line[at + len(separator):] if at + len(separator) < len(line) else None
        out.append((offset, ts, key, value, headers))
        offset += len(line) + 1
    return out, offset


def presented(record):
    _, _, key, value, headers = record
    sep = dict(headers).get(SEP_HEADER)
    if value is not None and sep is None:
        return value + b"\n"
    return (key or b"") + (sep or b"") + (value or b"") + b"\n"


# ---- reading a partition directory with python3-kafka -----------------------

def segment_files(part_dir, suffix):
    names = sorted(n for n in os.listdir(part_dir) if n.endswith(suffix))
    for n in names:
        check(len(n) == 20 + len(suffix) and n[:20].isdigit(),
              "{}: not a 20-digit base-offset file name".format(n))
    return [(int(n[:20]), os.path.join(part_dir, n)) for n in names]


def parse_segment(path, base, max_batch_bytes=None, cleaned=False, client_shape=False):
    """Parses one .log file with python3-kafka; returns its batches as dicts.

    cleaned: the segment may hold the log cleaner's output, as Kafka's
    cleaner writes it: batches keep their BaseOffset and LastOffsetDelta
    while records inside are gone (the first record may sit above the base,
    the last below base + LastOffsetDelta, and the last batch of a cleaning
    round may be empty), and a batch holding a kept tombstone carries the
    delete-horizon attribute bit (0x40) with BaseTimestamp = the horizon.

    client_shape: batches as a Kafka client builds them (and topicfs did
    before its one-end rule): LastOffsetDelta is the last record's delta,
    not the batch's presented end - 1."""
    with open(path, "rb") as f:
        data = f.read()
    name = os.path.basename(path)

    # MemoryRecords frames the file as a consumer would: every byte must be
    # part of a whole batch.
    mr = MemoryRecords(data)
    via_memory_records = 0
    while mr.has_next():
        b = mr.next_batch()
        check(isinstance(b, DefaultRecordBatch),
              "{}: batch {} is {}, not a v2 DefaultRecordBatch".format(name, via_memory_records,
                                                                       type(b).__name__))
        via_memory_records += 1
    check_eq(mr.valid_bytes(), len(data), "{}: bytes in whole batches".format(name))

    batches = []
    pos = 0
    while pos < len(data):
        check(len(data) - pos >= HEADER.size, "{}: {} trailing bytes at {}".format(
            name, len(data) - pos, pos))
        (base_offset, length, leader_epoch, magic, crc, attributes, last_offset_delta,
         first_ts, max_ts, producer_id, producer_epoch, base_sequence,
         count) = HEADER.unpack_from(data, pos)
        size = length + 12
        where = "{} batch at position {} (base offset {})".format(name, pos, base_offset)
        check(pos + size <= len(data), where + ": runs past the end of the file")
        raw = data[pos:pos + size]
        batch = DefaultRecordBatch(raw)
        check_eq(batch.magic, 2, where + ": magic")
        check(batch.validate_crc(), where + ": CRC-32C mismatch (stored {:#010x}, computed {:#010x})"
              .format(crc, calc_crc32c(raw[DefaultRecordBatch.ATTRIBUTES_OFFSET:])))
        check_eq(batch.compression_type, 0, where + ": compression codec")
        check_eq(batch.timestamp_type, DefaultRecordBatch.CREATE_TIME, where + ": timestamp type")
        check(not batch.is_transactional and not batch.is_control_batch,
              where + ": transactional/control bit set")
        if cleaned:
            check(attributes in (0, DELETE_HORIZON_BIT), where + ": attributes {:#x}".format(attributes))
        else:
            check_eq(attributes, 0, where + ": attributes")
        check_eq((producer_id, producer_epoch, base_sequence), (-1, -1, -1),
                 where + ": producer id, epoch, base sequence")
        check(base_offset >= base, where + ": base offset below the file's base {}".format(base))
        if max_batch_bytes is not None:
            check(size <= max_batch_bytes, where + ": {} bytes > max.message.bytes {}".format(
                size, max_batch_bytes))

        records = list(batch)  # python3-kafka checks every record's framing
        where_r = where + " records"
        check_eq(len(records), count, where + ": records count")
        offsets = [r.offset for r in records]
        check(all(a < b for a, b in zip(offsets, offsets[1:])), where_r + ": offsets not increasing")
        if not cleaned:
            check(count > 0, where + ": empty batch")
            check_eq(records[0].offset, base_offset, where_r + ": first record's offset delta")
            # One end for everyone (docs/format.md): the last offset is the
            # last presented byte, the "\n" of the last record.
            last = records[-1]
            end = last.offset + len(presented((last.offset, last.timestamp, last.key, last.value,
                                               list(last.headers))))
            if client_shape:
                check_eq(base_offset + last_offset_delta, last.offset,
                         where + ": base offset + LastOffsetDelta vs the last record's offset")
            else:
                check_eq(base_offset + last_offset_delta, end - 1,
                         where + ": base offset + LastOffsetDelta vs the last record's presented end - 1")
        elif records:
            check(records[0].offset >= base_offset, where_r + ": first record below the base offset")
            check(records[-1].offset <= base_offset + last_offset_delta,
                  where_r + ": last record past base offset + LastOffsetDelta")
        if records and not attributes & DELETE_HORIZON_BIT:
            check_eq(first_ts, records[0].timestamp, where + ": BaseTimestamp vs first record")
        if records:
            check_eq(max_ts, max(r.timestamp for r in records), where + ": MaxTimestamp")
        batches.append({
            "position": pos, "size": size, "base": base_offset,
            "last": base_offset + last_offset_delta, "max_ts": max_ts, "leader_epoch": leader_epoch,
            "attributes": attributes, "base_ts": first_ts,
            "records": [(r.offset, r.timestamp, r.key, r.value, list(r.headers)) for r in records],
        })
        pos += size
    check_eq(len(batches), via_memory_records, "{}: batches framed by MemoryRecords".format(name))
    return batches


def read_partition(part_dir, max_batch_bytes=None, cleaned=False, client_shape=False):
    """Every segment of a partition directory: [(base, path, batches)]."""
    segments = []
    for base, path in segment_files(part_dir, ".log"):
        try:
            batches = parse_segment(path, base, max_batch_bytes, cleaned, client_shape)
        except CorruptRecordException as e:
            raise CheckFailed("{}: python3-kafka: {}".format(os.path.basename(path), e))
        segments.append((base, path, batches))
    for (b1, p1, bs1), (b2, _, _) in zip(segments, segments[1:]):
        if bs1:
            check(bs1[-1]["last"] < b2, "{}: last offset {} reaches the next segment's base {}"
                  .format(os.path.basename(p1), bs1[-1]["last"], b2))
    return segments


def check_indexes(segments):
    """Kafka's sparse indexes next to each .log: 8-byte (relative offset,
    position) entries naming a batch by its last offset; 12-byte (timestamp,
    relative offset) entries with increasing timestamps, the last one the
    segment's largest timestamp (written on roll and on close). Returns the
    number of (offset index, time index) entries checked."""
    counts = [0, 0]
    for base, log_path, batches in segments:
        stem = log_path[:-len(".log")]
        name = os.path.basename(stem)
        by_position = {b["position"]: b for b in batches}
        last_offsets = {b["last"]: i for i, b in enumerate(batches)}

        check(os.path.exists(stem + ".index"), name + ".index missing")
        with open(stem + ".index", "rb") as f:
            idx = f.read()
        check_eq(len(idx) % 8, 0, name + ".index size modulo 8")
        entries = [struct.unpack_from(">iI", idx, i) for i in range(0, len(idx), 8)]
        counts[0] += len(entries)
        for n, (rel, position) in enumerate(entries):
            where = "{}.index entry {} ({}, {})".format(name, n, rel, position)
            if n > 0:
                check(rel > entries[n - 1][0] and position > entries[n - 1][1],
                      where + ": not increasing (untrimmed preallocation?)")
            check(position in by_position, where + ": no batch starts at that position")
            check_eq(base + rel, by_position[position]["last"], where + ": offset vs batch last offset")

        check(os.path.exists(stem + ".timeindex"), name + ".timeindex missing")
        with open(stem + ".timeindex", "rb") as f:
            tidx = f.read()
        check_eq(len(tidx) % 12, 0, name + ".timeindex size modulo 12")
        tentries = [struct.unpack_from(">qi", tidx, i) for i in range(0, len(tidx), 12)]
        counts[1] += len(tentries)
        for n, (ts, rel) in enumerate(tentries):
            where = "{}.timeindex entry {} ({}, {})".format(name, n, ts, rel)
            if n > 0:
                check(ts > tentries[n - 1][0] and rel >= tentries[n - 1][1],
                      where + ": not increasing")
            check(base + rel in last_offsets, where + ": offset is no batch's last offset")
            upto = batches[:last_offsets[base + rel] + 1]
            check_eq(ts, max(b["max_ts"] for b in upto),
                     where + ": timestamp vs the largest timestamp up to that batch")
        if batches:
            check(tentries, name + ".timeindex: empty for a non-empty segment")
            check_eq(tentries[-1][0], max(b["max_ts"] for b in batches),
                     name + ".timeindex: last entry vs the segment's largest timestamp")
    return tuple(counts)


def check_clean_shutdown(data_dir, topic_ends):
    """After a clean close: Kafka's marker and checkpoint files (version 0,
    entry count, "topic partition offset" lines)."""
    check(os.path.exists(os.path.join(data_dir, ".kafka_cleanshutdown")),
          "no .kafka_cleanshutdown in the data directory after a clean LogManager::Close()")
    for name in ("recovery-point-offset-checkpoint", "log-start-offset-checkpoint"):
        path = os.path.join(data_dir, name)
        check(os.path.exists(path), name + " missing")
        with open(path) as f:
            lines = f.read().splitlines()
        check(len(lines) >= 2 and lines[0] == "0" and int(lines[1]) == len(lines) - 2,
              "{}: malformed: {!r}".format(name, lines[:3]))
        entries = {}
        for line in lines[2:]:
            t, p, o = line.split(" ")
            entries[(t, int(p))] = int(o)
        for (topic, end) in topic_ends.items():
            want = end if name.startswith("recovery") else 0
            check_eq(entries.get((topic, 0)), want, "{}: entry for {}-0".format(name, topic))


# ---- store -> python ----------------------------------------------------------

UTF8_WORDS = ["héllo", "wörld", "✓", "日本語", "Ωμέγα", "🙂", "naïve", "Ünïcödé", "ß", "€"]


def random_line(rng, separator, max_len):
    kind = rng.random()
    if kind < 0.05:
        body = b""
    elif kind < 0.35:
        body = " ".join(rng.choice(UTF8_WORDS + ["order", "id", "x"])
                        for _ in range(rng.randint(1, 30))).encode()
    elif kind < 0.65:  # every byte but '\n'
        body = bytes(rng.choice([b for b in range(256) if b != 10])
                     for _ in range(rng.randint(1, 200)))
    elif kind < 0.97:
        body = bytes(rng.randint(32, 126) for _ in range(rng.randint(1, 120)))
    else:  # long lines, close to the batch limit
        body = b"L" * rng.randint(max_len // 2, max_len)
    if separator:
        k = rng.random()
        key = ("key-%d" % rng.randint(0, 50)).encode()
        if k < 0.35:
            body = key + separator + body[: max(0, max_len - len(key) - len(separator))]
        elif k < 0.45:
            body = key + separator  # tombstone
        elif k < 0.47:
            body = separator  # tombstone for the empty key
        elif k < 0.50:
            body = separator + body[: max(0, max_len - len(separator))]  # empty key
        elif k < 0.53:
            body = key + separator + separator + b"x"  # key before the first separator
    return body[:max_len]


def store_to_python(tool, tmp, topic, separator, n_lines, per_append, seed):
    rng = random.Random(seed)
    data_dir = os.path.join(tmp, "data")
    segment_bytes, max_message_bytes = 16384, 2048
    max_line = 1800  # stays under max.message.bytes with key, header and overhead
    config = ["--config", "internal.segment.bytes=%d" % segment_bytes,
              "--config", "max.message.bytes=%d" % max_message_bytes,
              "--config", "index.interval.bytes=1000"]
    if separator:
        config += ["--config", "key.separator=" + separator.decode("utf-8")]
    lines = [random_line(rng, separator, max_line) for _ in range(n_lines)]

    # Two runs of the tool: the second reopens the topic and appends on.
    halves = [lines[: n_lines // 3], lines[n_lines // 3:]]
    starts = [CLOCK_START, CLOCK_START + 3600 * 1000]
    step = 7
    timestamps, offset, appends = [], 0, []
    for half, start in zip(halves, starts):
        rows = run_tool(tool, ["write", data_dir, topic, "--lines-per-append", str(per_append),
                               "--clock-start", str(start), "--clock-step", str(step)] + config,
                        b"".join(l + b"\n" for l in half))
        check_eq(len(rows), (len(half) + per_append - 1) // per_append, "append calls")
        for i, row in enumerate(rows):
            chunk = half[i * per_append:(i + 1) * per_append]
            end = offset + sum(len(l) + 1 for l in chunk)
            check_eq((row["timestamp"], row["first_offset"], row["end_offset"], row["records"]),
                     (start + step * i, offset, end, len(chunk)), "append call {} result".format(i))
            appends.append((offset, end))
            offset = end
        timestamps += [start + step * (i // per_append) for i in range(len(half))]
    want, end = expected_records(lines, separator, timestamps)

    part_dir = os.path.join(data_dir, topic + "-0")
    segments = read_partition(part_dir, max_message_bytes)
    check(len(segments) >= 3, "only {} segments; the test wants several".format(len(segments)))
    n_batches = sum(len(b) for _, _, b in segments)
    check(n_batches > len(segments), "only {} batches".format(n_batches))
    check_eq(segments[0][0], 0, "first segment's base offset")
    for base, path, batches in segments:
        check(batches, os.path.basename(path) + ": empty segment")
        # An append's batches all go into one segment (they are written and
        # recovered together): a segment passes segment.bytes only when it
        # holds a single append that alone is larger.
        holders = {i for b in batches for i, (first, end) in enumerate(appends) if first <= b["base"] < end}
        check(os.path.getsize(path) <= segment_bytes or len(holders) == 1,
              "{}: {} bytes > segment.bytes, from {} appends".format(
                  os.path.basename(path), os.path.getsize(path), len(holders)))
        # The store rolls at the log end offset: the first batch names the file.
        check_eq(batches[0]["base"], base, os.path.basename(path) + ": first batch's base offset")
        for b in batches:  # docs/format.md: one leader, epoch 0
            check_eq(b["leader_epoch"], 0, "{}: PartitionLeaderEpoch of batch {}".format(
                os.path.basename(path), b["base"]))

    got = [r for _, _, batches in segments for b in batches for r in b["records"]]
    check_eq(len(got), len(want), "record count")
    for g, w in zip(got, want):
        check_eq(g, w, "record at offset {}".format(w[0]))
    check_eq(b"".join(presented(r) for r in got), b"".join(l + b"\n" for l in lines),
             "presented bytes of the parsed records")

    index_entries = check_indexes(segments)

    # The store's own reader agrees with python3-kafka.
    out = tool_read(tool, data_dir, topic)
    check_eq(out["records"], want, "records read back by the store")
    check_eq(out["presented"], b"".join(l + b"\n" for l in lines), "Log::Read from offset 0")
    check_eq(out["figures"]["log_end_offset"], end, "log end offset")
    return "{} lines, {} bytes, {} batches in {} segments, {}+{} index entries".format(
        len(lines), end, n_batches, len(segments), *index_entries)


# ---- python -> store ----------------------------------------------------------

def build_batch(base, records):
    """One v2 batch by python3-kafka's producer-side builder; the base offset
    (which the builder leaves 0 for the broker) is stamped in afterwards, as a
    broker does: it is outside the CRC."""
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                        producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                        batch_size=1 << 20)
    for offset, ts, key, value, headers in records:
        meta = builder.append(offset - base, timestamp=ts, key=key, value=value, headers=headers)
        check(meta is not None, "builder refused a record")
    buf = bytearray(builder.build())
    struct.pack_into(">q", buf, 0, base)
    check(DefaultRecordBatch(bytes(buf)).validate_crc(), "python-built batch fails its own CRC")
    return bytes(buf)


def python_to_store(tool, tmp, seed):
    rng = random.Random(seed)
    sep = b"::"
    records, offset = [], 0
    ts = 1700000000000
    for i in range(400):
        value = bytes(rng.choice([b for b in range(256) if b != 10])
                      for _ in range(rng.choice([0, 1, 5, 40, 300])))
        key, headers = None, []
        k = rng.random()
        if k < 0.3:
            key = ("k%d" % rng.randint(0, 20)).encode()
            if rng.random() < 0.5:
                value = key + sep + value  # stored whole, as topicfs once stored keyed lines
            else:
                headers = [(SEP_HEADER, sep)]  # split: key, value, the separator in a header
        elif k < 0.4:
            key = ("k%d" % rng.randint(0, 20)).encode()
            value, headers = None, [(SEP_HEADER, sep)]  # tombstone line "key::"
        elif k < 0.45:
            headers = [("origin", b"python3-kafka"), ("nullable", None)]  # foreign headers
        ts += rng.randint(0, 50)
        # Out-of-order timestamps within a batch are legal Kafka.
        rec_ts = ts - rng.randint(0, 500) if rng.random() < 0.1 else ts
        rec = (offset, rec_ts, key, value, headers)
        records.append(rec)
        offset += len(presented(rec))
    end = offset

    # Batches of 1..40 records; two segments, the second named after its
    # first batch's base offset.
    batches, i = [], 0
    while i < len(records):
        n = rng.randint(1, 40)
        batches.append(records[i:i + n])
        i += n
    split = len(batches) * 2 // 3
    part_dir = os.path.join(tmp, "data", "ext-0")
    os.makedirs(part_dir)
    written = {}
    for seg_batches in (batches[:split], batches[split:]):
        base = seg_batches[0][0][0]
        data = b"".join(build_batch(b[0][0], b) for b in seg_batches)
        path = os.path.join(part_dir, "%020d.log" % base)
        with open(path, "wb") as f:
            f.write(data)
        written[path] = data

    # Our own bytes parse with python3-kafka too (the builder's output is sane).
    read_partition(part_dir, client_shape=True)

    out = tool_read(tool, os.path.join(tmp, "data"), "ext")
    check_eq([s["segment"] for s in out["segments"]],
             [b[0][0][0] for b in (batches[:split], batches[split:])], "segments the store loaded")
    check_eq([(b["batch"], b["last"], b["records"]) for b in out["batches"]],
             [(b[0][0], b[-1][0], len(b)) for b in batches], "batches the store found")
    check_eq(len(out["records"]), len(records), "record count read by the store")
    for g, w in zip(out["records"], records):
        check_eq(g, w, "record at offset {} read by the store".format(w[0]))
    check_eq(out["presented"], b"".join(presented(r) for r in records), "presented bytes")
    check_eq(out["figures"]["log_end_offset"], end, "log end offset")
    check_eq(out["figures"]["log_start_offset"], 0, "log start offset")
    check_eq(out["figures"]["records"], len(records), "record count in the figures")

    # Recovery must keep valid batches byte for byte, and build the indexes.
    for path, data in written.items():
        with open(path, "rb") as f:
            check(f.read() == data, os.path.basename(path) + ": rewritten by the store")
    segments = read_partition(part_dir, client_shape=True)
    index_entries = check_indexes(segments)
    check(index_entries[0] > 0, "no offset index entries rebuilt")
    return "{} records, {} bytes in {} batches, 2 segments, {}+{} index entries rebuilt{}".format(
        len(records), end, len(batches), *index_entries,
        "".join("; store warning: " + w for w in out["warnings"]))


# ---- after the log cleaner ----------------------------------------------------

def survivors(records, end, horizon_passed=frozenset()):
    """What one or more cleanings up to `end` (the cleaner's checkpoint)
    keep of `records`: below `end`, the latest record per key, minus the
    tombstones in horizon_passed (offsets); from `end` on, everything."""
    latest = {}
    for r in records:
        if r[0] < end:
            latest[r[2]] = r[0]
    return [r for r in records
            if r[0] >= end or (latest[r[2]] == r[0] and r[0] not in horizon_passed)]


def check_cleaned(tool, data_dir, topic, want, end, tombstone_horizons, max_message_bytes):
    """Every .log parses with python3-kafka as a cleaned Kafka segment, holds
    exactly `want`, tombstone batches carry their horizon, and the store
    presents exactly the surviving lines."""
    part_dir = os.path.join(data_dir, topic + "-0")
    segments = read_partition(part_dir, max_message_bytes, cleaned=True)
    got = [r for _, _, batches in segments for b in batches for r in b["records"]]
    offsets = [r[0] for r in got]
    check(all(a < b for a, b in zip(offsets, offsets[1:])), "offsets not increasing across the log")
    check_eq(len(got), len(want), "records after cleaning")
    for g, w in zip(got, want):
        check_eq(g, w, "record at offset {} after cleaning".format(w[0]))
    n_horizon = 0
    for base, path, batches in segments:
        for b in batches:
            where = "{} batch {}".format(os.path.basename(path), b["base"])
            stones = [r for r in b["records"] if r[3] is None]
            if b["last"] >= end:  # not covered by a cleaning: as appended
                check_eq(b["attributes"], 0, where + ": attributes of an uncleaned batch")
                continue
            if stones:
                n_horizon += 1
                check(b["attributes"] & DELETE_HORIZON_BIT,
                      where + ": a kept tombstone's batch lacks the delete-horizon bit")
                horizons = {tombstone_horizons[r[0]] for r in stones}
                check_eq(b["base_ts"], max(horizons), where + ": BaseTimestamp vs the delete horizon")
            elif b["attributes"] & DELETE_HORIZON_BIT:
                # As Kafka's MemoryRecords.filterTo: a batch stamped by an
                # earlier cleaning keeps its horizon when its tombstones go.
                check(b["base_ts"] in set(tombstone_horizons.values()),
                      where + ": delete horizon {} that no cleaning stamped".format(b["base_ts"]))
    check_indexes(segments)

    out = tool_read(tool, data_dir, topic)
    check_eq(out["records"], want, "records read back by the store after cleaning")
    check_eq(out["presented"], b"".join(presented(r) for r in want),
             "Log::Read from offset 0 after cleaning")
    with open(os.path.join(data_dir, "cleaner-offset-checkpoint")) as f:
        check_eq(f.read().splitlines(), ["0", "1", "{} 0 {}".format(topic, end)],
                 "cleaner-offset-checkpoint")
    return segments, n_horizon


def write_lines(tool, data_dir, topic, lines, config, start, per_append, offset):
    """segment_tool write; returns the records' timestamps."""
    step = 5
    rows = run_tool(tool, ["write", data_dir, topic, "--lines-per-append", str(per_append),
                           "--clock-start", str(start), "--clock-step", str(step)] + config,
                    b"".join(l + b"\n" for l in lines))
    check_eq(rows[0]["first_offset"], offset, "first offset of the write")
    return [start + step * (i // per_append) for i in range(len(lines))]


def clean(tool, data_dir, topic, now, roll=False):
    rows = run_tool(tool, ["clean", data_dir, topic, "0", "--clock-start", str(now)]
                    + (["--roll"] if roll else []))
    passes = [r for r in rows if "pass" in r]
    check(passes and passes[0]["segments_cleaned"] > 0, "the cleaner cleaned nothing: {}".format(rows))
    return passes, rows[-1]


def cleaned_segments(tool, tmp, seed):
    """store -> cleaner -> python: keyed lines and tombstones on a compacted
    topic with small segments, cleaned by `segment_tool clean` (twice: the
    second cleaning, past delete.retention.ms, drops the tombstones the first
    one kept)."""
    rng = random.Random(seed)
    data_dir = os.path.join(tmp, "data")
    topic = "compacted"
    sep = b":"
    delete_retention_ms, max_message_bytes = 60000, 4096
    config = ["--config", "cleanup.policy=compact", "--config", "key.separator=:",
              "--config", "internal.segment.bytes=2048", "--config", "index.interval.bytes=300",
              "--config", "delete.retention.ms=%d" % delete_retention_ms,
              "--config", "max.message.bytes=%d" % max_message_bytes]

    def line(keys):
        key = b"key-%d" % rng.choice(keys)
        if rng.random() < 0.12:
            return key + sep  # tombstone
        value = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz:0123456789 ")
                      for _ in range(rng.randint(0, 60)))
        return key + sep + value

    # 1. 1,500 lines over 40 keys; the first cleaning keeps the latest per
    #    key below the active segment, tombstones included, and stamps them.
    lines1 = [line(range(40)) for _ in range(1500)]
    ts1 = write_lines(tool, data_dir, topic, lines1, config, CLOCK_START, 4, 0)
    records, end = expected_records(lines1, sep, ts1)
    now1 = CLOCK_START + 3600 * 1000
    passes1, fig1 = clean(tool, data_dir, topic, now1)
    end1 = fig1["checkpoint"]
    check_eq(fig1["log_end_offset"], end, "log end offset after cleaning")
    check(0 < end1 < end, "checkpoint {} outside the log (end {})".format(end1, end))
    want1 = survivors(records, end1)
    horizons = {r[0]: now1 + delete_retention_ms for r in want1 if r[3] is None and r[0] < end1}
    check(horizons, "no tombstone kept by the first cleaning (the test wants some)")
    segments, n1 = check_cleaned(tool, data_dir, topic, want1, end1, horizons, max_message_bytes)
    check(len(segments) >= 2, "the cleaning left {} segments".format(len(segments)))

    # 2. Other keys appended later (the old tombstones stay the latest for
    #    theirs), rolled, cleaned past the first horizon: those tombstones go;
    #    the ones the first cleaning did not reach are stamped now.
    lines2 = [line(range(100, 120)) for _ in range(400)]
    ts2 = write_lines(tool, data_dir, topic, lines2, config, now1 + 1000, 4, end)
    more, end2_log = expected_records(lines2, sep, ts2, start_offset=end)
    records += more
    now2 = now1 + delete_retention_ms + 1
    passes2, fig2 = clean(tool, data_dir, topic, now2, roll=True)
    end2 = fig2["checkpoint"]
    check_eq(fig2["log_end_offset"], end2_log, "log end offset after the second cleaning")
    check_eq(end2, end2_log, "checkpoint after a cleaning of a rolled log")
    gone = frozenset(horizons)
    want2 = survivors(records, end2, gone)
    for r in want2:
        if r[3] is None and r[0] not in horizons:
            horizons[r[0]] = now2 + delete_retention_ms
    check(any(r[3] is None for r in want2), "no tombstone left for the second check")
    _, n2 = check_cleaned(tool, data_dir, topic, want2, end2, horizons, max_message_bytes)
    keys = {r[2] for r in records}
    check_eq({r[2] for r in want2} | {r[2] for r in records if r[0] in gone}, keys,
             "keys after the second cleaning")
    stones1 = sum(1 for r in records[:len(lines1)] if r[3] is None)
    return ("{} + {} lines -> {} then {} records kept; of {} tombstones, {} dropped by the first "
            "cleaning (superseded), {} by the second (past the horizon); {} + {} batches stamped "
            "with a delete horizon; {} passes").format(
                len(lines1), len(lines2), len(want1), len(want2), stones1,
                stones1 - sum(1 for r in want1 if r[3] is None), len(gone), n1, n2,
                len(passes1) + len(passes2))


# ---- __consumer_offsets ---------------------------------------------------------------

def java_string_hash(text):
    """Java's String.hashCode: s[0]*31^(n-1) + ... over UTF-16 code units, int32."""
    units = text.encode("utf-16-be")
    h = 0
    for i in range(0, len(units), 2):
        h = (h * 31 + ((units[i] << 8) | units[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for_group(group, partitions=50):
    """Kafka's Utils.abs(groupId.hashCode()) % partitions; abs(MIN_VALUE) = 0."""
    h = java_string_hash(group)
    return (0 if h == -(1 << 31) else abs(h)) % partitions


def kafka_string(b):
    return struct.pack(">h", len(b)) + b


def offset_commit_key(group, topic, partition):
    """OffsetCommitKey version 1: version, group, topic, partition."""
    return struct.pack(">h", 1) + kafka_string(group) + kafka_string(topic) + struct.pack(">i", partition)


def offset_commit_value(offset, commit_timestamp):
    """OffsetCommitValue version 3 with empty metadata and no leader epoch."""
    return struct.pack(">hqihq", 3, offset, -1, 0, commit_timestamp)


def consumer_offsets(tool, tmp, seed):
    """groups -> python: two runs of `segment_tool groups` (the second loads
    what the first wrote), then every __consumer_offsets partition parsed."""
    rng = random.Random(seed)
    data_dir = os.path.join(tmp, "data")
    check_eq(partition_for_group("billing"), 9, "python's partition for 'billing'")
    check_eq(partition_for_group("polygenelubricants"), 0, "hashCode MIN_VALUE -> partition 0")
    names = ["billing", "caf\u00e9", "\u65e5\u672c\u8a9e", "emoji\U0001F600", "polygenelubricants"]
    names += ["group-%d" % rng.randint(0, 10 ** 6) for _ in range(10)]
    topics = ["orders", "audit.log"]
    committed = {}  # (group, topic, partition) -> offset
    expected = {}   # __consumer_offsets partition -> [(key, value)]
    parts_seen = set()
    for run in range(2):
        commands = []
        for _ in range(150):
            group = rng.choice(names)
            topic, partition = rng.choice(topics), rng.randint(0, 3)
            k = (group, topic, partition)
            key = offset_commit_key(group.encode(), topic.encode(), partition)
            p = partition_for_group(group)
            if rng.random() < 0.2:
                commands.append("forget\t{}\t{}\t{}".format(group.encode().hex(), topic, partition))
                if k in committed:  # forgetting nothing writes nothing
                    del committed[k]
                    expected.setdefault(p, []).append((key, None))
            else:
                offset = rng.randint(0, 1 << 40)
                commands.append("commit\t{}\t{}\t{}\t{}".format(group.encode().hex(), topic, partition, offset))
                committed[k] = offset
                expected.setdefault(p, []).append((key, offset_commit_value(offset, CLOCK_START)))
        rows = run_tool(tool, ["groups", data_dir, "--clock-start", str(CLOCK_START)],
                        "".join(c + "\n" for c in commands).encode())
        check_eq(len(rows), len(commands), "segment_tool groups output lines")
        for row, command in zip(rows, commands):
            group = bytes.fromhex(command.split("\t")[1]).decode()
            check_eq(row["group_partition"], partition_for_group(group),
                     "store's partition for group {!r}".format(group))
            parts_seen.add(row["group_partition"])

    with open(os.path.join(data_dir, "__consumer_offsets.conf")) as f:
        config = dict(l.strip().split("=", 1) for l in f if "=" in l and not l.startswith("#"))
    check_eq(config.get("cleanup.policy"), "compact", "__consumer_offsets cleanup.policy")
    check_eq(config.get("segment.bytes"), "104857600", "__consumer_offsets segment.bytes")
    records_checked = 0
    for p in range(50):
        part_dir = os.path.join(data_dir, "__consumer_offsets-%d" % p)
        check(os.path.isdir(part_dir), part_dir + " missing")
        got = [r for _, _, batches in read_partition(part_dir) for b in batches for r in b["records"]]
        want = expected.get(p, [])
        check_eq(len(got), len(want), "records in __consumer_offsets-%d" % p)
        offset = 0
        for (r_offset, ts, key, value, headers), (want_key, want_value) in zip(got, want):
            where = "__consumer_offsets-{} record at {}".format(p, r_offset)
            check_eq(r_offset, offset, where + ": offset (one coordinate)")
            check_eq(ts, CLOCK_START, where + ": timestamp")
            check_eq(key, want_key, where + ": key")
            check_eq(value, want_value, where + ": value")
            check_eq(headers, [], where + ": headers")
            if value is not None:
                check_eq(len(value), 24, where + ": value v3 size")
            offset += len(value if value is not None else key) + 1
            records_checked += 1
    return "{} records in {} partitions match OffsetCommitKey v1 / OffsetCommitValue v3; {} positions live".format(
        records_checked, len(parts_seen), len(committed))


# ---- clean shutdown ---------------------------------------------------------------

def clean_shutdown(tool, tmp):
    data_dir = os.path.join(tmp, "data")
    lines = b"one\ntwo\n\nthree\n"
    run_tool(tool, ["write", data_dir, "cs"], lines)
    check_clean_shutdown(data_dir, {"cs": len(lines)})
    # Opening consumes the marker (a crash while open counts as unclean);
    # closing again must write it again.
    out = tool_read(tool, data_dir, "cs")
    check_eq(out["presented"], lines, "presented bytes")
    check_clean_shutdown(data_dir, {"cs": len(lines)})
    return "marker and checkpoints after write and after read"


# ---- main ---------------------------------------------------------------------

def main():
    if len(sys.argv) != 2:
        print("usage: python_kafka_format_test.py <segment_tool>", file=sys.stderr)
        return 2
    tool = os.path.abspath(sys.argv[1])
    seed = int(os.environ.get("SEED", "20251125"))
    print("python_kafka_format: python3-kafka {} ({}), seed {}".format(
        kafka.__version__, os.path.dirname(kafka.__file__), seed))

    cases = [
        ("store->python, no key separator",
         lambda tmp: store_to_python(tool, tmp, "plain", None, 3000, 97, seed)),
        ("store->python, key.separator ':'",
         lambda tmp: store_to_python(tool, tmp, "keyed", b":", 3000, 50, seed + 1)),
        ("store->python, key.separator '⇒' (3-byte UTF-8)",
         lambda tmp: store_to_python(tool, tmp, "keyed.utf8", "⇒".encode(), 2000, 333, seed + 2)),
        ("python->store, bare Kafka partition directory recovered",
         lambda tmp: python_to_store(tool, tmp, seed + 3)),
        ("cleaner output (segment_tool clean) parsed by python3-kafka",
         lambda tmp: cleaned_segments(tool, tmp, seed + 4)),
        ("__consumer_offsets commits and tombstones (segment_tool groups)",
         lambda tmp: consumer_offsets(tool, tmp, seed + 5)),
        ("clean shutdown: .kafka_cleanshutdown and checkpoint files",
         lambda tmp: clean_shutdown(tool, tmp)),
    ]
    passed = failed = 0
    for name, fn in cases:
        tmp = tempfile.mkdtemp(prefix="topicfs-pykafka-")
        try:
            detail = fn(tmp)
            passed += 1
            print("PASS  {}: {}".format(name, detail))
        except CheckFailed as e:
            failed += 1
            print("FAIL  {}: {}".format(name, e))
        except Exception:  # a crash in python3-kafka's parser is a failure too
            failed += 1
            print("FAIL  {}: {}".format(name, traceback.format_exc()))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print("python_kafka_format: {} passed, {} failed".format(passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
