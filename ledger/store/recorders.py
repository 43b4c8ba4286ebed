"""Event recorders for SQLite and PostgreSQL that keep the events table append-only and run
side writes (idempotency records, indexes, the vault) in the transaction that appends events.

`app.save(*aggregates, after_insert=hook)` passes the hook down to the recorder, which calls
`hook(cursor, positions)` once the events are inserted, with `positions` mapping each
(originator id, version) to its notification id: the store position of that event.
"""

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier

from ledger.store.database import Cursor

Positions = dict[tuple[UUID, int], int]
AfterInsert = Callable[[Cursor, Positions], None]

SQLITE_APPEND_ONLY = [
    "CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
    "BEGIN SELECT RAISE(ABORT, 'the events table is append-only: UPDATE refused'); END",
    "CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
    "BEGIN SELECT RAISE(ABORT, 'the events table is append-only: DELETE refused'); END",
]

POSTGRES_APPEND_ONLY = [
    "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the events table is append-only: % refused', TG_OP; END $$",
    "CREATE OR REPLACE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()",
    "CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()",
]


def _positions(stored_events: Sequence[StoredEvent], ids: Sequence[int]) -> Positions:
    return {
        (s.originator_id if isinstance(s.originator_id, UUID) else UUID(s.originator_id),
         s.originator_version): n
        for s, n in zip(stored_events, ids, strict=True)
    }


class SQLiteLedgerRecorder(SQLiteApplicationRecorder):
    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as c:
            for statement in SQLITE_APPEND_ONLY:
                c.execute(statement.format(table=self.events_table_name))

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        hook: AfterInsert | None = kwargs.get("after_insert")
        if hook is not None:
            hook(Cursor(c, postgres=False), _positions(stored_events, ids or []))
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
    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as c:
            # Serialise concurrent first starts: CREATE OR REPLACE races on the catalogue.
            c.execute("SELECT pg_advisory_xact_lock(7355608)")
            for statement in POSTGRES_APPEND_ONLY:
                c.execute(statement.format(table=self.events_table_name))

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        hook: AfterInsert | None = kwargs.get("after_insert")
        if hook is not None:
            # A nested pipeline syncs on exit, so a failing side write raises here, inside
            # the recorder's error handling, rather than at commit.
            with curs.connection.pipeline():
                hook(Cursor(curs, postgres=True), _positions(stored_events, ids or []))
        return ids
