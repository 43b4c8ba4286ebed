"""Publishes every stored event to Kafka, in store order, at least once and without gaps.

The relay reads the notification log after its tracked position, sends each event with its
stream id as the key (so a learner's events stay ordered in one partition), waits until Kafka
has confirmed every send, and only then records the new position. A crash therefore re-sends
at most the last unconfirmed batch; consumers skip what they already applied. One relay
publishes at a time: PostgreSQL deployments take an advisory lock, and a second relay waits
as a standby until the lock is released (its holder's connection closes when it dies). A
leader whose lock connection is lost (a database restart) stops publishing and contends
again. A broker or database outage is waited out: the batch in hand is sent again afterwards,
by a new producer (one whose batch went unconfirmed can stay stuck in its retries for the
delivery timeout, two minutes, after the broker is back).
Messages are CloudEvents in binary content mode, or envelope 1 (ledger.projections.wire).
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import InterfaceError, OperationalError
from kafka.errors import KafkaError

from ledger.kafka import EVENTS
from ledger.metrics import RELAY_POSITION
from ledger.projections import wire
from ledger.projections.envelope import from_stored
from ledger.store.database import Database

log = logging.getLogger(__name__)

WATERMARKS_KEPT = 10_000
RELAY_LOCK = 7355609
# A batch not confirmed by then is sent again by a new producer (a batch takes well under a
# second when the broker is there).
CONFIRM_SECONDS = 10.0
# Waited out, the batch in hand sent again: a broker or the database away for a while.
OUTAGES = (KafkaError, OperationalError, InterfaceError, psycopg.OperationalError,
           psycopg.InterfaceError)


class LostLeadership(Exception):
    """The relay's lock connection is gone, and with it the lock: another relay may lead."""


class Relay:
    def __init__(self, app: Application, database: Database, producer, *,
                 topic: str = EVENTS, batch_size: int = 1000, poll_seconds: float = 0.1,
                 envelope: int = wire.CLOUDEVENTS,
                 still_leader: Callable[[], bool] = lambda: True,
                 renew_producer: Callable[[], Any] | None = None) -> None:
        """`renew_producer`: builds a producer to replace one whose batch failed."""
        self.app = app
        self.renew_producer = renew_producer
        self.envelope = envelope
        self.still_leader = still_leader
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
        """Send everything after the tracked position; returns how many events were sent.

        Two reads of the log are in hand at most: while one is on its way to Kafka, the next is
        encoded and sent; a read's position is recorded once Kafka confirmed all of it (and
        every read before it)."""
        sent = 0
        read_up_to = self.position
        in_hand: deque[tuple[int, list]] = deque()
        while True:
            if not self.still_leader():
                raise LostLeadership
            notifications = self.app.recorder.select_notifications(
                start=read_up_to, limit=self.batch_size, inclusive_of_start=False)
            if notifications:
                read_up_to = notifications[-1].id
                in_hand.append((read_up_to, self._send(notifications)))
            drained = len(notifications) < self.batch_size
            if drained:
                self.producer.flush(timeout=CONFIRM_SECONDS)
            while in_hand and (drained or len(in_hand) > 1):
                position, futures = in_hand.popleft()
                self._confirm(futures)
                self._record(position)
                RELAY_POSITION.set(position)
                sent += len(futures)
            if drained:
                return sent

    def _send(self, notifications: list) -> list:
        transcoder = self.app.mapper.transcoder
        futures = []
        for n in notifications:
            envelope = from_stored(transcoder, n)
            headers, value = wire.encode(envelope, self.envelope)
            futures.append(self.producer.send(
                self.topic, key=envelope.subject.encode(), value=value, headers=headers))
        return futures

    def _confirm(self, futures: list) -> None:
        for future in futures:
            # Raises if Kafka did not confirm: the position stays where it was.
            metadata = future.get(timeout=CONFIRM_SECONDS)
            if metadata is not None:
                self.last_offsets[metadata.partition] = max(
                    metadata.offset, self.last_offsets.get(metadata.partition, -1))

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
        """Publish until `stop` is set; raises LostLeadership when the lock is gone."""
        while not stop.is_set():
            try:
                sent = self.publish_available()
            except OUTAGES as error:
                log.warning("publishing paused (%s: %s); trying again", type(error).__name__,
                            error)
                if isinstance(error, KafkaError) and self.renew_producer is not None:
                    self._renew()
                stop.wait(1.0)
                continue
            if sent == 0:
                stop.wait(self.poll_seconds)

    def _renew(self) -> None:
        old, self.producer = self.producer, None
        try:
            old.close(timeout=0)  # what it still holds is sent again by its successor
        except Exception as error:  # a broken producer may fail to close: it is dropped
            log.info("closing the old producer: %s", error)
        while self.producer is None:
            try:
                self.producer = self.renew_producer()
            except KafkaError as error:  # the broker is still away
                log.warning("no producer yet (%s); trying again", error)
                time.sleep(1.0)


class Leadership:
    """The relay's advisory lock, held on a connection of its own."""

    def __init__(self, conn: psycopg.Connection | None) -> None:
        self.conn = conn

    def held(self) -> bool:
        """Whether the lock's connection still answers (its session, and the lock, live)."""
        if self.conn is None:
            return True
        try:
            self.conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False


@contextmanager
def leadership(database_url: str | None, stop: threading.Event) -> Iterator[Leadership | None]:
    """Hold the relay's advisory lock while publishing; wait as a standby until it is free
    (and while the database is away). Yields None if asked to stop before leading."""
    if database_url is None:  # embedded SQLite: one process owns the file
        yield Leadership(None)
        return
    while not stop.is_set():
        try:
            conn = psycopg.connect(database_url, autocommit=True, connect_timeout=5,
                                   application_name="ledger-relay-leadership")
        except psycopg.OperationalError as error:
            log.warning("database unavailable (%s); waiting for it", error)
            stop.wait(1.0)
            continue
        with conn:
            while not stop.is_set():
                try:
                    locked = conn.execute("SELECT pg_try_advisory_lock(%s)",
                                          (RELAY_LOCK,)).fetchone()[0]
                except psycopg.Error as error:
                    log.warning("database unavailable (%s); waiting for it", error)
                    break
                if locked:
                    log.info("relay is the leader")
                    yield Leadership(conn)
                    return
                log.info("another relay publishes; waiting as a standby")
                stop.wait(1.0)
        stop.wait(1.0)
    yield None
