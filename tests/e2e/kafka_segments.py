#!/usr/bin/python3
"""Kafka segments built and read by an encoder that is not topicfs's.

Run with Debian's /usr/bin/python3 (python3-kafka, python3-lz4,
python3-snappy, python3-zstandard); test_codecs.py calls it as a
subprocess, so the tests themselves need only the standard library.

    kafka_segments.py build  < SPEC.json     writes the segments SPEC describes
    kafka_segments.py decode PARTITION_DIR   prints every .log's batches as JSON

build: SPEC is {"dir": partition directory, "segments": [{"base": offset,
"batches": [BATCH...], "txnindex": [[producer id, first offset, last
offset, last stable offset]...]}]}. Each segment becomes
<20-digit base>.log (plus an empty .index and .timeindex, as a copied-in
Kafka directory may have, and a .txnindex of 34-byte AbortedTxn entries
when "txnindex" is given). A BATCH is

    {"base_offset": o, "codec": "none"|"gzip"|"snappy"|"lz4"|"zstd",
     "variant": see COMPRESSORS, "level": codec level or null,
     "producer_id": -1, "producer_epoch": -1, "base_sequence": -1,
     "transactional": false, "control": null|"abort"|"commit",
     "leader_epoch": -1, "records": [{"offset": o, "timestamp": ms,
       "key": hex|null, "value": hex|null, "headers": [[name, hex|null]]}],
     "fault": null|"garbage"|"truncated-stream"|"count"|"crc"|"torn"}

The records are laid out by python3-kafka's DefaultRecordBatchBuilder
(uncompressed), then compressed here with the codec library the variant
names, so that every framing a Kafka client writes can be produced (the
builder alone picks one, and silently stores a batch uncompressed when
compression does not help). The CRC-32C is computed over the final bytes.
A fault damages the batch on purpose: "garbage" replaces the compressed
payload by bytes that are no stream of the codec, "truncated-stream" cuts
the compressed stream short, "count" declares one record more than the
payload holds (each with the CRC recomputed, so only decoding can tell);
"crc" flips a payload byte after the CRC was computed; "torn" writes only
the first half of the batch (a torn tail).

decode: one JSON object per .log file name (sorted), each {"name", "base",
"size", "batches": [{"position", "size", "base_offset", "last_offset",
"leader_epoch", "magic", "attributes", "codec", "crc_ok", "count",
"producer_id", "producer_epoch", "base_sequence", "first_timestamp",
"max_timestamp", "payload_size", "frame": {...}, "records": [{"offset",
"timestamp", "key", "value", "headers"}]}], "trailing": bytes after the last
whole batch, "error": a parse error or null}. Records are decoded by
python3-kafka's DefaultRecordBatch; its zstd decoder gives up on frames
without a content size over 1 MiB, so that one is replaced by a streaming
decoder (every frame of the payload).
"""

import json
import os
import struct
import sys

import lz4.frame
import snappy
import zstandard

import kafka.codec
import kafka.record.default_records as default_records
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
from kafka.record.util import calc_crc32c

HEADER = DefaultRecordBatch.HEADER_STRUCT
CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
CODEC_NAMES = {v: k for k, v in CODECS.items()}
TRANSACTIONAL = 0x10
CONTROL = 0x20
CONTROL_TYPES = {"abort": 0, "commit": 1}


def zstd_decode_all_frames(payload):
    out = []
    data = bytes(payload)
    while data:
        d = zstandard.ZstdDecompressor().decompressobj()
        out.append(d.decompress(data))
        if not d.eof:
            raise ValueError("zstd stream ends inside a frame")
        data = d.unused_data
    return b"".join(out)


default_records.zstd_decode = zstd_decode_all_frames


# ---- compressors: every framing a Kafka producer writes ---------------------------

def _gzip(data, level):
    return kafka.codec.gzip_encode(data, compresslevel=level or 9)


def _zstd(data, level, **kw):
    return zstandard.ZstdCompressor(level=3 if level is None else level, **kw).compress(data)


COMPRESSORS = {
    ("none", None): lambda d, level: d,
    # python3-kafka's gzip (GzipFile, level 9 unless given); Java's
    # GZIPOutputStream writes the same format.
    ("gzip", None): _gzip,
    # Two gzip members back to back (java.util.zip.GZIPInputStream reads on).
    ("gzip", "two-members"): lambda d, level: _gzip(d[:len(d) // 2], level) + _gzip(d[len(d) // 2:], level),
    # The Java client: xerial's SnappyOutputStream framing, 32 KiB blocks.
    ("snappy", None): lambda d, level: kafka.codec.snappy_encode(d, xerial_compatible=True),
    ("snappy", "xerial"): lambda d, level: kafka.codec.snappy_encode(d, xerial_compatible=True),
    # librdkafka: one raw snappy block, no framing.
    ("snappy", "raw"): lambda d, level: snappy.compress(d),
    # python3-kafka: an LZ4 frame with the content size, independent blocks.
    ("lz4", None): lambda d, level: kafka.codec.lz4_encode(d),
    # Kafka's KafkaLZ4BlockOutputStream: 64 KiB independent blocks, no
    # content size, no checksums.
    ("lz4", "java"): lambda d, level: lz4.frame.compress(
        d, block_size=lz4.frame.BLOCKSIZE_MAX64KB, block_linked=False, content_checksum=False,
        block_checksum=False, store_size=False,
        compression_level=level or 0),
    # Block and content checksums on (LZ4F allows both).
    ("lz4", "checksums"): lambda d, level: lz4.frame.compress(
        d, block_size=lz4.frame.BLOCKSIZE_MAX64KB, block_linked=False, content_checksum=True,
        block_checksum=True, store_size=True),
    # One zstd frame with its content size (librdkafka, python3-kafka).
    ("zstd", None): _zstd,
    # zstd-jni's ZstdOutputStream (the Java client): no content size.
    ("zstd", "stream"): lambda d, level: _zstd(d, level, write_content_size=False),
    ("zstd", "checksum"): lambda d, level: _zstd(d, level, write_checksum=True),
    # Two frames back to back (zstd-jni's ZstdInputStream reads on).
    ("zstd", "two-frames"): lambda d, level: _zstd(d[:len(d) // 2], level) + _zstd(d[len(d) // 2:], level),
}


def records_bytes(records, base_offset):
    """The records section, uncompressed, as DefaultRecordBatchBuilder lays it out."""
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                        producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                        batch_size=1 << 30)
    for r in records:
        key = None if r.get("key") is None else bytes.fromhex(r["key"])
        value = None if r.get("value") is None else bytes.fromhex(r["value"])
        headers = [(k, None if v is None else bytes.fromhex(v)) for k, v in r.get("headers", [])]
        if builder.append(r["offset"] - base_offset, timestamp=r["timestamp"], key=key, value=value,
                          headers=headers) is None:
            raise SystemExit("the builder refused a record")
    return bytes(builder.build()[HEADER.size:])


def build_batch(b):
    base = b["base_offset"]
    records = b["records"]
    if b.get("control"):
        if len(records) != 1:
            raise SystemExit("a control batch holds one record")
        r = records[0]
        # ControlRecordType: key = version 0 + type; EndTransactionMarker
        # value = version 0 + coordinator epoch.
        records = [{"offset": r["offset"], "timestamp": r["timestamp"],
                    "key": struct.pack(">hh", 0, CONTROL_TYPES[b["control"]]).hex(),
                    "value": struct.pack(">hi", 0, r.get("coordinator_epoch", 0)).hex(), "headers": []}]
    codec = b.get("codec", "none")
    raw = records_bytes(records, base)
    payload = COMPRESSORS[(codec, b.get("variant"))](raw, b.get("level"))
    fault = b.get("fault")
    count = len(records)
    if fault == "garbage":
        # Deterministic bytes that start no frame of any codec: not gzip's
        # 1f 8b, not xerial's 82 'SNAPPY', not LZ4's or zstd's magic numbers.
        payload = bytes((i * 151 + 7) % 251 for i in range(max(len(payload), 64)))
        payload = b"\x00\xff" + payload[2:]
    elif fault == "truncated-stream":
        payload = payload[:len(payload) * 2 // 3]
    elif fault == "count":
        count += 1
    attributes = CODECS[codec]
    if b.get("transactional") or b.get("control"):
        attributes |= TRANSACTIONAL
    if b.get("control"):
        attributes |= CONTROL
    timestamps = [r["timestamp"] for r in records]
    batch = bytearray(HEADER.size) + payload
    HEADER.pack_into(batch, 0, base, len(batch) - 12, b.get("leader_epoch", -1), 2, 0, attributes,
                     records[-1]["offset"] - base, timestamps[0], max(timestamps),
                     b.get("producer_id", -1), b.get("producer_epoch", -1), b.get("base_sequence", -1),
                     count)
    struct.pack_into(">I", batch, DefaultRecordBatch.CRC_OFFSET,
                     calc_crc32c(bytes(batch[DefaultRecordBatch.ATTRIBUTES_OFFSET:])))
    if fault == "crc":
        batch[-1] ^= 0x5A  # after the CRC was computed: it no longer holds
    if fault is None:
        # What we built must read back through python3-kafka as we meant it.
        check = DefaultRecordBatch(bytes(batch))
        assert check.validate_crc() and check.compression_type == CODECS[codec]
        got = [(r.offset, r.value) for r in check]
        assert got == [(r["offset"], None if r.get("value") is None else bytes.fromhex(r["value"]))
                       for r in records], "the built batch does not read back"
    if fault == "torn":
        batch = batch[:len(batch) // 2]
    return bytes(batch)


def build(spec):
    part = spec["dir"]
    os.makedirs(part, exist_ok=True)
    for seg in spec["segments"]:
        stem = os.path.join(part, "%020d" % seg["base"])
        with open(stem + ".log", "wb") as f:
            for b in seg["batches"]:
                f.write(build_batch(b))
        if seg.get("indexes", True):
            for suffix in (".index", ".timeindex"):
                open(stem + suffix, "wb").close()
        if "txnindex" in seg:
            with open(stem + ".txnindex", "wb") as f:
                for pid, first, last, lso in seg["txnindex"]:
                    f.write(struct.pack(">hqqqq", 0, pid, first, last, lso))


# ---- decoding ---------------------------------------------------------------------

def frame_info(codec, payload):
    """How the payload is framed, for messages and for checks of levels."""
    if codec == 1 and len(payload) >= 10:
        return {"gzip_xfl": payload[8]}
    if codec == 2:
        return {"snappy_xerial": payload[:8] == b"\x82SNAPPY\x00"}
    if codec == 3 and len(payload) >= 7:
        flg = payload[4]
        return {"lz4_content_size": bool(flg & 0x08), "lz4_block_independent": bool(flg & 0x20),
                "lz4_content_checksum": bool(flg & 0x04), "lz4_block_checksum": bool(flg & 0x10)}
    if codec == 4:
        try:
            p = zstandard.get_frame_parameters(payload)
            return {"zstd_content_size": p.content_size != zstandard.CONTENTSIZE_UNKNOWN,
                    "zstd_checksum": bool(p.has_checksum)}
        except zstandard.ZstdError as e:
            return {"zstd_error": str(e)}
    return {}


def decode_log(path):
    with open(path, "rb") as f:
        data = f.read()
    out = {"name": os.path.basename(path), "base": int(os.path.basename(path)[:20]), "size": len(data),
           "batches": [], "trailing": 0, "error": None}
    pos = 0
    while pos < len(data):
        if len(data) - pos < HEADER.size:
            out["trailing"] = len(data) - pos
            break
        (base, length, leader_epoch, magic, crc, attributes, last_delta, first_ts, max_ts,
         pid, pepoch, bseq, count) = HEADER.unpack_from(data, pos)
        size = length + 12
        if length <= 0 or pos + size > len(data):
            out["trailing"] = len(data) - pos
            break
        raw = data[pos:pos + size]
        batch = DefaultRecordBatch(raw)
        entry = {"position": pos, "size": size, "base_offset": base, "last_offset": base + last_delta,
                 "leader_epoch": leader_epoch, "magic": magic, "attributes": attributes,
                 "codec": attributes & 0x07, "crc_ok": batch.validate_crc(), "count": count,
                 "producer_id": pid, "producer_epoch": pepoch, "base_sequence": bseq,
                 "first_timestamp": first_ts, "max_timestamp": max_ts,
                 "payload_size": size - HEADER.size,
                 "frame": frame_info(attributes & 0x07, raw[HEADER.size:]), "records": []}
        out["batches"].append(entry)
        try:
            for r in DefaultRecordBatch(raw):
                entry["records"].append({
                    "offset": r.offset, "timestamp": r.timestamp,
                    "key": None if r.key is None else r.key.hex(),
                    "value": None if r.value is None else r.value.hex(),
                    "headers": [[k, None if v is None else v.hex()] for k, v in r.headers]})
        except Exception as e:  # noqa: BLE001 - reported to the test, which fails on it
            out["error"] = "batch at position %d (base offset %d): %s: %s" % (pos, base, type(e).__name__, e)
            break
        pos += size
    return out


def decode(part):
    names = sorted(n for n in os.listdir(part) if n.endswith(".log") and len(n) == 24 and n[:20].isdigit())
    return [decode_log(os.path.join(part, n)) for n in names]


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "build":
        build(json.load(sys.stdin))
    elif len(sys.argv) == 3 and sys.argv[1] == "decode":
        json.dump(decode(sys.argv[2]), sys.stdout)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
