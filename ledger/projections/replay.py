"""Replays the log into in-memory read-model documents, as of a position or a recorded time.

The log is streamed in store order (a server-side cursor on PostgreSQL) and decoded straight
into envelopes, then folded by the projections' own code; nothing is written and no statement
is issued per event. Audits (`ledger audit replay`, `diff`) and rebuilds start from here.
"""

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Protocol

from eventsourcing.application import Application

from ledger.projections.base import Document, Projection
from ledger.projections.envelope import Envelope, from_row
from ledger.projections.progress import KafkaWatermarks, StoredPositions
from ledger.projections.store import Folded, ReadModelStore, fold_into
from ledger.store.database import Database
from ledger.store.events import EventLog
from ledger.store.transcoder import OrjsonTranscoder


class ReplaySource(Protocol):
    """What a diff or a shadow rebuild reads (the ledger facade has it all): the log, the
    live read models and how far they have got."""

    app: Application
    database: Database
    events: EventLog
    read_models: ReadModelStore
    progress: StoredPositions | KafkaWatermarks


Progress = Callable[[int], None]


@contextmanager
def gc_paused() -> Iterator[None]:
    """A replay allocates millions of acyclic dicts: the cyclic collector would scan them again
    and again for nothing (a third of the replay's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Replayer:
    """Folds the log into in-memory documents, one projection or several, advancing on
    request: `advance(N)` brings every document to the store as it stood at position N."""

    def __init__(self, log: EventLog, transcoder: OrjsonTranscoder,
                 projections: Sequence[Projection], *, stream: str | None = None,
                 as_of: datetime | None = None, on_progress: Progress | None = None) -> None:
        self.log = log
        self.transcoder = transcoder
        self.projections = list(projections)
        self.stream = stream
        self.as_of = as_of
        self.on_progress = on_progress
        self.documents: dict[str, dict[str, Folded]] = {p.name: {} for p in projections}
        self.position = 0  # the store position the documents stand at
        self.last = 0  # the position of the last event folded
        self.events = 0

    def advance(self, upto: int | None = None) -> "Replayer":
        """Fold every event after the current position up to `upto` (the head if None)."""
        decode, transcoder, as_of = from_row, self.transcoder, self.as_of
        with gc_paused():
            for rows in self.log.rows(after=self.position, upto=upto, stream=self.stream):
                envelopes = [decode(transcoder, *row) for row in rows]
                self.position = envelopes[-1].position
                if as_of is not None:
                    envelopes = [e for e in envelopes
                                 if datetime.fromisoformat(e.time) <= as_of]
                self._fold(envelopes)
                if self.on_progress is not None:
                    self.on_progress(self.position)
        if upto is not None:
            self.position = max(self.position, upto)
        return self

    def _fold(self, envelopes: list[Envelope]) -> None:
        if not envelopes:
            return
        for projection in self.projections:
            fold_into(projection, self.documents[projection.name], envelopes)
        self.last = envelopes[-1].position
        self.events += len(envelopes)

    def docs(self, name: str) -> dict[str, Document]:
        return {key: doc for key, (_, _, doc) in self.documents[name].items()
                if doc is not None}
