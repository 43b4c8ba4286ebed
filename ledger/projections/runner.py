"""Feeds the projections in-process from the store's notification log (the embedded mode).

A Kafka consumer will drive the same ReadModelStore.apply later; this runner is the
notification-log twin of that loop. Readers wait on it for `min_position`.
"""

import logging
import threading
import time

from eventsourcing.application import Application

from ledger.metrics import PROJECTION_LAG, PROJECTION_POSITION
from ledger.projections.envelope import from_stored
from ledger.projections.store import ReadModelStore

log = logging.getLogger(__name__)
# The projection gauges read the store's head at most this often: one query per batch less.
HEAD_READ_SECONDS = 1.0


class NotificationLogRunner:
    def __init__(self, app: Application, store: ReadModelStore, batch_size: int = 1000,
                 poll_seconds: float = 0.25) -> None:
        self.app = app
        self.store = store
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.position = min(store.positions().values(), default=0)
        self._changed = threading.Condition()
        self._applying = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._head_read_at = -HEAD_READ_SECONDS

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="projections", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=30)

    def wake(self, _position: int = 0) -> None:
        self._wake.set()

    def wait_for(self, position: int, timeout: float) -> bool:
        if self.position >= position:
            return True
        self.wake()
        with self._changed:
            return self._changed.wait_for(lambda: self.position >= position, timeout)

    def rebuild(self, names: list[str]) -> int:
        """Empty the named read models and fold them again from position 0."""
        with self._applying:
            self.store.reset(names)
        return self.catch_up()

    def catch_up(self) -> int:
        """Apply everything the log holds now; returns the number of events applied."""
        with self._applying:
            # The stored positions are the truth: a reset or another runner may have moved them.
            self.position = min(self.store.positions().values(), default=0)
            applied = self._apply_available()
        for name in self.store.projections:
            PROJECTION_POSITION.labels(name).set(self.position)
        now = time.monotonic()
        if now - self._head_read_at >= HEAD_READ_SECONDS:  # for the lag gauge only
            self._head_read_at = now
            head = self.app.recorder.max_notification_id() or 0
            for name in self.store.projections:
                PROJECTION_LAG.labels(name).set(max(0, head - self.position))
        return applied

    def _apply_available(self) -> int:
        applied = 0
        while True:
            notifications = self.app.recorder.select_notifications(
                start=self.position, limit=self.batch_size, inclusive_of_start=False
            )
            if not notifications:
                break
            transcoder = self.app.mapper.transcoder
            envelopes = [from_stored(transcoder, n) for n in notifications]
            self.store.apply(envelopes)
            applied += len(envelopes)
            with self._changed:
                self.position = envelopes[-1].position
                self._changed.notify_all()
            if len(notifications) < self.batch_size:
                break  # that was all of it: no query to find nothing more
        return applied

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.catch_up()
            except Exception:
                log.exception("projection batch failed; retrying")
                self._stop.wait(1.0)
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
