"""Publishes every stored event to Kafka, in store order, at least once and without gaps.

The relay reads the notification log after its tracked position, sends each event with its
stream id as the key (so a learner's events stay ordered in one partition), waits until Kafka
has confirmed every send, and only then records the new position. A crash therefore re-sends
at most the last unconfirmed batch; consumers skip what they already applied. One relay
publishes at a time: PostgreSQL deployments take an advisory lock, and a second relay waits
as a standby until the lock is released (its holder's connection closes when it dies).
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
import psycopg
from eventsourcing.application import Application

from ledger.kafka import EVENTS
from ledger.metrics import RELAY_POSITION
from ledger.projections.envelope import from_stored
from ledger.store.database import Database

log = logging.getLogger(__name__)

WATERMARKS_KEPT = 10_000
RELAY_LOCK = 7355609


class Relay:
    def __init__(self, app: Application, database: Database, producer, *,
                 topic: str = EVENTS, batch_size: int = 1000, poll_seconds: float = 0.1) -> None:
        self.app = app
        self.database = database
        self.producer = producer
        self.topic = topic
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        # Watermarks are cumulative: a restarted relay continues from the last one recorded,
        # so a watermark always names every partition written so far.
        last = database.query_one(
            "SELECT offsets FROM relay_watermarks WHERE topic = ? ORDER BY position DESC "
            "LIMIT 1", (topic,))
        self.last_offsets: dict[int, int] = (
            {int(p): o for p, o in orjson.loads(last["offsets"]).items()} if last else {})
        with database.transaction() as cursor:
            cursor.execute("INSERT INTO relay_positions (topic, position) VALUES (?, 0) "
                           "ON CONFLICT (topic) DO NOTHING", (topic,))

    @property
    def position(self) -> int:
        row = self.database.query_one(
            "SELECT position FROM relay_positions WHERE topic = ?", (self.topic,))
        return row["position"]

    def publish_available(self) -> int:
        """Send everything after the tracked position; returns how many events were sent."""
        sent = 0
        position = self.position
        while True:
            notifications = self.app.recorder.select_notifications(
                start=position, limit=self.batch_size, inclusive_of_start=False)
            if not notifications:
                return sent
            transcoder = self.app.mapper.transcoder
            futures = []
            for n in notifications:
                envelope = from_stored(transcoder, n)
                futures.append(self.producer.send(
                    self.topic, key=envelope.subject.encode(),
                    value=orjson.dumps(envelope.as_json()),
                    headers=[("type", envelope.type.encode()),
                             ("position", str(envelope.position).encode())],
                ))
            self.producer.flush()
            for future in futures:
                # Raises if Kafka did not confirm: the position stays where it was.
                metadata = future.get(timeout=60)
                if metadata is not None:
                    self.last_offsets[metadata.partition] = max(
                        metadata.offset, self.last_offsets.get(metadata.partition, -1))
            position = notifications[-1].id
            self._record(position)
            RELAY_POSITION.set(position)
            sent += len(notifications)

    def _record(self, position: int) -> None:
        with self.database.transaction() as cursor:
            cursor.execute("UPDATE relay_positions SET position = ? WHERE topic = ?",
                           (position, self.topic))
            cursor.execute(
                "INSERT INTO relay_watermarks (topic, position, offsets) VALUES (?, ?, ?)",
                (self.topic, position,
                 orjson.dumps(self.last_offsets, option=orjson.OPT_NON_STR_KEYS).decode()))
            cursor.execute(
                "DELETE FROM relay_watermarks WHERE topic = ? AND position < ("
                "SELECT min(position) FROM (SELECT position FROM relay_watermarks "
                "WHERE topic = ? ORDER BY position DESC LIMIT ?) AS kept)",
                (self.topic, self.topic, WATERMARKS_KEPT))

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if self.publish_available() == 0:
                stop.wait(self.poll_seconds)


@contextmanager
def leadership(database_url: str | None, stop: threading.Event) -> Iterator[bool]:
    """Hold the relay's advisory lock while publishing; wait as a standby until it is free.
    Yields False if asked to stop before becoming the leader."""
    if database_url is None:  # embedded SQLite: one process owns the file
        yield True
        return
    with psycopg.connect(database_url, autocommit=True,
                         application_name="ledger-relay-leadership") as conn:
        while not stop.is_set():
            if conn.execute("SELECT pg_try_advisory_lock(%s)", (RELAY_LOCK,)).fetchone()[0]:
                log.info("relay is the leader")
                yield True
                return
            log.info("another relay publishes; waiting as a standby")
            stop.wait(1.0)
        yield False
