#!/usr/bin/env python3
"""Apache Kafka's own tools as test oracles: its jars, its main classes, a
single-node KRaft broker on loopback.

Kafka is never part of topicfs: its jars are resolved from Maven Central
with `mvn dependency:copy-dependencies` into a cache outside the source
tree, once, and reused (offline) by every later run:

    $TOPICFS_KAFKA_CACHE, else ~/.cache/topicfs/kafka-<version>/
        libs/*.jar          the broker, the tools and what they need
        log4j2-tools.properties, log4j2-broker.properties

Use from a test:

    import kafka_tools
    out = kafka_tools.run_main("org.apache.kafka.tools.DumpLogSegments",
                               ["--deep-iteration", "--files", f])
    with kafka_tools.KafkaBroker() as broker:      # formatted, started, ready
        broker.create_topic("orders", partitions=2)
        broker.run_tool("org.apache.kafka.tools.consumer.ConsoleConsumer", [...])
    # stopped here, also when the block raised

and from a shell (scripts/kafka.sh calls this file):

    python3 tests/e2e/kafka_tools.py fetch            # resolve the jars now
    python3 tests/e2e/kafka_tools.py run CLASS ARGS   # run one main class
    python3 tests/e2e/kafka_tools.py broker           # a broker until Ctrl-C

Every broker this process started is stopped at exit (atexit, and SIGTERM
turned into an exit), so an interrupted run leaves no JVM behind.
Python 3 standard library only.
"""

import atexit
import base64
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

KAFKA_VERSION = "4.4.0"
SCALA_VERSION = "2.13"
# log4j-core is what Kafka's jars log through; the slf4j 1.x binding routes
# the classes that log through slf4j (the broker's Scala code) to it, else
# SLF4J prints a warning on every start and their lines are lost.
LOG4J_VERSION = "2.25.5"

# Main classes of Kafka 4.4 (the tools moved from kafka.tools to
# org.apache.kafka.tools in 4.x; the broker and StorageTool did not).
BROKER_MAIN = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"
DUMP_LOG_SEGMENTS = "org.apache.kafka.tools.DumpLogSegments"
TOPIC_COMMAND = "org.apache.kafka.tools.TopicCommand"
CONSOLE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer"
CONSOLE_PRODUCER = "org.apache.kafka.tools.ConsoleProducer"

_POM = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>topicfs.tests</groupId>
  <artifactId>kafka-oracle</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_{SCALA_VERSION}</artifactId>
      <version>{KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId>
      <version>{KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId>
      <version>{LOG4J_VERSION}</version></dependency>
  </dependencies>
</project>
"""

# Tools print warnings and errors only, to stderr; the broker logs at INFO
# into its own file (its "Kafka Server started" line is how readiness shows).
_LOG4J_TOOLS = """status = error
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = err
"""
_LOG4J_BROKER = _LOG4J_TOOLS.replace("rootLogger.level = warn", "rootLogger.level = info")

# MirrorMaker 2 (connect-mirror) is served by Maven Central up to 4.3.1:
# it runs on its own jars of that version, against brokers of any 4.x.
MIRROR_MAKER_VERSION = "4.3.1"
_MIRROR_MAKER_POM = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>topicfs.tests</groupId>
  <artifactId>mirror-maker-oracle</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-mirror</artifactId>
      <version>{MIRROR_MAKER_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId>
      <version>{LOG4J_VERSION}</version></dependency>
  </dependencies>
</project>
"""

_MARKER = ".complete"  # written last: a cache without it is resolved again


class KafkaUnavailable(Exception):
    """Java or Maven is missing, or Maven could not resolve the jars."""


def cache_dir():
    return os.environ.get("TOPICFS_KAFKA_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "topicfs", f"kafka-{KAFKA_VERSION}")


def libs_dir():
    return os.path.join(cache_dir(), "libs")


def _log4j_config(kind):
    return os.path.join(cache_dir(), f"log4j2-{kind}.properties")


def ensure_jars(quiet=False):
    """Resolves Kafka's jars into the cache unless they are there; returns
    the libs directory."""
    libs = _resolve(libs_dir(), _POM, f"Apache Kafka {KAFKA_VERSION}", quiet)
    for kind, text in (("tools", _LOG4J_TOOLS), ("broker", _LOG4J_BROKER)):
        if not os.path.exists(_log4j_config(kind)):
            with open(_log4j_config(kind), "w") as f:
                f.write(text)
    return libs


def ensure_mirror_maker_jars(quiet=False):
    """MirrorMaker 2's jars (connect-mirror and its own Kafka clients and
    Connect runtime, of MIRROR_MAKER_VERSION) in a cache of their own."""
    ensure_jars(quiet)  # the log4j configs
    return _resolve(mirror_maker_libs_dir(), _MIRROR_MAKER_POM, f"MirrorMaker 2 {MIRROR_MAKER_VERSION}", quiet)


def mirror_maker_libs_dir():
    return os.path.join(os.path.dirname(cache_dir()), f"mirror-maker-{MIRROR_MAKER_VERSION}", "libs")


def _resolve(libs, pom, what, quiet):
    """The jars `pom` depends on, copied into `libs` by Maven unless a
    marker says they are there. Concurrent callers (ctest -j) wait on one
    lock, so one of them downloads. Maven is asked offline first (its local
    repository may already hold everything), then online."""
    marker = os.path.join(libs, _MARKER)
    if os.path.exists(marker):
        return libs
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            raise KafkaUnavailable(f"{tool} not found: Kafka's tools need a JDK and Maven "
                                   "(scripts/setup.sh installs them)")
    top = os.path.dirname(libs)
    os.makedirs(top, exist_ok=True)
    with open(os.path.join(top, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(marker):
            return libs
        if not quiet:
            sys.stderr.write(f"kafka_tools: resolving {what}'s jars with Maven into {libs} "
                             "(once; later runs reuse them)\n")
        staging = libs + ".partial"
        shutil.rmtree(staging, ignore_errors=True)
        with tempfile.TemporaryDirectory(prefix="topicfs-kafka-pom-") as pom_dir:
            with open(os.path.join(pom_dir, "pom.xml"), "w") as f:
                f.write(pom)
            errors = ""
            for offline in (True, False):
                cmd = ["mvn", "-B", "-q", *(["-o"] if offline else []),
                       "dependency:copy-dependencies", f"-DoutputDirectory={staging}",
                       "-DincludeScope=runtime"]
                r = subprocess.run(cmd, cwd=pom_dir, capture_output=True, text=True)
                if r.returncode == 0:
                    break
                errors = r.stdout[-3000:] + r.stderr[-3000:]
            else:
                raise KafkaUnavailable(f"mvn could not resolve {what}:\n{errors}")
        with open(os.path.join(staging, _MARKER), "w") as f:
            f.write(f"{what}\n")
        shutil.rmtree(libs, ignore_errors=True)
        os.rename(staging, libs)
    return libs


def jars_or_skip(test_case=None):
    """ensure_jars() for a test: a machine without Java or Maven, or one
    that cannot reach Maven Central with an empty cache, skips the test,
    unless TOPICFS_REQUIRE_KAFKA=1 (scripts/test.sh sets it) makes that a
    failure."""
    try:
        return ensure_jars()
    except KafkaUnavailable as e:
        if os.environ.get("TOPICFS_REQUIRE_KAFKA") == "1":
            raise AssertionError(f"Kafka's tools are required (TOPICFS_REQUIRE_KAFKA=1): {e}")
        raise unittest.SkipTest(f"Kafka's tools are not available: {e}")


def java_command(main_class, args=(), heap="256m", log4j="tools", jvm_args=(), libs=None):
    """The argv that runs one Kafka main class from the cache (or from
    `libs`, MirrorMaker 2's)."""
    libs = libs or ensure_jars()
    # The serial collector keeps a test's JVMs small, unless jvm_args choose one.
    collector = [] if any(a.startswith("-XX:+Use") and a.endswith("GC") for a in jvm_args) else ["-XX:+UseSerialGC"]
    return ["java", f"-Xmx{heap}", *collector, "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={_log4j_config(log4j)}", *jvm_args,
            "-cp", os.path.join(libs, "*"), main_class, *args]


def run_main(main_class, args=(), timeout=300, check=True, heap="256m", input=None):
    """Runs a Kafka main class to completion; returns the CompletedProcess
    (text stdout and stderr). With check, a nonzero exit raises
    AssertionError holding both streams."""
    cmd = java_command(main_class, args, heap=heap)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input,
                       stdin=None if input is not None else subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise AssertionError(f"{main_class} exited with {r.returncode}\nargs: {list(args)}\n"
                             f"stdout (tail): {r.stdout[-4000:]}\nstderr (tail): {r.stderr[-4000:]}")
    return r


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def random_cluster_id():
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")


# Every broker started and not yet stopped, so an interrupted run stops them.
_live_brokers = set()


@atexit.register
def _stop_every_broker():
    for broker in list(_live_brokers):
        try:
            broker.stop()
        except Exception:  # noqa: BLE001 - last-ditch cleanup
            pass


if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
    # Exit through sys.exit so the atexit hook above still runs (the mount
    # fixture installs the same handler when it is imported).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


class KafkaBroker:
    """A single-node Kafka broker (KRaft, broker and controller in one
    process) on free loopback ports, with its log directory in a temporary
    directory of its own (or `log_dir`).

    start() formats the log directory with StorageTool on the first start
    only, starts the JVM and returns once the broker logged that it started
    and its port accepts connections; stop() ends it with SIGTERM (a clean
    shutdown: Kafka writes .kafka_cleanshutdown) and SIGKILL after
    `stop_timeout`. Start and stop again to restart on the same log
    directory (a test that swaps partition directories does so while it is
    stopped). As a context manager it starts and always stops; close()
    also removes the temporary directory. `overrides` are extra
    server.properties lines (name -> value); `jvm_args` extra JVM options
    (a collector among them replaces the serial one)."""

    def __init__(self, log_dir=None, overrides=None, heap="512m", start_timeout=120,
                 stop_timeout=60, jvm_args=()):
        self.tmp = tempfile.mkdtemp(prefix="topicfs-kafka-")
        self.log_dir = log_dir or os.path.join(self.tmp, "kafka-logs")
        self.config_path = os.path.join(self.tmp, "server.properties")
        self.log_path = os.path.join(self.tmp, "broker.log")
        self.overrides = dict(overrides or {})
        self.heap = heap
        self.jvm_args = tuple(jvm_args)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.port = None
        self.controller_port = None
        self.proc = None
        self.formatted = False
        self.cluster_id = random_cluster_id()

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def _write_config(self):
        config = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": self.log_dir,
            # One node: every internal topic with one replica.
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
            **self.overrides,
        }
        with open(self.config_path, "w") as f:
            f.writelines(f"{k}={v}\n" for k, v in config.items())

    def start(self):
        if self.proc is not None:
            return self
        ensure_jars()
        # New ports on every start: the old ones may linger in TIME_WAIT.
        self.port, self.controller_port = free_port(), free_port()
        self._write_config()
        if not self.formatted:
            run_main(STORAGE_TOOL, ["format", "-t", self.cluster_id, "-c", self.config_path],
                     timeout=120)
            self.formatted = True
        log = open(self.log_path, "a")
        log.write(f"----- start on port {self.port} -----\n")
        log.flush()
        try:
            self.proc = subprocess.Popen(
                java_command(BROKER_MAIN, [self.config_path], heap=self.heap, log4j="broker",
                             jvm_args=self.jvm_args),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        finally:
            log.close()
        _live_brokers.add(self)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self):
        started_mark = f"----- start on port {self.port} -----"
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the Kafka broker exited with {self.proc.returncode} while "
                                     f"starting:\n{self.log_tail()}")
            text = self.log()
            if "Kafka Server started" in text.rpartition(started_mark)[2]:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        return
                except OSError:
                    pass
            time.sleep(0.2)
        raise AssertionError(f"the Kafka broker did not start within {self.start_timeout}s:\n"
                             f"{self.log_tail()}")

    def stop(self):
        """Clean shutdown (SIGTERM), SIGKILL if it takes too long. Returns
        the exit status (None if it was not running)."""
        proc, self.proc = self.proc, None
        _live_brokers.discard(self)
        if proc is None:
            return None
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        return proc.returncode

    def close(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc):
        self.close()

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, chars=8000):
        return self.log()[-chars:]

    # ---- tools against this broker --------------------------------------

    def run_tool(self, main_class, args=(), **kwargs):
        return run_main(main_class, args, **kwargs)

    def create_topic(self, name, partitions=1, configs=None):
        args = ["--bootstrap-server", self.bootstrap, "--create", "--topic", name,
                "--partitions", str(partitions), "--replication-factor", "1"]
        for k, v in (configs or {}).items():
            args += ["--config", f"{k}={v}"]
        return run_main(TOPIC_COMMAND, args, timeout=120)

    def consume(self, topic, max_messages, partition=None, timeout_ms=30000, properties=None,
                extra_args=()):
        """Kafka's console consumer from the beginning: its stdout lines.
        `properties` are its formatter's --property name=value settings."""
        args = ["--bootstrap-server", self.bootstrap, "--topic", topic, "--from-beginning",
                "--max-messages", str(max_messages), "--timeout-ms", str(timeout_ms)]
        if partition is not None:
            args += ["--partition", str(partition)]
        for k, v in (properties or {}).items():
            args += ["--formatter-property", f"{k}={v}"]
        r = run_main(CONSOLE_CONSUMER, [*args, *extra_args], timeout=timeout_ms / 1000 + 120,
                     check=False)
        return r


MIRROR_MAKER_MAIN = "org.apache.kafka.connect.mirror.MirrorMaker"


class MirrorMaker:
    """Kafka's MirrorMaker 2 in dedicated mode between two clusters named
    "topicfs" and "kafka" (their bootstrap addresses), replicating `topics`
    (a regex) for the `flows` given ("topicfs->kafka", "kafka->topicfs"),
    with the 1-node replication settings and checkpoints, group offset
    syncs and topic refreshes every second. Its log goes to `log_path`."""

    def __init__(self, topicfs, kafka, flows, topics, log_path, extra=None):
        self.log_path = log_path
        props = {
            "clusters": "topicfs, kafka",
            "topicfs.bootstrap.servers": topicfs,
            "kafka.bootstrap.servers": kafka,
            "topicfs->kafka.enabled": str("topicfs->kafka" in flows).lower(),
            "kafka->topicfs.enabled": str("kafka->topicfs" in flows).lower(),
            "topics": topics,
            "groups": ".*",
            "tasks.max": "1",
            "refresh.topics.interval.seconds": "1",
            "refresh.groups.interval.seconds": "1",
            "emit.checkpoints.interval.seconds": "1",
            "sync.group.offsets.enabled": "true",
            "sync.group.offsets.interval.seconds": "1",
            **{f"{t}.replication.factor": "1" for t in (
                "checkpoints.topic", "heartbeats.topic", "offset-syncs.topic", "offset.storage",
                "status.storage", "config.storage")},
            "replication.factor": "1",
            **(extra or {}),
        }
        self.properties = log_path + ".properties"
        with open(self.properties, "w") as f:
            f.write("".join(f"{k} = {v}\n" for k, v in props.items()))
        cmd = java_command(MIRROR_MAKER_MAIN, [self.properties], heap="512m", libs=ensure_mirror_maker_jars())
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_tail(self, chars=6000):
        with open(self.log_path, errors="replace") as f:
            return f.read()[-chars:]


def _main(argv):
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch", help="resolve Kafka's jars into the cache (if not there yet)")
    sub.add_parser("libs", help="print the directory holding the jars")
    run = sub.add_parser("run", help="run one Kafka main class with the cached jars")
    run.add_argument("main_class")
    run.add_argument("args", nargs=argparse.REMAINDER)
    sub.add_parser("broker", help="start a single-node broker, print its address, stop at Ctrl-C")
    opts = parser.parse_args(argv)
    try:
        libs = ensure_jars()
    except KafkaUnavailable as e:
        sys.stderr.write(f"kafka_tools: {e}\n")
        return 1
    if opts.command in ("fetch", "libs"):
        print(libs)
        return 0
    if opts.command == "run":
        return subprocess.call(java_command(opts.main_class, opts.args))
    with KafkaBroker() as broker:
        print(f"Kafka {KAFKA_VERSION} on {broker.bootstrap}, log dir {broker.log_dir}, "
              f"log {broker.log_path}; Ctrl-C stops it", flush=True)
        try:
            while broker.proc.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
