"""A thin, dialect-aware handle on the event store's own connection pool.

The read models, indexes and vault share the event store's database (and its pool), so that
side rows can be written in the very transaction that appends the events. SQL is written
once with `?` placeholders and `{blob}`/`{bigint}` type names, and translated for PostgreSQL.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.sqlite import SQLiteCursor, SQLiteTransaction
from psycopg_pool.base import AttemptWithBackoff

# psycopg_pool waits with exponential backoff (1, 2, 4, 8 s, ...) both between reconnection
# attempts and between the pre-ping checks of its pooled connections, which a database
# restart has all broken: one request then spent 1 + 2 + 4 + ... seconds discarding them one by
# one (measured: 70 s of stalled reads after a one-second restart; 10 s with a constant 1 s).
# A constant 0.1 s: a pool of 20 broken connections is cleared in 2 s, and a server that is
# away is tried ten times a second (a refused TCP connection: cheap).
AttemptWithBackoff.INITIAL_DELAY = 0.1
AttemptWithBackoff.DELAY_BACKOFF = 1.0

SQLITE_TYPES = {"blob": "BLOB", "bigint": "INTEGER", "text": "TEXT", "real": "REAL"}
POSTGRES_TYPES = {"blob": "bytea", "bigint": "bigint", "text": "text", "real": "double precision"}


# A binary array holds one element type: JSON numbers may come as int or float in one column,
# and a text column may be handed a number.
_ELEMENT_TYPES = {"bigint": int, "double precision": float, "text": str}


def _array_of(kind: str, values: Sequence[Any]) -> list[Any]:
    convert = _ELEMENT_TYPES.get(kind.lower())
    if convert is None:
        return list(values)
    return [v if v is None or type(v) is convert else convert(v) for v in values]


class Cursor:
    """Wraps a DB-API cursor of either dialect and translates placeholders."""

    def __init__(self, raw: Any, postgres: bool) -> None:
        self.raw = raw
        self.postgres = postgres

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> "Cursor":
        self.raw.execute(self._sql(sql), params)
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.raw.executemany(self._sql(sql), rows)

    def insert_rows(self, table: str, columns: dict[str, str], rows: Sequence[Sequence[Any]],
                    tail: str = "", rows_per_statement: int = 500) -> None:
        """`INSERT INTO table (columns) ... tail` for many rows; `columns` maps each name to
        its SQL type (`TEXT`, `{bigint}`, ...).

        PostgreSQL: one statement per batch that selects from one typed array per column
        (unnest). Its text does not depend on the number of rows, so psycopg converts it once
        and the server prepares it, where a VALUES list of a batch's rows was parsed and
        planned afresh each time. SQLite: VALUES lists of up to `rows_per_statement` rows."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.postgres:
            kinds = [kind.format(**POSTGRES_TYPES) for kind in columns.values()]
            arrays = ", ".join(f"%b::{kind}[]" for kind in kinds)
            self.raw.execute(
                f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {tail}",
                [_array_of(kind, column) for kind, column in zip(kinds, zip(*rows, strict=True),
                                                                   strict=True)])
            return
        marks = "(" + ", ".join("?" * len(columns)) + ")"
        for start in range(0, len(rows), rows_per_statement):
            chunk = rows[start:start + rows_per_statement]
            self.raw.execute(f"INSERT INTO {table} ({names}) VALUES "
                             f"{', '.join([marks] * len(chunk))} {tail}",
                             [value for row in chunk for value in row])

    def where_in(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """A condition `column` is one of `values`, and its parameters: `= ANY(array)` on
        PostgreSQL (one statement text for any number of values), `IN (?, ...)` on SQLite."""
        if self.postgres:
            return f"{column} = ANY(?)", [list(values)]
        return f"{column} IN ({','.join('?' * len(values))})", list(values)

    def insert_many(self, table: str, columns: Sequence[str],
                    rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows into text columns (insert_rows)."""
        self.insert_rows(table, dict.fromkeys(columns, "TEXT"), rows)

    def fetchall(self) -> list[Any]:
        return self.raw.fetchall()

    def fetchone(self) -> Any:
        return self.raw.fetchone()

    @property
    def rowcount(self) -> int:
        return self.raw.rowcount


class _ImmediateTransaction(SQLiteTransaction):
    """The library's SQLite transaction (same commit, rollback and error mapping), begun
    IMMEDIATE."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        return cursor


class Database:
    def __init__(self, datastore: Any, postgres: bool) -> None:
        self.datastore = datastore
        self.postgres = postgres
        self.types = POSTGRES_TYPES if postgres else SQLITE_TYPES

    def ddl(self, statement: str) -> str:
        return statement.format(**self.types)

    @contextmanager
    def transaction(self, *, commit: bool = True, durable: bool = True) -> Iterator[Cursor]:
        """A transaction; `durable=False` is for what can be derived again from the events
        (read models with their positions or offsets): on PostgreSQL its commit does not wait
        for the WAL flush. A crash may then lose its last fraction of a second, positions
        together with documents, and the projection applies those events again."""
        if commit and not self.postgres:
            # SQLite: take the write lock at BEGIN. A deferred transaction that reads first
            # fails at its first write (SQLITE_BUSY, no waiting) whenever another process has
            # committed since its read began: the projections runner did, once a second process
            # (a rebuild, a CLI command) wrote to the same file.
            with self.datastore.get_connection(commit=True) as conn, \
                    _ImmediateTransaction(conn, commit=True) as raw, raw:
                yield Cursor(raw, postgres=False)
            return
        with self.datastore.transaction(commit=commit) as raw:
            if not durable and commit:
                raw.execute("SET LOCAL synchronous_commit TO OFF")
            yield Cursor(raw, self.postgres)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.transaction(commit=False) as cursor:
            return cursor.execute(sql, params).fetchall()

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """One read-only statement. On PostgreSQL it runs in autocommit: one round trip to
        the server instead of three (BEGIN, the statement, ROLLBACK), its own snapshot."""
        if not self.postgres:
            return self.query(sql, params)
        with self.datastore.cursor() as raw:
            return Cursor(raw, postgres=True).execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def execute_script(self, statements: Sequence[str]) -> None:
        with self.transaction() as cursor:
            for statement in statements:
                cursor.execute(self.ddl(statement))

    def release_residue(self, tables: Sequence[str]) -> None:
        """After personal data was deleted from `tables`: on SQLite, copy the write-ahead log
        into the database file and truncate it, so that no old page image of a deleted row
        stays in the WAL (deleted cells were zeroed by secure_delete); on PostgreSQL, VACUUM
        the tables so dead row versions are pruned rather than left until autovacuum. Best
        effort: a busy database leaves it to the next checkpoint or autovacuum."""
        with self.datastore.get_connection(**({} if self.postgres else {"commit": True})
                                           ) as conn:
            if self.postgres:
                conn.execute(f"VACUUM {', '.join(tables)}")
            else:
                conn.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
