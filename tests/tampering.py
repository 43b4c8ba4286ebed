"""A database superuser's access to the store, for tests that tamper with it behind the
ledger's back: append-only triggers off, rows rewritten, chain entries recomputed."""

import sqlite3
from pathlib import Path
from uuid import UUID

import psycopg

from ledger.application import Ledger
from ledger.audit import checkpoints
from ledger.config import Settings
from ledger.store import chain

# The triggers that keep a table append-only (ledger/store/schema/0001_baseline.*.sql), by
# the suffix after `<table>_`: SQLite refuses UPDATE and DELETE, PostgreSQL also TRUNCATE.
SQLITE_GUARDS = ("no_update", "no_delete")
POSTGRES_GUARDS = ("no_change", "no_truncate")


def guarded_tables(ledger: Ledger) -> list[str]:
    """Every table the database keeps append-only: the events, their hash chain and the
    signed checkpoints. Written out here, not read from the schema, so that a guard dropped
    from the schema is missed by the tests rather than silently skipped."""
    return [ledger.app.recorder.events_table_name, chain.TABLE, checkpoints.TABLE]


def missing_guards(run, postgres: bool, table: str) -> list[str]:
    """The append-only triggers `table` should have and has not (`run` executes SQL)."""
    if postgres:
        rows = run("SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(?) "
                   "AND NOT tgisinternal AND tgenabled <> 'D'", (table,))
        expected = [f"{table}_{suffix}" for suffix in POSTGRES_GUARDS]
    else:
        rows = run("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                   (table,))
        expected = [f"{table}_{suffix}" for suffix in SQLITE_GUARDS]
    present = {r[0] for r in rows}
    return [name for name in expected if name not in present]


class Superuser:
    """The store's database, reached directly by its owner, behind the ledger's back."""

    def __init__(self, settings: Settings, ledger: Ledger) -> None:
        self.postgres = settings.uses_postgres
        self.events = ledger.app.recorder.events_table_name
        self.position = "notification_id" if self.postgres else "rowid"
        if self.postgres:
            self.conn = psycopg.connect(settings.database_url, autocommit=True)
        else:
            self.conn = sqlite3.connect(Path(settings.data_dir) / "ledger.sqlite3",
                                        isolation_level=None)
        for table in guarded_tables(ledger):
            self._unprotect(table)

    def _unprotect(self, table: str) -> None:
        """Switch the table's append-only triggers off; each must be there to begin with (a
        tampering test that found none to switch off would prove nothing about them)."""
        missing = missing_guards(self.run, self.postgres, table)
        if missing:
            self.close()
            raise AssertionError(f"{table} is not append-only: trigger(s) {', '.join(missing)} "
                                 "missing from the store")
        if self.postgres:
            self.run(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for suffix in SQLITE_GUARDS:
                self.run(f"DROP TRIGGER {table}_{suffix}")

    def run(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.postgres:
            cursor = self.conn.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []
        return self.conn.execute(sql, params).fetchall()

    def positions(self) -> list[int]:
        return [r[0] for r in self.run(f"SELECT {self.position} FROM {self.events} "
                                       f"ORDER BY {self.position}")]

    def event(self, position: int) -> tuple:
        """(stream id bytes, version, topic, state) of the event at a position."""
        stream, version, topic, state = self.run(
            f"SELECT originator_id, originator_version, topic, state FROM {self.events} "
            f"WHERE {self.position} = ?", (position,))[0]
        stream = stream if isinstance(stream, UUID) else UUID(stream)
        return stream, version, topic, bytes(state)

    def stream_param(self, stream: UUID):
        return stream if self.postgres else stream.hex

    def link(self, position: int) -> tuple[int, bytes]:
        recorded_at, digest = self.run(
            f"SELECT recorded_at, chain_hash FROM {chain.TABLE} WHERE position = ?",
            (position,))[0]
        return recorded_at, bytes(digest)

    def set_state(self, position: int, state: bytes) -> None:
        self.run(f"UPDATE {self.events} SET state = ? WHERE {self.position} = ?",
                 (state, position))

    def delete_event(self, position: int, with_link: bool) -> None:
        self.run(f"DELETE FROM {self.events} WHERE {self.position} = ?", (position,))
        if with_link:
            self.run(f"DELETE FROM {chain.TABLE} WHERE position = ?", (position,))

    def move(self, source: int, target: int) -> None:
        self.run(f"UPDATE {self.events} SET {self.position} = ? WHERE {self.position} = ?",
                 (target, source))

    def insert_event(self, position: int, stream: UUID, version: int, topic: str,
                     state: bytes) -> None:
        self.run(f"INSERT INTO {self.events} ({self.position}, originator_id, "
                 "originator_version, topic, state) VALUES (?, ?, ?, ?, ?)",
                 (position, self.stream_param(stream), version, topic, state))

    def write_link(self, position: int, previous: bytes, recorded_at: int) -> bytes:
        """The chain entry for the event at `position`, computed the way the ledger would."""
        stream, version, topic, state = self.event(position)
        digest = chain.link(previous, position, stream.bytes, version, topic.encode(),
                            recorded_at, state)
        self.run(f"DELETE FROM {chain.TABLE} WHERE position = ?", (position,))
        self.run(f"INSERT INTO {chain.TABLE} (position, recorded_at, chain_hash) "
                 "VALUES (?, ?, ?)", (position, recorded_at, digest))
        return digest

    def rechain_from(self, position: int) -> None:
        """Recompute every chain entry from `position` on: a consistent rewrite."""
        earlier = [p for p in self.positions() if p < position]
        previous = self.link(earlier[-1])[1] if earlier else chain.GENESIS
        for at in (p for p in self.positions() if p >= position):
            previous = self.write_link(at, previous, self.link(at)[0])

    def close(self) -> None:
        self.conn.close()
