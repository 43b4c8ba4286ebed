"""Kafka topics and clients, built from settings (never at import time)."""

import logging
from contextlib import suppress

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)

EVENTS = "ledger.events"
DEAD_LETTERS = "ledger.events.dlq"
EXPORTS = "ledger.exports"


def ensure_topics(bootstrap: str, partitions: int = 6, prefix: str = "") -> None:
    """Create the ledger's topics if they are missing (brokers refuse auto-creation)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="ledger-admin")
    try:
        existing = set(admin.list_topics())
        wanted = [NewTopic(prefix + name, num_partitions=count, replication_factor=1)
                  for name, count in ((EVENTS, partitions), (DEAD_LETTERS, 1),
                                      (EXPORTS, partitions))
                  if prefix + name not in existing]
        if wanted:
            with suppress(TopicAlreadyExistsError):  # another process created them first
                admin.create_topics(wanted)
    finally:
        admin.close()


def idempotent_producer(bootstrap: str, client_id: str) -> KafkaProducer:
    """acks=all with idempotence: a retried send neither duplicates nor reorders a partition."""
    return KafkaProducer(bootstrap_servers=bootstrap, client_id=client_id, acks="all",
                         enable_idempotence=True, linger_ms=5, retries=2**31 - 1,
                         max_in_flight_requests_per_connection=5)
