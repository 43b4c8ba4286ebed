"""Rebuilds one read model from scratch while the API serves and writes continue.

The new model is built in a shadow table beside the live one: first folded in memory from the
log up to its head and written in chunks, then caught up event batch by event batch through the
store's own apply, then switched in. The switch holds the live table only briefly (PostgreSQL:
ACCESS EXCLUSIVE; SQLite: the database's write lock): it applies the last events up to the head
as it stands under the lock, records that position, drops the live table and renames the shadow.

Why no event is lost or applied twice, in both deployment shapes:
- Whoever feeds the live table (the in-process runner, or Kafka projectors) commits its rows
  before the lock is granted, so every event it has applied is at or below the head read under
  the lock, and the shadow holds all of those. Events after that head reach the new table the
  usual way; anything redelivered is skipped by the per-row position check.
- A feeder transaction that queued behind the lock resolves the table name again once the lock
  is released (PostgreSQL re-resolves a relation after waiting for its lock; SQLite re-prepares
  after a schema change), so it reads and writes the new table, never the discarded one.
Readers see the old table until the switch commits and the complete new one after it.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledger.projections.base import Document, Projection
from ledger.projections.envelope import Envelope, from_row
from ledger.projections.replay import Replayer, ReplaySource
from ledger.projections.store import (
    ReadModelStore,
    document_schema,
    extra_indexes,
    index_suffixes,
    indexed,
    projection_schema,
    search_column,
    search_schema,
    stored_row,
)
from ledger.store.database import Cursor

SHADOW_SUFFIX = "__shadow"
CHUNK_ROWS = 5000  # rows per write transaction while filling (SQLite writers wait meanwhile)
CATCH_UP_EVENTS = 2000  # events per write transaction while catching up
SWITCH_LAG = 2000  # switch once the shadow is this close to the head
SWITCH_ATTEMPTS = 5


class ShadowOf:
    """The same projection, writing to the shadow table."""

    def __init__(self, projection: Projection) -> None:
        self.projection = projection
        self.name = projection.name
        self.live_table = projection.table
        self.table = projection.table + SHADOW_SUFFIX
        self.indexed = indexed(projection)
        self.indexes = extra_indexes(projection)
        self.search = search_column(projection)

    def keys(self, envelope: Envelope) -> list[str]:
        return self.projection.keys(envelope)

    def owner(self, envelope: Envelope) -> str | None:
        return self.projection.owner(envelope)

    def evolve(self, doc: Document | None, envelope: Envelope, key: str) -> Document | None:
        return self.projection.evolve(doc, envelope, key)


@dataclass
class Rebuilt:
    projection: str
    position: int  # the head the new table was switched in at
    rows: int
    events: int  # events folded into the shadow
    seconds: float
    locked_seconds: float  # how long the live table was held for the switch


Progress = Callable[[str, int, int], None]  # (phase, done, total)


class ShadowRebuild:
    def __init__(self, ledger: ReplaySource, name: str,
                 on_progress: Progress | None = None) -> None:
        self.ledger = ledger
        self.database = ledger.database
        self.shadow = ShadowOf(ledger.read_models.projections[name])
        self.store = ReadModelStore(self.database, [self.shadow])
        self.on_progress = on_progress or (lambda *_: None)
        self.position = 0
        self.events = 0

    def run(self) -> Rebuilt:
        started = time.perf_counter()
        self._create_shadow()
        self._fill()
        while self.ledger.events.head() - self.position > SWITCH_LAG:
            self._catch_up(self.ledger.events.head())
        locked = self._switch()
        rows = self.database.query_one(f"SELECT count(*) AS n FROM {self.shadow.live_table}")
        return Rebuilt(self.shadow.name, self.position, int(rows["n"]), self.events,
                       time.perf_counter() - started, locked)

    # -- building ----------------------------------------------------------------------------

    def _create_shadow(self) -> None:
        # SQLite: the shadow gets no search table; the live one's is rebuilt at the switch.
        schema = (projection_schema(self.shadow, self.shadow.table, True)
                  if self.database.postgres else
                  document_schema(self.shadow.table, self.shadow.indexed, self.shadow.indexes))
        self.database.execute_script([f"DROP TABLE IF EXISTS {self.shadow.table}", *schema])

    def _fill(self) -> None:
        """Fold the log up to its current head in memory, then write the documents."""
        head = self.ledger.events.head()
        replayer = Replayer(self.ledger.events, self.ledger.app.mapper.transcoder,
                            [self.shadow],
                            on_progress=lambda p: self.on_progress("folding", p, head))
        replayer.advance(head)
        self.events = replayer.events
        rows = [stored_row(self.shadow, key, owner, position, doc)
                for key, (position, owner, doc) in replayer.documents[self.shadow.name].items()
                if doc is not None]
        del replayer
        for start in range(0, len(rows), CHUNK_ROWS):
            with self.database.transaction() as cursor:
                self._insert(cursor, rows[start:start + CHUNK_ROWS])
            self.on_progress("writing", min(start + CHUNK_ROWS, len(rows)), len(rows))
        self.position = head

    def _insert(self, cursor: Cursor, rows: list[tuple[Any, ...]]) -> None:
        table = self.shadow.table
        columns = ", ".join(["key", "owner", "position", "doc", *self.shadow.indexed])
        if self.database.postgres:
            with cursor.raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * (4 + len(self.shadow.indexed)))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)

    def _catch_up(self, upto: int, cursor: Cursor | None = None) -> None:
        """Apply the events after the shadow's position up to `upto` with the store's own
        apply (each row skips events at or below its position)."""
        transcoder = self.ledger.app.mapper.transcoder
        for rows in self.ledger.events.rows(after=self.position, upto=upto,
                                            batch=CATCH_UP_EVENTS):
            envelopes = [from_row(transcoder, *row) for row in rows]
            if cursor is not None:
                self.store.apply_in(cursor, envelopes)
            else:
                with self.database.transaction() as own:
                    self.store.apply_in(own, envelopes)
            self.position = envelopes[-1].position
            self.events += len(envelopes)
            self.on_progress("catching up", self.position, upto)
        self.position = max(self.position, upto)

    # -- switching ---------------------------------------------------------------------------

    def _switch(self) -> float:
        for attempt in range(1, SWITCH_ATTEMPTS + 1):
            position, events = self.position, self.events
            try:
                return self._switch_once()
            except Exception as error:  # a lock timeout: the feeders were busy; try again
                self.position, self.events = position, events  # the transaction rolled back
                if attempt == SWITCH_ATTEMPTS or not _is_lock_timeout(error):
                    raise
        raise AssertionError("unreachable")

    def _switch_once(self) -> float:
        live, shadow = self.shadow.live_table, self.shadow.table
        with self.database.transaction() as cursor:
            started = time.perf_counter()
            if self.database.postgres:  # SQLite: the transaction holds the write lock
                cursor.execute(f"LOCK TABLE {live} IN ACCESS EXCLUSIVE MODE")
            head = self.ledger.events.head()
            self._catch_up(head, cursor)
            cursor.execute("UPDATE rm_positions SET position = ? WHERE projection = ? "
                           "AND position < ?", (head, self.shadow.name, head))
            cursor.execute(f"DROP TABLE {live}")
            cursor.execute(f"ALTER TABLE {shadow} RENAME TO {live}")
            self._rename_indexes(cursor)
            locked = time.perf_counter() - started
        return locked


    def _rename_indexes(self, cursor: Cursor) -> None:
        """The shadow's indexes take the live names (the next start creates none twice)."""
        live, shadow = self.shadow.live_table, self.shadow.table
        suffixes = index_suffixes(self.shadow)
        if self.database.postgres:
            if self.shadow.search:
                suffixes.append(f"{self.shadow.search}_trgm")
            for suffix in [*suffixes, "pkey"]:
                cursor.execute(f"ALTER INDEX {shadow}_{suffix} RENAME TO {live}_{suffix}")
            return
        for suffix in suffixes:  # SQLite cannot rename an index: build it under its name
            cursor.execute(f"DROP INDEX {shadow}_{suffix}")
        for statement in document_schema(live, self.shadow.indexed, self.shadow.indexes):
            cursor.execute(self.database.ddl(statement))
        if self.shadow.search:  # the old search table indexed the dropped rows: build anew
            cursor.execute(f"DROP TABLE IF EXISTS {live}_fts")
            for statement in search_schema(live, self.shadow.search, postgres=False):
                cursor.execute(statement)
            cursor.execute(f"INSERT INTO {live}_fts ({live}_fts) VALUES ('rebuild')")


def _is_lock_timeout(error: Any) -> bool:
    text = str(error).lower()
    return "lock timeout" in text or "database is locked" in text
