"""Kafka topics and clients, built from settings (never at import time)."""

import logging
from contextlib import suppress
from functools import lru_cache

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.partitioner.default import DefaultPartitioner, murmur2

log = logging.getLogger(__name__)

# Tables of the pipeline (created by the migrations in ledger/store/schema). The relay records
# its position and, per batch, the last offset it wrote to each partition (a watermark);
# projectors record the next offset to read per partition in the transaction that writes their
# documents. A read that must see position N waits until every projector is past the first
# watermark >= N.

# The client's default backs off up to 30 s between reconnection attempts: after a broker
# outage of a minute, the pipeline would stay idle for up to half a minute more.
RECONNECT_BACKOFF_MAX_MS = 1000
# Producer batches per partition: the relay sends reads of 1,000 events (~1.2 kB each), and a
# batch big enough for one partition's share of a read makes one request per partition instead
# of many (the default, 16 kB, holds about 13 events).
PRODUCER_BATCH_BYTES = 256 * 1024
# The relay sends a read of the log (1,000 events) in one go and confirms it while sending the
# next: its batches may wait this long to fill, a fraction of the time a read takes to encode.
RELAY_LINGER_MS = 50

EVENTS = "ledger.events"
DEAD_LETTERS = "ledger.events.dlq"
EXPORTS = "ledger.exports"


def ensure_topics(bootstrap: str, partitions: int = 6, prefix: str = "") -> None:
    """Create the ledger's topics if they are missing (brokers refuse auto-creation)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="ledger-admin")
    try:
        existing = set(admin.list_topics())
        # ledger.exports is compacted: only each learner's newest exports are kept, so after
        # an erasure the older messages that carried their name are eventually deleted too.
        wanted = [NewTopic(prefix + name, num_partitions=count, replication_factor=1,
                           topic_configs=configs)
                  for name, count, configs in (
                      (EVENTS, partitions, {}), (DEAD_LETTERS, 1, {}),
                      (EXPORTS, partitions, {"cleanup.policy": "compact"}))
                  if prefix + name not in existing]
        if wanted:
            with suppress(TopicAlreadyExistsError):  # another process created them first
                admin.create_topics(wanted)
    finally:
        admin.close()


def relay_producer(bootstrap: str, client_id: str = "ledger-relay") -> KafkaProducer:
    """The relay's producer: batches that fill before they go (RELAY_LINGER_MS)."""
    return idempotent_producer(bootstrap, client_id, linger_ms=RELAY_LINGER_MS)


def consumer_factory(bootstrap: str, group_prefix: str = ""):
    """Consumers without a consumer group: the projectors assign themselves the partitions they
    own through PostgreSQL (services/projector/leases.py) and store offsets with their
    documents, so Kafka's group protocol (joins, session timeouts, rebalances) is not used."""
    from kafka import KafkaConsumer

    def make(client_id: str) -> KafkaConsumer:
        return KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                             client_id=group_prefix + client_id, enable_auto_commit=False,
                             auto_offset_reset="earliest", max_poll_records=1000,
                             reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS)
    return make


@lru_cache(maxsize=65_536)
def _key_hash(key: bytes) -> int:
    return murmur2(key) & 0x7FFFFFFF


class RememberingPartitioner(DefaultPartitioner):
    """Kafka's default partitioning (murmur2 of the key, as the Java client), with each key's
    hash remembered: a learner's events all carry their stream id as the key, and kafka-python's
    murmur2 is pure Python, a fifth of the relay's time per event."""

    def partition(self, topic, key, serialized_key, value, serialized_value, cluster):
        partitions = cluster.partitions_for_topic(topic) if serialized_key is not None else None
        if not partitions:  # no key (or an unknown topic): the default's own answer
            return super().partition(topic, key, serialized_key, value, serialized_value,
                                     cluster)
        # Partitions are numbered 0..n-1: the default's sorted(partitions)[i] is i.
        return _key_hash(bytes(serialized_key)) % len(partitions)


def idempotent_producer(bootstrap: str, client_id: str, linger_ms: int = 5) -> KafkaProducer:
    """acks=all with idempotence: a retried send neither duplicates nor reorders a partition.

    `linger_ms`: how long a batch may wait to fill (a flush sends it at once)."""
    return KafkaProducer(bootstrap_servers=bootstrap, client_id=client_id, acks="all",
                         enable_idempotence=True, linger_ms=linger_ms, retries=2**31 - 1,
                         batch_size=PRODUCER_BATCH_BYTES, partitioner=RememberingPartitioner(),
                         max_in_flight_requests_per_connection=5,
                         reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS)
