"""The relay's partitioner puts every key where Kafka's default partitioner (the Java client's
murmur2 rule) puts it: consumers and other producers find a learner's events in one place."""

import uuid

from kafka.cluster import ClusterMetadata
from kafka.partitioner.default import DefaultPartitioner

from ledger.kafka import RememberingPartitioner


class Cluster(ClusterMetadata):
    def __init__(self, partitions: int) -> None:
        super().__init__()
        self.partitions = set(range(partitions))

    def topics(self, exclude_internal_topics: bool = True) -> set[str]:
        return {"ledger.events"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return self.partitions

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return self.partitions


def test_every_key_lands_where_the_default_partitioner_puts_it():
    default, remembering = DefaultPartitioner(), RememberingPartitioner()
    keys = [str(uuid.uuid4()).encode() for _ in range(2000)] + [b"", b"a", bytes(range(256))]
    for count in (1, 6, 7, 12):
        cluster = Cluster(count)
        for key in keys + keys:  # the second time from the cache
            expected = default.partition("ledger.events", key, key, b"v", b"v", cluster)
            assert remembering.partition("ledger.events", key, key, b"v", b"v",
                                         cluster) == expected
    assert {remembering.partition("ledger.events", k, k, b"", b"", Cluster(6))
            for k in keys} == set(range(6))


def test_a_message_without_a_key_goes_to_some_partition():
    assert RememberingPartitioner().partition("ledger.events", None, None, b"v", b"v",
                                              Cluster(6)) in range(6)
