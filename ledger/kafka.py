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
    """Consumers with manual offsets: the projector stores offsets with its documents."""
    from kafka import KafkaConsumer

    def make(group_id: str) -> KafkaConsumer:
        group_id = group_prefix + group_id
        # A topic created moments before the group joins can be missing from the first
        # metadata: refresh often, so a partition is not left unassigned for the default 5 min.
        # The session timeout stays at the client's 45 s: with 10-20 s, members on a loaded
        # machine were expired from their groups and some stopped consuming (seen in the
        # Kafka e2e tests); the price is that a restarted projector waits ~45 s to rejoin.
        return KafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id,
                             client_id=group_id, enable_auto_commit=False,
                             auto_offset_reset="earliest", max_poll_records=1000,
                             metadata_max_age_ms=5000)
    return make


def idempotent_producer(bootstrap: str, client_id: str) -> KafkaProducer:
    """acks=all with idempotence: a retried send neither duplicates nor reorders a partition."""
    return KafkaProducer(bootstrap_servers=bootstrap, client_id=client_id, acks="all",
                         enable_idempotence=True, linger_ms=5, retries=2**31 - 1,
                         max_in_flight_requests_per_connection=5)
