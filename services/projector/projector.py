"""Consumes ledger.events into one projection, on the partitions this member owns.

Partitions are owned through PostgreSQL advisory locks (services/projector/leases.py), not
Kafka's group protocol: the consumer is assigned exactly the partitions whose locks it holds,
and on taking a partition it seeks to the offset stored with the read model. Each poll's
documents and the consumed offsets of every partition in it are written in one PostgreSQL
transaction (one commit per poll, not one per partition), so a crash or a hand-over replays at
most an uncommitted poll, and a replayed event changes nothing (a document skips events at or
below its own position). A message that cannot be decoded or
applied goes to ledger.events.dlq with the reason in its headers; the projector carries on.
While the database is away nothing is consumed, and nothing is dead-lettered: the poll in hand
is dropped and consumed again from the stored offsets once the database answers.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from ledger.kafka import DEAD_LETTERS, EVENTS
from ledger.metrics import DEAD_LETTERED, PROJECTION_LAG
from ledger.projections import wire
from ledger.projections.envelope import Envelope
from ledger.projections.store import ReadModelStore
from ledger.store.database import Cursor, Database
from services.projector.leases import AllPartitions, PartitionLeases

log = logging.getLogger(__name__)

# The database is away (restarting, unreachable): wait for it, never dead-letter because of it.
DATABASE_AWAY = (OperationalError, InterfaceError, psycopg.OperationalError,
                 psycopg.InterfaceError)


def decode(record: Any) -> Envelope:
    """The envelope of a consumed record, in either envelope form (ledger.projections.wire)."""
    return wire.decode(record.headers, record.value)


class Projector:
    def __init__(self, name: str, store: ReadModelStore, database: Database,
                 consumer_factory: Callable[[str], KafkaConsumer], dead_letters: Any, *,
                 topic: str = EVENTS, dlq_topic: str = DEAD_LETTERS,
                 database_url: str | None = None) -> None:
        """`database_url`: share the partitions with the other members of this projection
        through advisory locks; without it this member consumes every partition."""
        self.name = name
        self.store = store
        self.database = database
        self.topic = topic
        self.dlq_topic = dlq_topic
        self.dead_letters = dead_letters
        self._lag_reported = 0.0
        self._next_offsets: dict[int, int] = {}
        self.consumer = consumer_factory(f"ledger-projector-{name}")
        partitions = self._wait_for_partitions()
        self.leases: PartitionLeases | AllPartitions = (
            PartitionLeases(database_url, name, topic, partitions) if database_url
            else AllPartitions(partitions))
        self.assigned: set[int] = set()

    def _wait_for_partitions(self, seconds: float = 60) -> int:
        """How many partitions the topic has, once the broker knows it (see ensure_topics)."""
        deadline = time.monotonic() + seconds
        while not (partitions := self.consumer.partitions_for_topic(self.topic)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"topic {self.topic} has no partitions; run ensure_topics")
            time.sleep(0.2)
        return len(partitions)

    def stored_offsets(self) -> dict[int, int]:
        rows = self.database.query(
            "SELECT partition, next_offset FROM projector_offsets "
            "WHERE projection = ? AND topic = ?", (self.name, self.topic))
        return {row["partition"]: row["next_offset"] for row in rows}

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set; the poll in hand is finished before returning."""
        try:
            while not stop.is_set():
                try:
                    if not self._follow_leases():
                        stop.wait(0.2)  # no partition of our own yet: look again soon
                        continue
                    polled = self._poll()
                    if polled:
                        self.handle_poll(polled)
                except DATABASE_AWAY as error:
                    log.warning("%s: database unavailable (%s); waiting for it", self.name,
                                error)
                    self._forget_positions()
                    # A member that cannot write serves nobody: its partitions go to a member
                    # that can (it takes its share again once its own database answers).
                    self.leases.release()
                    stop.wait(1.0)
                    continue
                self._report_lag()
        finally:
            self.consumer.close(autocommit=False)
            self.leases.release()

    def _follow_leases(self) -> bool:
        """Assign the consumer the partitions this member owns now; a partition it takes
        starts at the offset stored with the read model. False while it owns none."""
        owned = self.leases.refresh()
        if owned != self.assigned:
            added = owned - self.assigned
            if owned:
                self.consumer.assign([TopicPartition(self.topic, p) for p in sorted(owned)])
            else:
                self.consumer.unsubscribe()
            if added:
                stored = self.stored_offsets()
                for partition in added:
                    tp = TopicPartition(self.topic, partition)
                    if partition in stored:
                        self.consumer.seek(tp, stored[partition])
                    else:
                        self.consumer.seek_to_beginning(tp)
            log.info("%s: consuming partitions %s (was %s)", self.name, sorted(owned),
                     sorted(self.assigned))
            self.assigned = set(owned)
        return bool(self.assigned)

    def _forget_positions(self) -> None:
        """After a failed commit: consume again from the stored offsets (the poll in hand was
        not recorded), once the database answers."""
        self.assigned = set()
        self.consumer.unsubscribe()

    def _poll(self) -> dict[TopicPartition, list[Any]]:
        """One poll; a broker that is away is waited for, not a reason to exit."""
        try:
            return self.consumer.poll(timeout_ms=200, max_records=1000)
        except KafkaError as error:
            if not getattr(error, "retriable", False):
                raise
            log.warning("poll failed (%s); retrying", error)
            return {}

    def handle_poll(self, polled: dict[TopicPartition, Sequence[Any]]) -> None:
        """A poll's records of every partition, applied and their offsets recorded in one
        transaction; if that fails, each partition's records one by one (a poison message
        goes to the dead letters, the rest is applied)."""
        envelopes, poison = [], []
        for records in polled.values():
            for record in records:
                try:
                    envelopes.append(decode(record))
                except Exception as error:  # any undecodable message is a dead letter
                    poison.append((record, f"undecodable: {type(error).__name__}: {error}"))
        offsets = {tp.partition: records[-1].offset + 1 for tp, records in polled.items()}
        try:
            self._commit(envelopes, offsets)
        except DATABASE_AWAY:
            raise
        except Exception:
            log.exception("batch failed on %s; applying one by one", sorted(offsets))
            for tp, records in polled.items():
                undecodable = [(r, why) for r, why in poison if r.partition == tp.partition]
                self._commit_one_by_one(tp, records, undecodable)
            return
        self._dead_letter(poison)

    def _commit(self, envelopes: list[Envelope], next_offsets: dict[int, int]) -> None:
        with self.database.transaction(durable=False) as cursor:
            self.store.apply_in(cursor, envelopes, [self.name])
            for partition, next_offset in next_offsets.items():
                self._record_offset(cursor, partition, next_offset)

    def _commit_one_by_one(self, tp: TopicPartition, records: Sequence[Any],
                           poison: list[tuple[Any, str]]) -> None:
        undecodable = {id(record) for record, _ in poison}
        for record in records:
            envelopes = [] if id(record) in undecodable else [decode(record)]
            try:
                self._commit(envelopes, {tp.partition: record.offset + 1})
            except DATABASE_AWAY:
                raise
            except Exception as error:
                poison.append((record, f"unappliable: {type(error).__name__}: {error}"))
                self._commit([], {tp.partition: record.offset + 1})
        self._dead_letter(poison)

    def _record_offset(self, cursor: Cursor, partition: int, next_offset: int) -> None:
        self._next_offsets[partition] = next_offset  # for the lag metric only
        cursor.execute(
            "INSERT INTO projector_offsets (projection, topic, partition, next_offset) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (projection, topic, partition) DO UPDATE SET "
            "next_offset = excluded.next_offset", (self.name, self.topic, partition, next_offset))

    def _dead_letter(self, poison: list[tuple[Any, str]]) -> None:
        for record, reason in poison:
            log.warning("dead letter at %s[%d]@%d: %s", record.topic, record.partition,
                        record.offset, reason)
            DEAD_LETTERED.labels(self.name).inc()
            # The original headers stay (a CloudEvent stays one), the reason is added.
            self.dead_letters.send(self.dlq_topic, key=record.key, value=record.value, headers=[
                *(record.headers or ()),
                ("reason", reason.encode()), ("projection", self.name.encode()),
                ("source", f"{record.topic}/{record.partition}/{record.offset}".encode()),
            ])
        if poison:
            self.dead_letters.flush()

    def _report_lag(self) -> None:
        """From what the consumer already knows (the high watermark of its last fetch), never
        a request: a broker that is away must not hold up the loop (end_offsets() waits up to
        its request timeout, 30 s, and the leases would go unrefreshed meanwhile)."""
        now = time.monotonic()
        if now - self._lag_reported < 1.0:
            return
        self._lag_reported = now
        lag = 0
        for partition in self.assigned:
            end = self.consumer.highwater(TopicPartition(self.topic, partition))
            if end is not None:
                lag += max(0, end - self._next_offsets.get(partition, 0))
        PROJECTION_LAG.labels(self.name).set(lag)
