"""Kafka's kafka-dump-log (org.apache.kafka.tools.DumpLogSegments) as a
checker: one JVM over many files, its output parsed into batches and
records, and every complaint it makes collected.

    dump = dump_log_segments.run(files, "--deep-iteration", "--print-data-log")
    dump.problems          # [] when Kafka found nothing wrong
    dump.logs[path]        # [Batch], each with .records [Record]

What counts as a complaint is what the tool reports on stderr or marks in
its output: index entries that do not point at a batch with that last
offset ("Mismatches in"), time index entries whose timestamp is not the
batch's largest or that go back ("Found timestamp mismatch", "Found out of
order timestamp", "indexed offsets are not found"), bytes after the last
whole batch ("Found N invalid bytes"), a batch whose CRC fails
("isvalid: false"), an exception (a nonzero exit), and anything else on
stderr. One report is not a complaint for topicfs: "Non-consecutive
offsets", since a topicfs offset is a byte position, so consecutive records
are as many offsets apart as the first one's presented bytes (Kafka
allows gaps; docs/contract.md). The pairs it lists are kept in
`non_consecutive` for a test to check against the positions it expects.

The tool's StringDecoder prints keys and values as UTF-8 text, so the
records' `key` and `value` are only exact for text without line breaks;
`key_size` and `value_size` are the byte counts (-1 for null).
"""

import re
from dataclasses import dataclass, field

import kafka_tools

_BATCH = re.compile(
    r"^baseOffset: (?P<base>-?\d+) lastOffset: (?P<last>-?\d+) count: (?P<count>\S+) "
    r"baseSequence: (?P<base_seq>-?\d+) lastSequence: (?P<last_seq>-?\d+) "
    r"producerId: (?P<pid>-?\d+) producerEpoch: (?P<epoch>-?\d+) "
    r"partitionLeaderEpoch: (?P<leader_epoch>-?\d+) isTransactional: (?P<txn>\w+) "
    r"isControl: (?P<control>\w+) deleteHorizonMs: (?P<horizon>\S+) position: (?P<position>\d+) "
    r"(?P<ts_type>CreateTime|LogAppendTime|NoTimestampType): (?P<max_ts>-?\d+) size: (?P<size>\d+) "
    r"magic: (?P<magic>\d+) compresscodec: (?P<codec>\S+) crc: (?P<crc>\d+) isvalid: (?P<valid>\w+)$")
_RECORD = re.compile(
    r"^\| offset: (?P<offset>\d+) (?P<ts_type>CreateTime|LogAppendTime|NoTimestampType): "
    r"(?P<ts>-?\d+) keySize: (?P<key_size>-?\d+) valueSize: (?P<value_size>-?\d+) "
    r"sequence: (?P<seq>-?\d+) headerKeys: \[(?P<headers>[^\]]*)\](?P<rest>.*)$")
_INDEX_ENTRY = re.compile(r"^offset: (?P<offset>\d+) position: (?P<position>\d+)$")
_TIME_ENTRY = re.compile(r"^timestamp: (?P<ts>-?\d+) offset: (?P<offset>\d+)$")
_NON_CONSECUTIVE_HEAD = re.compile(r"^Non-consecutive offsets in (?P<path>.+)$")
_NON_CONSECUTIVE_PAIR = re.compile(r"^  (?P<a>-?\d+) is followed by (?P<b>-?\d+)$")
_HORIZON = re.compile(r"^OptionalLong\[(-?\d+)\]$")


@dataclass
class Record:
    offset: int
    timestamp: int
    key_size: int
    value_size: int
    header_keys: list
    key: str = None      # None: no key (or not printed)
    value: str = None    # None: a null value, a tombstone (or not printed)


@dataclass
class Batch:
    base_offset: int
    last_offset: int
    count: int
    leader_epoch: int
    position: int
    timestamp_type: str
    max_timestamp: int
    size: int
    codec: str
    valid: bool
    delete_horizon_ms: int  # None when the batch has none
    transactional: bool
    control: bool
    producer_id: int
    records: list = field(default_factory=list)


@dataclass
class Dump:
    returncode: int
    stdout: str
    stderr: str
    logs: dict = field(default_factory=dict)           # path -> [Batch]
    index_entries: dict = field(default_factory=dict)  # path -> [(offset, position)]
    time_entries: dict = field(default_factory=dict)   # path -> [(timestamp, offset)]
    sane: set = field(default_factory=set)             # index files that "passed sanity check"
    empty: set = field(default_factory=set)            # index files the tool found empty
    non_consecutive: dict = field(default_factory=dict)  # path -> [(offset, next offset)]
    problems: list = field(default_factory=list)


def _split_contents(rest, key_size, value_size, decoded):
    """The key and value printed after the header keys: ` key: K` when the
    record has a key, then ` payload: V` when it has a value. A decoder's
    text (--offsets-decoder: JSON) is not as long as the bytes, so there
    the key ends at the first " payload: "."""
    key = value = None
    if decoded:
        if rest.startswith(" key: "):
            key, _, value = rest[len(" key: "):].partition(" payload: ")
        elif rest.startswith(" payload: "):
            value = rest[len(" payload: "):]
        return key, value
    if key_size >= 0:
        assert rest.startswith(" key: "), rest
        rest = rest[len(" key: "):]
        key, rest = rest[:key_size], rest[key_size:]
    if value_size >= 0:
        assert rest.startswith(" payload: "), rest
        value = rest[len(" payload: "):]
    return key, value


def parse(stdout, stderr, returncode, decoded=False):
    dump = Dump(returncode, stdout, stderr)
    current = None
    batches = None
    for line in stdout.splitlines():
        if line.startswith("Dumping "):
            current = line[len("Dumping "):]
            batches = None
            if current.endswith(".log"):
                batches = dump.logs.setdefault(current, [])
            elif current.endswith(".index"):
                dump.index_entries.setdefault(current, [])
            elif current.endswith(".timeindex"):
                dump.time_entries.setdefault(current, [])
            continue
        m = _BATCH.match(line)
        if m:
            horizon = _HORIZON.match(m["horizon"])
            batch = Batch(int(m["base"]), int(m["last"]),
                          int(m["count"]) if m["count"].lstrip("-").isdigit() else None,
                          int(m["leader_epoch"]), int(m["position"]), m["ts_type"],
                          int(m["max_ts"]), int(m["size"]), m["codec"], m["valid"] == "true",
                          int(horizon.group(1)) if horizon else None, m["txn"] == "true",
                          m["control"] == "true", int(m["pid"]))
            if not batch.valid:
                dump.problems.append(f"{current}: a batch whose CRC fails: {line}")
            batches.append(batch)
            continue
        m = _RECORD.match(line)
        if m:
            key_size, value_size = int(m["key_size"]), int(m["value_size"])
            key, value = _split_contents(m["rest"], key_size, value_size, decoded)
            headers = [h for h in m["headers"].split(",") if h]
            batches[-1].records.append(Record(int(m["offset"]), int(m["ts"]), key_size, value_size,
                                              headers, key, value))
            continue
        m = _INDEX_ENTRY.match(line)
        if m and current.endswith(".index"):
            dump.index_entries[current].append((int(m["offset"]), int(m["position"])))
            continue
        m = _TIME_ENTRY.match(line)
        if m and current.endswith(".timeindex"):
            dump.time_entries[current].append((int(m["ts"]), int(m["offset"])))
            continue
        if line.endswith(" passed sanity check."):
            dump.sane.add(line[:-len(" passed sanity check.")])
        elif line.endswith(" is empty."):
            dump.empty.add(line[:-len(" is empty.")])
        elif line.startswith("Found ") and "invalid bytes" in line:
            dump.problems.append(f"{current}: {line}")
        elif line.startswith("Log starting offset: ") or line == "":
            pass
        else:
            dump.problems.append(f"unexpected output in {current}: {line}")
    pairs = None
    for line in stderr.splitlines():
        m = _NON_CONSECUTIVE_HEAD.match(line)
        if m:
            pairs = dump.non_consecutive.setdefault(m["path"], [])
            continue
        m = _NON_CONSECUTIVE_PAIR.match(line)
        if m and pairs is not None:
            pairs.append((int(m["a"]), int(m["b"])))
            continue
        pairs = None
        dump.problems.append(f"stderr: {line}")
    if returncode != 0:
        dump.problems.append(f"exit status {returncode}")
    return dump


def run(files, *options, timeout=600):
    """DumpLogSegments over `files` (one JVM for all of them) with the
    given options; the parsed Dump. Files go as one comma-separated list,
    in the order given."""
    if not files:
        raise ValueError("no files to dump")
    args = [*options, "--files", ",".join(files)]
    r = kafka_tools.run_main(kafka_tools.DUMP_LOG_SEGMENTS, args, timeout=timeout, check=False,
                             heap="512m")
    decoded = any(o.endswith("-decoder") or o.endswith("-decoder-class") for o in options)
    return parse(r.stdout, r.stderr, r.returncode, decoded)
