"""Consumes ledger.events into one projection per consumer group, with manual offsets.

Each poll's documents and the consumed offsets are written in one PostgreSQL transaction, and
on (re)assignment the consumer seeks to the offsets stored there, so a crash or a rebalance
replays at most an uncommitted poll, and a replayed event changes nothing (a document skips
events at or below its own position). A message that cannot be decoded or applied goes to
ledger.events.dlq with the reason in its headers; the projector carries on.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from ledger.kafka import DEAD_LETTERS, EVENTS
from ledger.metrics import DEAD_LETTERED, PROJECTION_LAG
from ledger.projections.envelope import Envelope
from ledger.projections.store import ReadModelStore
from ledger.store.database import Cursor, Database

log = logging.getLogger(__name__)

# More than a group's join takes, even on a loaded machine; a member scaled out beyond the
# partitions rejoins this often (harmless: it rebalances its group; do not over-scale).
UNASSIGNED_REJOIN_SECONDS = 20

def decode(value: bytes) -> Envelope:
    return Envelope.from_json(orjson.loads(value))


class StoredOffsets(ConsumerRebalanceListener):
    """Seeks newly assigned partitions to the offsets committed with the read model."""

    def __init__(self, projector: "Projector") -> None:
        self.projector = projector

    def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        pass  # nothing to flush: offsets are committed with each poll's documents

    def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        stored = self.projector.stored_offsets()
        for tp in assigned:
            if tp.partition in stored:
                self.projector.consumer.seek(tp, stored[tp.partition])
            else:
                self.projector.consumer.seek_to_beginning(tp)


class Projector:
    def __init__(self, name: str, store: ReadModelStore, database: Database,
                 consumer_factory: Callable[[str], KafkaConsumer], dead_letters: Any, *,
                 topic: str = EVENTS, dlq_topic: str = DEAD_LETTERS) -> None:
        self.name = name
        self.store = store
        self.database = database
        self.topic = topic
        self.dlq_topic = dlq_topic
        self.dead_letters = dead_letters
        self._lag_reported = 0.0
        self._unassigned_since: float | None = None
        self.consumer = consumer_factory(f"ledger-projector-{name}")
        self._wait_for_partitions()
        self.consumer.subscribe([topic], listener=StoredOffsets(self))

    def _wait_for_partitions(self, seconds: float = 60) -> None:
        """Join the group only once the topic's partitions are known (see consumer_factory)."""
        deadline = time.monotonic() + seconds
        while not self.consumer.partitions_for_topic(self.topic):
            if time.monotonic() > deadline:
                raise RuntimeError(f"topic {self.topic} has no partitions; run ensure_topics")
            time.sleep(0.2)

    def stored_offsets(self) -> dict[int, int]:
        rows = self.database.query(
            "SELECT partition, next_offset FROM projector_offsets "
            "WHERE projection = ? AND topic = ?", (self.name, self.topic))
        return {row["partition"]: row["next_offset"] for row in rows}

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set; the poll in hand is finished before returning."""
        try:
            while not stop.is_set():
                for tp, records in self._poll().items():
                    self.handle(tp, records)
                self._report_lag()
                self._rejoin_if_left_without_partitions()
        finally:
            self.consumer.close(autocommit=False)

    def _rejoin_if_left_without_partitions(self) -> None:
        """kafka-python can come out of a rebalance with no partitions and never rejoin (seen
        on a loaded machine: a one-member group idle for minutes). A member that has had no
        partition for a while subscribes again, which makes the group rebalance."""
        if self.consumer.assignment():
            self._unassigned_since = None
            return
        now = time.monotonic()
        if self._unassigned_since is None:
            self._unassigned_since = now
        elif now - self._unassigned_since > UNASSIGNED_REJOIN_SECONDS:
            log.warning("%s: no partitions for %.0f s; rejoining the group", self.name,
                        now - self._unassigned_since)
            self._unassigned_since = None
            self.consumer.unsubscribe()
            self.consumer.subscribe([self.topic], listener=StoredOffsets(self))

    def _poll(self) -> dict[TopicPartition, list[Any]]:
        """One poll; a broker that is away is waited for, not a reason to exit."""
        try:
            return self.consumer.poll(timeout_ms=200, max_records=1000)
        except KafkaError as error:
            if not getattr(error, "retriable", False):
                raise
            log.warning("poll failed (%s); retrying", error)
            return {}

    def handle(self, tp: TopicPartition, records: Sequence[Any]) -> None:
        envelopes, poison = [], []
        for record in records:
            try:
                envelopes.append(decode(record.value))
            except Exception as error:  # any undecodable message is a dead letter
                poison.append((record, f"undecodable: {type(error).__name__}: {error}"))
        try:
            self._commit(tp, envelopes, records[-1].offset + 1)
        except Exception:
            log.exception("batch failed on %s; applying one by one", tp)
            self._commit_one_by_one(tp, records, poison)
            return
        self._dead_letter(poison)

    def _commit(self, tp: TopicPartition, envelopes: list[Envelope], next_offset: int) -> None:
        with self.database.transaction() as cursor:
            self.store.apply_in(cursor, envelopes, [self.name])
            self._record_offset(cursor, tp.partition, next_offset)

    def _commit_one_by_one(self, tp: TopicPartition, records: Sequence[Any],
                           poison: list[tuple[Any, str]]) -> None:
        undecodable = {id(record) for record, _ in poison}
        for record in records:
            envelopes = [] if id(record) in undecodable else [decode(record.value)]
            try:
                self._commit(tp, envelopes, record.offset + 1)
            except Exception as error:
                poison.append((record, f"unappliable: {type(error).__name__}: {error}"))
                self._commit(tp, [], record.offset + 1)
        self._dead_letter(poison)

    def _record_offset(self, cursor: Cursor, partition: int, next_offset: int) -> None:
        cursor.execute(
            "INSERT INTO projector_offsets (projection, topic, partition, next_offset) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (projection, topic, partition) DO UPDATE SET "
            "next_offset = excluded.next_offset", (self.name, self.topic, partition, next_offset))

    def _dead_letter(self, poison: list[tuple[Any, str]]) -> None:
        for record, reason in poison:
            log.warning("dead letter at %s[%d]@%d: %s", record.topic, record.partition,
                        record.offset, reason)
            DEAD_LETTERED.labels(self.name).inc()
            self.dead_letters.send(self.dlq_topic, key=record.key, value=record.value, headers=[
                ("reason", reason.encode()), ("projection", self.name.encode()),
                ("source", f"{record.topic}/{record.partition}/{record.offset}".encode()),
            ])
        if poison:
            self.dead_letters.flush()

    def _report_lag(self) -> None:
        now = time.monotonic()
        if now - self._lag_reported < 1.0:
            return
        assigned = list(self.consumer.assignment())
        if not assigned:
            return
        self._lag_reported = now
        try:
            ends = self.consumer.end_offsets(assigned)
        except KafkaError as error:  # lag is a metric: never a reason to stop consuming
            log.info("lag not reported: %s", error)
            return
        lag = sum(max(0, ends[tp] - (self.consumer.position(tp) or 0)) for tp in assigned)
        PROJECTION_LAG.labels(self.name).set(lag)
