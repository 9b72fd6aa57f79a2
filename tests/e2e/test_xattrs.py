#!/usr/bin/env python3
"""Configuration through xattrs: topic configs, root defaults, partition
figures, and the partitions count."""

import errno
import os

from mount_fixture import MountedTestCase, PREFIX, lines_text, main

DEFAULTS = {
    "cleanup.policy": "delete",
    "retention.ms": "604800000",
    "retention.bytes": "-1",
    "segment.bytes": "1073741824",
    "max.message.bytes": "1048588",
    "partitions": "1",
}


def name(config):
    return (PREFIX + config).encode()


class TopicConfigTest(MountedTestCase):

    def setUp(self):
        super().setUp()
        self.mkdir("t")

    def test_defaults_are_listed_by_getfattr_d(self):
        listed = self.getfattr_d("t")
        for key, value in DEFAULTS.items():
            self.assertEqual(listed.get(key), value, key)
        # Every config is listed, key.separator (empty: lines have no key) too.
        listed_names = os.listxattr(self.path("t"))
        self.assertIn(PREFIX + "key.separator", listed_names)
        self.assertEqual(self.xattr("t", "key.separator"), "")
        # Kafka's internal (test-only) names only when set.
        self.assertNotIn(PREFIX + "internal.segment.bytes", listed_names)
        self.assertErrno(errno.ENODATA, os.getxattr, self.path("t"), name("internal.segment.bytes"))

    def test_setfattr_and_getfattr_d_round_trip(self):
        self.sh("setfattr -n user.topicfs.retention.ms -v 3600000 t")
        self.sh("setfattr -n user.topicfs.cleanup.policy -v compact t")
        self.sh("setfattr -n user.topicfs.key.separator -v : t")
        self.sh("setfattr -n user.topicfs.segment.bytes -v 1048576 t")
        listed = self.getfattr_d("t")
        self.assertEqual(listed["retention.ms"], "3600000")
        self.assertEqual(listed["cleanup.policy"], "compact")
        self.assertEqual(listed["key.separator"], ":")
        self.assertEqual(listed["segment.bytes"], "1048576")
        self.assertEqual(listed["retention.bytes"], "-1")  # untouched
        r = self.sh("getfattr --only-values -n user.topicfs.retention.ms t")
        self.assertEqual(r.stdout, b"3600000")
        self.sh("setfattr -n user.topicfs.cleanup.policy -v delete,compact t")
        self.assertEqual(self.xattr("t", "cleanup.policy"), "delete,compact")

    def test_bad_value_fails_einval_and_changes_nothing(self):
        self.sh("setfattr -n user.topicfs.retention.ms -v 5000 t")
        before = self.getfattr_d("t")
        self.assertShellFails("setfattr -n user.topicfs.retention.ms -v abc t", "Invalid argument")
        self.assertErrno(errno.EINVAL, os.setxattr, self.path("t"), name("retention.ms"), b"12x")
        self.assertErrno(errno.EINVAL, os.setxattr, self.path("t"), name("cleanup.policy"), b"bogus")
        self.assertErrno(errno.EINVAL, os.setxattr, self.path("t"), name("no.such.config"), b"1")
        self.assertEqual(self.getfattr_d("t"), before)
        self.assertEqual(self.xattr("t", "retention.ms"), "5000")
        # A log line says why.
        self.assertIn("retention.ms 'abc'", self.daemon.log())
        self.assertIn("nothing changed", self.daemon.log())

    def test_out_of_range_value_fails_erange_and_changes_nothing(self):
        before = self.getfattr_d("t")
        self.assertShellFails("setfattr -n user.topicfs.segment.bytes -v 1 t",
                              "Numerical result out of range")
        self.assertErrno(errno.ERANGE, os.setxattr, self.path("t"),
                         name("min.cleanable.dirty.ratio"), b"2")
        self.assertEqual(self.getfattr_d("t"), before)

    def test_unknown_attribute_reads_enodata(self):
        self.assertErrno(errno.ENODATA, os.getxattr, self.path("t"), name("no.such.config"))
        self.assertErrno(errno.ENODATA, os.getxattr, self.path("t"), b"user.other")

    def test_setfattr_x_restores_the_default(self):
        self.sh("setfattr -n user.topicfs.retention.ms -v 1000 t")
        self.sh("setfattr -x user.topicfs.retention.ms t")
        self.assertEqual(self.xattr("t", "retention.ms"), DEFAULTS["retention.ms"])
        self.sh("setfattr -n user.topicfs.key.separator -v = t")
        self.sh("setfattr -x user.topicfs.key.separator t")
        self.assertEqual(self.xattr("t", "key.separator"), "")

    def test_values_survive_remount(self):
        self.sh("setfattr -n user.topicfs.retention.ms -v 3600000 t")
        self.sh("setfattr -n user.topicfs.cleanup.policy -v compact t")
        self.sh("setfattr -n user.topicfs.key.separator -v : t")
        self.sh("setfattr -n user.topicfs.retention.ms -v 777 .")  # root default
        before = self.getfattr_d("t")
        root_before = self.configs(".")
        self.remount()
        self.assertEqual(self.getfattr_d("t"), before)
        self.assertEqual(self.configs("."), root_before)
        self.assertEqual(self.xattr("t", "retention.ms"), "3600000")
        self.assertEqual(self.xattr(".", "retention.ms"), "777")

    def test_config_takes_effect_without_remount(self):
        self.sh("setfattr -n user.topicfs.internal.segment.bytes -v 4096 t")
        content = lines_text("s", 2000)
        self.append_in_writes("t/0", content, 2048)
        figures = self.figures("t/0")
        self.assertGreater(figures["segments"], 10)
        self.assertEqual(figures["log_end_offset"], len(content))
        self.assertEqual(self.read("t", "0"), content)


# What Kafka's LogConfig refuses (storage/.../log/LogConfig.java, ConfigDef's
# Range and ValidList), with the errno topicfs answers: a value that does
# not parse or is not one of the allowed words is EINVAL, a number outside
# its range ERANGE. Blanks at a value's ends Kafka trims; topicfs refuses
# them (EINVAL), for words as for numbers.
KAFKA_REFUSES = [
    ("cleanup.policy", " compact", errno.EINVAL),
    ("cleanup.policy", "compact ", errno.EINVAL),
    ("cleanup.policy", "COMPACT", errno.EINVAL),
    ("cleanup.policy", "Delete", errno.EINVAL),
    ("cleanup.policy", "delete,delete", errno.EINVAL),
    ("cleanup.policy", "compact,delete,compact", errno.EINVAL),
    ("cleanup.policy", "delete,", errno.EINVAL),
    ("cleanup.policy", "archive", errno.EINVAL),
    ("segment.bytes", "14", errno.ERANGE),          # atLeast(1024 * 1024)
    ("segment.bytes", "1048575", errno.ERANGE),
    ("segment.bytes", "2147483648", errno.ERANGE),  # an INT
    ("segment.ms", "0", errno.ERANGE),              # atLeast(1)
    ("segment.index.bytes", "3", errno.ERANGE),     # atLeast(4)
    ("index.interval.bytes", "-1", errno.ERANGE),   # atLeast(0)
    ("max.message.bytes", "-1", errno.ERANGE),      # atLeast(0)
    ("retention.ms", "-2", errno.ERANGE),           # atLeast(-1)
    ("retention.bytes", "9223372036854775808", errno.ERANGE),  # a LONG, any sign
    ("delete.retention.ms", "-1", errno.ERANGE),
    ("min.compaction.lag.ms", "-1", errno.ERANGE),
    ("max.compaction.lag.ms", "0", errno.ERANGE),   # atLeast(1)
    ("file.delete.delay.ms", "-1", errno.ERANGE),
    ("flush.messages", "0", errno.ERANGE),          # atLeast(1)
    ("flush.ms", "-1", errno.ERANGE),
    ("min.cleanable.dirty.ratio", "1.01", errno.ERANGE),  # between(0, 1)
    ("min.cleanable.dirty.ratio", "-0.5", errno.ERANGE),
    ("min.cleanable.dirty.ratio", "half", errno.EINVAL),
    ("retention.ms", "1h", errno.EINVAL),
    ("segment.ms", " 5", errno.EINVAL),
    ("internal.segment.bytes", "82", errno.ERANGE),  # no batch of one record fits
]

# Accepted by Kafka, and so here.
KAFKA_ACCEPTS = [
    ("cleanup.policy", "compact, delete", "delete,compact"),
    ("cleanup.policy", "compact,delete", "delete,compact"),
    ("segment.bytes", "1048576", "1048576"),
    ("retention.bytes", "-5", "-5"),
    ("retention.ms", "-1", "-1"),
    ("max.message.bytes", "0", "0"),
    ("min.cleanable.dirty.ratio", "1", "1"),
]


class KafkaValidationTest(MountedTestCase):

    def setUp(self):
        super().setUp()
        self.mkdir("t")

    def test_every_value_kafka_refuses_is_refused_on_a_topic_and_the_root(self):
        for where in ("t", "."):
            before = self.configs(where)
            for config, value, expected in KAFKA_REFUSES:
                with self.subTest(where=where, config=config, value=value):
                    self.assertErrno(expected, os.setxattr, self.path(where), name(config),
                                     value.encode())
            self.assertEqual(self.configs(where), before, "a refused value changed something")
        self.assertIn("names delete twice", self.daemon.log())
        self.assertIn("below the minimum 1048576", self.daemon.log())

    def test_a_compaction_lag_pair_kafka_refuses_is_refused(self):
        self.sh("setfattr -n user.topicfs.max.compaction.lag.ms -v 1000 t")
        self.assertErrno(errno.EINVAL, os.setxattr, self.path("t"), name("min.compaction.lag.ms"),
                         b"2000")
        self.assertEqual(self.xattr("t", "min.compaction.lag.ms"), "0")

    def test_what_kafka_accepts_is_accepted(self):
        for config, value, shown in KAFKA_ACCEPTS:
            with self.subTest(config=config, value=value):
                os.setxattr(self.path("t"), name(config), value.encode())
                self.assertEqual(self.xattr("t", config), shown)

    def test_internal_segment_bytes_gives_small_segments_and_shows_while_set(self):
        self.sh("setfattr -n user.topicfs.internal.segment.bytes -v 1024 t")
        self.assertEqual(self.getfattr_d("t")["internal.segment.bytes"], "1024")
        self.assertEqual(self.xattr("t", "segment.bytes"), "1073741824")
        self.append_in_writes("t/0", lines_text("s", 200), 512)
        self.assertGreater(self.figures("t/0")["segments"], 5)
        self.sh("setfattr -x user.topicfs.internal.segment.bytes t")
        self.assertNotIn("internal.segment.bytes", self.getfattr_d("t"))


class GroupXattrValidationTest(MountedTestCase):

    def setUp(self):
        super().setUp()
        self.mkdir("t")
        self.append("t/0", lines_text("g", 10))

    def test_a_group_name_no_view_could_name_is_refused(self):
        for group in ("a..b", "..", "a,b"):
            with self.subTest(group=group):
                self.assertErrno(errno.EINVAL, os.setxattr, self.path("t/0"),
                                 name("group." + group), b"0")
        self.assertErrno(errno.EINVAL, os.setxattr, self.path("t/0"), name("group."), b"0")
        self.assertEqual([n for n in os.listxattr(self.path("t/0")) if ".group." in n], [])

    def test_a_group_offset_past_the_log_end_is_refused(self):
        end = self.figures("t/0")["log_end_offset"]
        self.assertErrno(errno.ERANGE, os.setxattr, self.path("t/0"), name("group.g"),
                         str(end + 1).encode())
        self.assertErrno(errno.ENODATA, os.getxattr, self.path("t/0"), name("group.g"))
        os.setxattr(self.path("t/0"), name("group.g"), str(end).encode())
        self.assertEqual(self.xattr("t/0", "group.g"), str(end))
        self.assertIn("past the log end", self.daemon.log())


class RootDefaultsTest(MountedTestCase):

    def test_root_defaults_apply_to_new_topics(self):
        self.sh("setfattr -n user.topicfs.retention.ms -v 123456 .")
        self.sh("setfattr -n user.topicfs.cleanup.policy -v compact .")
        self.assertEqual(self.getfattr_d(".")["retention.ms"], "123456")
        self.mkdir("fresh")
        listed = self.getfattr_d("fresh")
        self.assertEqual(listed["retention.ms"], "123456")
        self.assertEqual(listed["cleanup.policy"], "compact")
        # A topic's own value wins over the default.
        self.sh("setfattr -n user.topicfs.retention.ms -v 42 fresh")
        self.assertEqual(self.xattr("fresh", "retention.ms"), "42")
        self.sh("setfattr -n user.topicfs.retention.ms -v 99 .")
        self.assertEqual(self.xattr("fresh", "retention.ms"), "42")
        # Removing the root default restores Kafka's.
        self.sh("setfattr -x user.topicfs.retention.ms .")
        self.assertEqual(self.xattr(".", "retention.ms"), DEFAULTS["retention.ms"])

    def test_root_partitions_default_sizes_new_topics(self):
        self.sh("setfattr -n user.topicfs.partitions -v 3 .")
        self.mkdir("three")
        self.assertEqual(sorted(os.listdir(self.path("three"))), ["0", "1", "2"])

    def test_bad_root_default_fails_and_changes_nothing(self):
        before = self.configs(".")
        self.assertShellFails("setfattr -n user.topicfs.retention.ms -v abc .", "Invalid argument")
        self.assertShellFails("setfattr -n user.topicfs.segment.bytes -v 1 .",
                              "Numerical result out of range")
        self.assertEqual(self.configs("."), before)


class PartitionsTest(MountedTestCase):

    def setUp(self):
        super().setUp()
        self.mkdir("t")

    def test_setting_partitions_to_4_creates_files_0_to_3(self):
        self.sh("setfattr -n user.topicfs.partitions -v 4 t")
        self.assertEqual(sorted(os.listdir(self.path("t"))), ["0", "1", "2", "3"])
        self.assertEqual(self.xattr("t", "partitions"), "4")
        for p in range(4):
            self.append(f"t/{p}", lines_text(f"p{p}", p + 1))
        for p in range(4):
            self.assertEqual(self.read("t", str(p)), lines_text(f"p{p}", p + 1))
            self.assertTrue(os.path.isdir(os.path.join(self.data, f"t-{p}")))
        self.remount()
        self.assertEqual(sorted(os.listdir(self.path("t"))), ["0", "1", "2", "3"])
        self.assertEqual(self.read("t", "3"), lines_text("p3", 4))

    def test_lowering_partitions_fails_and_changes_nothing(self):
        self.sh("setfattr -n user.topicfs.partitions -v 4 t")
        self.assertShellFails("setfattr -n user.topicfs.partitions -v 2 t", "Invalid argument")
        self.assertErrno(errno.EINVAL, os.setxattr, self.path("t"), name("partitions"), b"3")
        self.assertEqual(sorted(os.listdir(self.path("t"))), ["0", "1", "2", "3"])
        self.assertEqual(self.xattr("t", "partitions"), "4")

    def test_removing_partitions_does_not_shrink(self):
        self.sh("setfattr -n user.topicfs.partitions -v 2 t")
        self.assertShellFails("setfattr -x user.topicfs.partitions t", "Invalid argument")
        self.assertEqual(self.xattr("t", "partitions"), "2")
        self.assertEqual(sorted(os.listdir(self.path("t"))), ["0", "1"])


class PartitionFiguresTest(MountedTestCase):

    def test_figures_match_stat_and_line_count(self):
        self.mkdir("t")
        self.append("t/0", lines_text("f", 12345))
        self.sh("echo one more >> t/0")
        figures = self.figures("t/0")
        self.assertEqual(sorted(figures), sorted(["log_start_offset", "log_end_offset",
                                                  "recovery_point", "size_bytes", "presented_bytes",
                                                  "segments", "records", "withheld_batches"]))
        st = os.stat(self.path("t", "0"))
        self.assertEqual(figures["log_end_offset"], st.st_size)
        self.assertEqual(figures["records"], int(self.sh("wc -l < t/0").stdout))
        self.assertEqual(figures["records"], 12346)
        self.assertEqual(figures["withheld_batches"], 0)
        self.assertEqual(figures["log_start_offset"], 0)
        self.assertEqual(figures["segments"], 1)
        # Kafka batches carry headers: more bytes on disk than presented.
        self.assertGreater(figures["size_bytes"], st.st_size)
        segment = os.path.join(self.data, "t-0", "00000000000000000000.log")
        self.assertEqual(figures["size_bytes"], os.path.getsize(segment))
        self.assertEqual(figures["presented_bytes"], st.st_size)

    def test_figures_are_read_only(self):
        self.mkdir("t")
        self.assertErrno(errno.EPERM, os.setxattr, self.path("t", "0"), name("records"), b"1")
        self.assertErrno(errno.EPERM, os.removexattr, self.path("t", "0"), name("records"))
        self.assertErrno(errno.EPERM, os.setxattr, self.path("t", "0"), name("retention.ms"), b"1")
        self.assertEqual(self.figures("t/0")["records"], 0)


if __name__ == "__main__":
    main()
