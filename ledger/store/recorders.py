"""Event recorders for SQLite and PostgreSQL that link every
appended event into the hash chain (ledger/store/chain.py), and run side writes (idempotency
records, indexes, the vault) in the transaction that appends events.

`app.save(*aggregates, after_insert=hook)` passes the hook down to the recorder, which calls
`hook(cursor, positions)` once the events are inserted, with `positions` mapping each
(originator id, version) to its notification id: the store position of that event.
"""

import threading
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from ledger.store import chain
from ledger.store.database import Cursor

Positions = dict[tuple[UUID, int], int]
AfterInsert = Callable[[Cursor, Positions], None]


def _positions(stored_events: Sequence[StoredEvent], ids: Sequence[int]) -> Positions:
    return {
        (s.originator_id if isinstance(s.originator_id, UUID) else UUID(s.originator_id),
         s.originator_version): n
        for s, n in zip(stored_events, ids, strict=True)
    }


def _returned_ids(curs: Any, expected: int) -> list[int]:
    """The notification ids the insert returned, read as tuples: the library reads each as a
    dict, which cost a bulk append about as much as encoding its events."""
    if not (curs.statusmessage or "").startswith("INSERT"):
        raise ProgrammingError(f"expected the events' INSERT, got {curs.statusmessage!r}")
    factory, curs.row_factory = curs.row_factory, tuple_row
    try:
        ids = [notification_id for (notification_id,) in curs.fetchall()]
    finally:
        curs.row_factory = factory
    if len(ids) != expected:
        raise ProgrammingError(f"got {len(ids)} notification ids, expected {expected}")
    return ids


def _check_order(head: chain.Head, ids: Sequence[int]) -> None:
    if ids and min(ids) <= head.position:
        # Only possible if the chain table was tampered with (a row past the last event):
        # refuse to fork the chain rather than append after it.
        raise chain.ChainBroken(f"new events at {min(ids)} would not follow the chain head at "
                                f"{head.position}; run `ledger audit verify`")


class SQLiteLedgerRecorder(SQLiteApplicationRecorder):
    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs) or []
        cursor = Cursor(c, postgres=False)
        # The inserts above hold SQLite's write lock: no other writer can move the head.
        head = chain.Head.from_row(cursor.execute(chain.HEAD_SQL).fetchone())
        _check_order(head, ids)
        recorded_at, rows = chain.links(head, stored_events, ids, chain.now_micros())
        cursor.executemany(
            f"INSERT INTO {chain.TABLE} (position, recorded_at, chain_hash) VALUES (?, ?, ?)",
            [(position, recorded_at, digest) for position, digest in rows])
        hook: AfterInsert | None = kwargs.get("after_insert")
        if hook is not None:
            hook(cursor, _positions(stored_events, ids))
        return ids


class PostgresLedgerRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        # Four binary arrays instead of the library's array of a composite type in text form:
        # the same single INSERT ... SELECT FROM unnest(...) RETURNING, without escaping each
        # event's bytes into text (a third of a bulk append's time went there).
        self.insert_arrays_statement = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(schema=Identifier(self.datastore.schema),
                 table=Identifier(self.events_table_name))
        # The head and the database's clock, read after the table lock: this statement is
        # pipelined with the insert, so the chain costs no extra round trip to read.
        self.head_statement = SQL(
            "SELECT head.position, head.chain_hash, head.recorded_at, "
            "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now "
            "FROM (SELECT 1) AS one LEFT JOIN LATERAL ({head}) AS head ON true"
        ).format(head=SQL(chain.HEAD_SQL))
        self.insert_chain_statement = SQL(
            "INSERT INTO {chain} (position, recorded_at, chain_hash) "
            "SELECT position, %b::bigint, chain_hash "
            "FROM unnest(%b::bigint[], %b::bytea[]) AS link(position, chain_hash)"
        ).format(chain=Identifier(chain.TABLE))
        # The head cursor passes from _insert_stored_events to _fetch_ids_after_insert_events
        # within one append, which runs on one thread.
        self._append = threading.local()

    def _insert_stored_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                              **kwargs: Any) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(self.insert_arrays_statement, (
            [s.originator_id for s in stored_events],
            [s.originator_version for s in stored_events],
            [s.topic for s in stored_events],
            [s.state for s in stored_events],
        ))
        head_cursor = curs.connection.cursor()
        head_cursor.execute(self.head_statement, prepare=True)
        self._append.head_cursor = head_cursor

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Sequence[int] | None:
        ids = _returned_ids(curs, len(stored_events))
        head_cursor, self._append.head_cursor = self._append.head_cursor, None
        row = head_cursor.fetchone()
        head_cursor.close()
        head = chain.Head.from_row(row)
        _check_order(head, ids)
        recorded_at, rows = chain.links(head, stored_events, ids, row["now"])
        hook: AfterInsert | None = kwargs.get("after_insert")
        # A nested pipeline syncs on exit, so a failing side write raises here, inside
        # the recorder's error handling, rather than at commit.
        with curs.connection.pipeline():
            curs.execute(self.insert_chain_statement, (
                recorded_at, [position for position, _ in rows], [d for _, d in rows]))
            if hook is not None:
                hook(Cursor(curs, postgres=True), _positions(stored_events, ids))
        return ids
