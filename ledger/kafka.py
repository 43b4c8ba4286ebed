"""Kafka topics and clients, built from settings (never at import time)."""

import logging
from contextlib import suppress

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)

# Tables of the pipeline (created by the migrations in ledger/store/schema). The relay records
# its position and, per batch, the last offset it wrote to each partition (a watermark);
# projectors record the next offset to read per partition in the transaction that writes their
# documents. A read that must see position N waits until every projector is past the first
# watermark >= N.

# The client's default backs off up to 30 s between reconnection attempts: after a broker
# outage of a minute, the pipeline would stay idle for up to half a minute more.
RECONNECT_BACKOFF_MAX_MS = 1000

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


def idempotent_producer(bootstrap: str, client_id: str) -> KafkaProducer:
    """acks=all with idempotence: a retried send neither duplicates nor reorders a partition."""
    return KafkaProducer(bootstrap_servers=bootstrap, client_id=client_id, acks="all",
                         enable_idempotence=True, linger_ms=5, retries=2**31 - 1,
                         max_in_flight_requests_per_connection=5,
                         reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS)
