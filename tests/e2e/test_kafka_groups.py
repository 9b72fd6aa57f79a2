#!/usr/bin/env python3
"""The group and admin APIs of the Kafka listener (issue 14) driven by real
clients, each result checked through the other front end: a python3-kafka
group's commit is where `cat 0@group=NAME` resumes and back, topics that
KafkaAdminClient creates are directories on the mount with the configs
`getfattr` shows, kcat -G consumes as a group, and three consumers of one
group share a 4-partition topic, one killed, every record consumed once.
Needs kcat and python3-kafka for /usr/bin/python3 (scripts/setup.sh)."""

import os
import signal
import subprocess
import time

import kafka_tools
from kafka_listener_fixture import PYTHON3_WITH_KAFKA, KafkaListenerTestCase, offsets_of
from mount_fixture import main


class KafkaGroupsTestCase(KafkaListenerTestCase):
    """The listener beside the mount, for group and admin clients."""

    def write_lines(self, rel, lines):
        self.append(rel, "".join(line + "\n" for line in lines).encode())


# Consumes up to N records of topic T in group G, commits them, prints
# "offset value" per record.
CONSUME_AND_COMMIT = r"""
import sys
from kafka import KafkaConsumer, TopicPartition
broker, topic, group, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = KafkaConsumer(topic, bootstrap_servers=broker, group_id=group, auto_offset_reset="earliest",
                  enable_auto_commit=False, consumer_timeout_ms=20000)
got = []
for r in c:
    got.append(r)
    if len(got) == n:
        break
if got:
    c.commit()
for r in got:
    print(r.offset, r.value.decode())
c.close()
"""


class GroupOffsetsTest(KafkaGroupsTestCase):

    def test_a_kafka_group_commit_is_where_the_group_view_and_a_restarted_consumer_resume(self):
        self.mkdir("t")
        lines = [f"line-{i}" for i in range(10)]
        self.write_lines("t/0", lines)
        at = offsets_of(lines)
        out = self.python(CONSUME_AND_COMMIT, "t", "billing", "4").splitlines()
        self.assertEqual(out, [f"{at[i]} {lines[i]}" for i in range(4)])
        # The committed position is past record 3 and at most record 4's offset
        # (kafka-python commits a record's offset + 1, inside it: a view
        # resumes at the next record, as a Kafka fetch would).
        self.assertIn(int(self.xattr("t/0", "group.billing")), range(at[3] + 1, at[4] + 1))
        # A restarted consumer resumes there...
        out = self.python(CONSUME_AND_COMMIT, "t", "billing", "3").splitlines()
        self.assertEqual(out, [f"{at[i]} {lines[i]}" for i in range(4, 7)])
        # ... and so does the group view, which then commits the rest.
        self.assertEqual(self.read("t/0@group=billing").decode().splitlines(), lines[7:])
        out = self.python(CONSUME_AND_COMMIT.replace("20000", "3000"), "t", "billing", "1")
        self.assertEqual(out, "")

    def test_a_group_view_commit_is_where_a_kafka_consumer_resumes(self):
        self.mkdir("t")
        lines = [f"v{i}" for i in range(6)]
        self.write_lines("t/0", lines)
        self.assertEqual(self.read("t/0@group=shell,max=2").decode().splitlines(), lines[:2])
        out = self.python(CONSUME_AND_COMMIT, "t", "shell", "10").splitlines()
        self.assertEqual([o.split(" ", 1)[1] for o in out], lines[2:])

    def test_admin_client_lists_describes_and_deletes_groups(self):
        self.mkdir("t")
        self.write_lines("t/0", ["a", "b"])
        self.python(CONSUME_AND_COMMIT, "t", "g1", "2")
        out = self.python(r"""
import sys
from kafka import KafkaAdminClient
a = KafkaAdminClient(bootstrap_servers=sys.argv[1])
print(sorted(g[0] for g in a.list_consumer_groups()))
d = a.describe_consumer_groups(["g1"])[0]
print(d.state)
print({tp.topic + "/" + str(tp.partition): m.offset for tp, m in a.list_consumer_group_offsets("g1").items()})
print(a.delete_consumer_groups(["g1"]))
print(sorted(g[0] for g in a.list_consumer_groups()))
""").splitlines()
        self.assertIn("'g1'", out[0])
        self.assertEqual(out[1], "Empty")
        self.assertIn(out[2], ("{'t/0': 3}", "{'t/0': 4}"))  # past the last record "b" at 2
        self.assertIn("NoError", out[3])
        self.assertNotIn("'g1'", out[4])
        self.assertErrno(61, os.getxattr, self.path("t/0"), "user.topicfs.group.g1")  # ENODATA

    def test_kcat_consumes_as_a_group_and_commits(self):
        self.mkdir("t")
        lines = [f"k{i}" for i in range(5)]
        self.write_lines("t/0", lines)
        r = subprocess.run(["kcat", "-b", self.broker, "-G", "kc", "-X", "auto.offset.reset=earliest",
                            "-c", "5", "-f", "%o %s\n", "t"], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr.decode() + self.daemon.log())
        at = offsets_of(lines)
        self.assertEqual(r.stdout.decode().splitlines(), [f"{at[i]} {lines[i]}" for i in range(5)])
        # kcat commits what it consumed when it closes (enable.auto.commit):
        # past the last record, so the group view has nothing left.
        self.assertGreater(int(self.xattr("t/0", "group.kc")), at[4])
        self.assertEqual(self.read("t/0@group=kc"), b"")


ADMIN = r"""
import sys
from kafka import KafkaAdminClient
from kafka.admin import NewTopic, NewPartitions, ConfigResource, ConfigResourceType
from kafka.errors import InvalidReplicationFactorError, TopicAlreadyExistsError
a = KafkaAdminClient(bootstrap_servers=sys.argv[1])
"""


class AdminTest(KafkaGroupsTestCase):

    def test_created_topics_are_directories_with_their_configs(self):
        self.python(ADMIN + r"""
a.create_topics([NewTopic("made", 3, 1, topic_configs={"retention.ms": "60000", "cleanup.policy": "compact"})])
""")
        self.assertEqual(sorted(os.listdir(self.path("made"))), ["0", "1", "2"])
        self.assertEqual(self.xattr("made", "retention.ms"), "60000")
        self.assertEqual(self.xattr("made", "cleanup.policy"), "compact")
        self.assertEqual(self.xattr("made", "partitions"), "3")

    def test_refused_creations_change_nothing(self):
        self.mkdir("there")
        out = self.python(ADMIN + r"""
for topic in (NewTopic("two", 1, 2), NewTopic("there", 1, 1), NewTopic("bad", 1, 1, topic_configs={"segment.bytes": "10"})):
    try:
        a.create_topics([topic])
        print("created", topic.name)
    except Exception as e:
        print(type(e).__name__)
""").splitlines()
        self.assertEqual(out, ["InvalidReplicationFactorError", "TopicAlreadyExistsError", "InvalidConfigurationError"])
        self.assertEqual(sorted(os.listdir(self.mnt)), ["there"])

    def test_deleted_topics_leave_the_mount(self):
        self.mkdir("gone")
        self.python(ADMIN + 'a.delete_topics(["gone"])\n')
        self.wait_for(lambda: not os.path.exists(self.path("gone")), 10, "the topic's directory going")

    def test_create_partitions_grows_the_topic(self):
        self.mkdir("grow")
        self.python(ADMIN + 'a.create_partitions({"grow": NewPartitions(4)})\n')
        self.assertEqual(sorted(os.listdir(self.path("grow"))), ["0", "1", "2", "3"])

    def test_configs_described_and_altered_are_the_xattrs(self):
        self.mkdir("c")
        os.setxattr(self.path("c"), "user.topicfs.retention.ms", b"120000")
        out = self.python(ADMIN + r"""
r = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "c")])[0]
entries = {e[0]: (e[1], e[3]) for e in r.resources[0][4]}
print(entries["retention.ms"])
print(entries["segment.bytes"])
a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "c", configs={"retention.bytes": "1048576"})])
""").splitlines()
        self.assertEqual(out[0], "('120000', 1)")  # TOPIC_CONFIG
        self.assertEqual(out[1], "('1073741824', 5)")  # DEFAULT_CONFIG
        # AlterConfigs replaces the whole config: retention.ms is back to its default.
        self.assertEqual(self.xattr("c", "retention.bytes"), "1048576")
        self.assertEqual(self.xattr("c", "retention.ms"), "604800000")

    def test_an_invalid_config_is_refused_as_setfattr_refuses_it(self):
        self.mkdir("c")
        out = self.python(ADMIN + r"""
r = a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "c", configs={"cleanup.policy": "COMPACT"})])
print(r.resources[0][0])
""").splitlines()
        self.assertEqual(out, ["40"])  # INVALID_CONFIG
        self.assertEqual(self.xattr("c", "cleanup.policy"), "delete")

    def test_broker_configs_are_the_mount_roots_defaults(self):
        out = self.python(ADMIN + r"""
a.alter_configs([ConfigResource(ConfigResourceType.BROKER, "1", configs={"retention.ms": "3600000"})])
r = a.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")])[0]
print({e[0]: e[1] for e in r.resources[0][4]}["retention.ms"])
""").splitlines()
        self.assertEqual(out, ["3600000"])
        self.assertEqual(self.xattr("", "retention.ms"), "3600000")


# One member of group "rb": prints "partition offset value" per record,
# committing after each poll.
REBALANCE_MEMBER = r"""
import sys
from kafka import KafkaConsumer
c = KafkaConsumer("rb", bootstrap_servers=sys.argv[1], group_id="rb", auto_offset_reset="earliest",
                  enable_auto_commit=False, session_timeout_ms=6000, heartbeat_interval_ms=1000,
                  max_poll_records=10)
while True:
    batch = c.poll(timeout_ms=200)
    for tp, records in batch.items():
        for r in records:
            print(tp.partition, r.offset, r.value.decode(), flush=True)
    if batch:
        c.commit()
"""


class RebalanceTest(KafkaGroupsTestCase):

    def test_three_consumers_one_killed_every_record_consumed_once(self):
        self.mkdir("rb")
        os.setxattr(self.path("rb"), "user.topicfs.partitions", b"4")
        outs, members = [], []
        for i in range(3):
            f = open(os.path.join(self.tmp, f"member-{i}.out"), "w+")
            self.addCleanup(f.close)
            outs.append(f)
            members.append(subprocess.Popen([PYTHON3_WITH_KAFKA, "-c", REBALANCE_MEMBER, self.broker],
                                            stdout=f, stderr=subprocess.STDOUT))
        self.addCleanup(lambda: [m.kill() for m in members])

        def printed(i):
            with open(outs[i].name) as r:
                return [tuple(line.split(" ", 2)) for line in r.read().splitlines() if line.count(" ") >= 2]

        def consumed():
            return [record for i in range(len(outs)) for record in printed(i)]

        expected = set()
        for p in range(4):
            lines = [f"p{p}-first-{i}" for i in range(25)]
            self.write_lines(f"rb/{p}", lines)
            expected |= {(str(p), line) for line in lines}
        self.wait_for(lambda: len(consumed()) >= 100, 60, "the first 100 records")
        time.sleep(1)  # the last commits land
        # Kill a member that holds partitions.
        victim = [i for i in range(len(outs)) if printed(i)][0]
        members[victim].send_signal(signal.SIGKILL)
        members[victim].wait()
        for p in range(4):
            lines = [f"p{p}-second-{i}" for i in range(25)]
            self.write_lines(f"rb/{p}", lines)
            expected |= {(str(p), line) for line in lines}
        self.wait_for(lambda: len(consumed()) >= 200, 90, "all 200 records, after the rebalance")
        time.sleep(2)
        got = [(p, v) for p, _, v in consumed()]
        self.assertEqual(len(got), len(set(got)), "a record was consumed twice")
        self.assertEqual(set(got), expected)


class JavaToolsTest(KafkaGroupsTestCase):
    """Kafka 4.4's own command-line tools, through their main classes (the
    jars from kafka_tools' cache: skipped without them, unless
    TOPICFS_REQUIRE_KAFKA=1 makes that a failure)."""

    @classmethod
    def setUpClass(cls):
        kafka_tools.jars_or_skip()
        super().setUpClass()

    def tool(self, main_class, *args, input=None):
        r = kafka_tools.run_main(main_class, ["--bootstrap-server", self.broker, *args], timeout=120, check=False,
                                 input=input)
        if r.returncode != 0:
            self.fail(f"{main_class} {' '.join(args)} failed:\n{r.stderr}\n{self.daemon.log()}")
        return r.stdout

    def test_kafka_topics_and_kafka_configs_are_the_mount_and_its_xattrs(self):
        self.tool("org.apache.kafka.tools.TopicCommand", "--create", "--topic", "jt", "--partitions", "2",
                  "--config", "retention.ms=5000")
        self.assertEqual(sorted(os.listdir(self.path("jt"))), ["0", "1"])
        self.assertEqual(self.xattr("jt", "retention.ms"), "5000")
        out = self.tool("org.apache.kafka.tools.TopicCommand", "--describe", "--topic", "jt")
        self.assertIn("PartitionCount: 2\tReplicationFactor: 1", out)
        configs = "org.apache.kafka.tools.ConfigCommand"
        self.tool(configs, "--entity-type", "topics", "--entity-name", "jt", "--alter",
                  "--add-config", "retention.ms=7000,cleanup.policy=compact")
        self.assertEqual(self.xattr("jt", "retention.ms"), "7000")
        self.assertEqual(self.xattr("jt", "cleanup.policy"), "compact")
        self.tool(configs, "--entity-type", "topics", "--entity-name", "jt", "--alter",
                  "--delete-config", "cleanup.policy")
        self.assertEqual(self.xattr("jt", "cleanup.policy"), "delete")
        out = self.tool(configs, "--entity-type", "topics", "--entity-name", "jt", "--describe")
        self.assertIn("retention.ms=7000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=7000}", out)

    def test_console_producer_lines_are_what_cat_prints(self):
        self.mkdir("jp")
        self.tool("org.apache.kafka.tools.ConsoleProducer", "--topic", "jp", input="one\ntwo\nthree\n")
        self.assertEqual(self.read("jp/0"), b"one\ntwo\nthree\n")

    def test_kafka_delete_records_moves_the_log_start_the_xattrs_and_consumers_see(self):
        self.mkdir("jd")
        lines = [f"record {i}" for i in range(6)]
        self.write_lines("jd/0", lines)
        at = offsets_of(lines)
        spec = os.path.join(self.tmp, "delete-records.json")
        with open(spec, "w") as f:
            f.write('{"version": 1, "partitions": [{"topic": "jd", "partition": 0, "offset": %d}]}' % at[3])
        out = self.tool("org.apache.kafka.tools.DeleteRecordsCommand", "--offset-json-file", spec)
        self.assertIn(f"partition: jd-0\tlow_watermark: {at[3]}", out)
        self.assertEqual(self.xattr("jd/0", "log_start_offset"), str(at[3]))
        self.assertEqual(os.stat(self.path("jd", "0")).st_size, at[-1] + len(lines[-1]) + 1)
        out = self.tool("org.apache.kafka.tools.consumer.ConsoleConsumer", "--topic", "jd", "--from-beginning",
                        "--max-messages", "3")
        self.assertEqual(out.splitlines(), lines[3:])

    def test_console_consumer_group_is_the_group_view(self):
        self.mkdir("jc")
        self.write_lines("jc/0", ["a", "b", "c"])
        out = self.tool("org.apache.kafka.tools.consumer.ConsoleConsumer", "--topic", "jc", "--group", "jg",
                        "--from-beginning", "--max-messages", "2")
        self.assertEqual(out.splitlines(), ["a", "b"])
        # Committed past "b" (at 2): the group view goes on with "c".
        self.assertEqual(self.read("jc/0@group=jg"), b"c\n")
        out = self.tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--describe", "--group", "jg")
        self.assertRegex(out, r"jg\s+jc\s+0\s+6\s+6\s+0")


if __name__ == "__main__":
    main()
