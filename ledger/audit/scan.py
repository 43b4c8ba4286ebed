"""Consistent, fast reads of the events with their chain links, for verification, migration and
the audit API: one transaction (a snapshot), rows streamed in position order.

On PostgreSQL the rows come through a server-side cursor in binary form, so that nothing is
parsed from text and memory stays flat however large the store.
"""

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from psycopg.rows import tuple_row

from ledger.store import chain
from ledger.store.database import Cursor, Database

# (position, stream id as 16 bytes, version, topic, stored bytes, recorded_at, chain_hash);
# the last two are None where an event has no chain entry.
Row = tuple[int, bytes, int, str, bytes, int | None, bytes | None]
BATCH = 10_000


class Snapshot:
    """One transaction over the store; `cursor` answers ordinary queries in the same snapshot."""

    def __init__(self, database: Database, events_table: str, cursor: Cursor,
                 connection: Any) -> None:
        self.postgres = database.postgres
        self.events_table = events_table
        self.position = "notification_id" if database.postgres else "rowid"
        self.cursor = cursor
        self._connection = connection

    def events(self, after: int | None = None) -> Iterator[Row]:
        """Every event (after `after`), joined with its chain link. With no `after` the scan
        has no lower bound: a row forged at position 0 or below is read too."""
        stream = "uuid_send(e.originator_id)" if self.postgres else "e.originator_id"
        sql = (f"SELECT e.{self.position}, {stream}, e.originator_version, e.topic, e.state, "
               f"c.recorded_at, c.chain_hash FROM {self.events_table} e "
               f"LEFT JOIN {chain.TABLE} c ON c.position = e.{self.position} "
               f"{self._after('e.' + self.position, after)} ORDER BY e.{self.position}")
        params = () if after is None else (after,)
        if self.postgres:
            yield from self._stream_postgres(sql.replace("?", "%s"), params)
        else:
            for row in self._stream_sqlite(sql, params):
                yield (row[0], _sqlite_stream_id(row[1]), *row[2:])

    def top(self) -> int:
        row = self.cursor.execute(
            f"SELECT MAX({self.position}) AS top FROM {self.events_table}").fetchone()
        return int(row["top"] or 0)

    def chain_count(self, after: int | None = None) -> int:
        params = () if after is None else (after,)
        return int(self.cursor.execute(
            f"SELECT COUNT(*) AS n FROM {chain.TABLE} {self._after('position', after)}", params
        ).fetchone()["n"])

    def orphan_links(self, after: int | None, limit: int) -> list[int]:
        """Positions of chain entries whose event is gone."""
        where = self._after("c.position", after)
        where += (" AND" if where else "WHERE") + f" e.{self.position} IS NULL"
        rows = self.cursor.execute(
            f"SELECT c.position AS position FROM {chain.TABLE} c "
            f"LEFT JOIN {self.events_table} e ON e.{self.position} = c.position "
            f"{where} ORDER BY c.position LIMIT ?",
            (*(() if after is None else (after,)), limit)).fetchall()
        return [int(row["position"]) for row in rows]

    @staticmethod
    def _after(column: str, after: int | None) -> str:
        return "" if after is None else f"WHERE {column} > ?"

    def _stream_postgres(self, sql: str, params: tuple) -> Iterator[Row]:
        with self._connection.cursor(name="ledger_audit_scan", binary=True,
                                     row_factory=tuple_row) as named:
            named.execute(sql, params)
            yield from _prefetched(lambda: named.fetchmany(BATCH))

    def _stream_sqlite(self, sql: str, params: tuple) -> Iterator[Any]:
        raw = self._connection.cursor()
        raw.row_factory = None
        try:
            raw.execute(sql, params)
            while rows := raw.fetchmany(BATCH):
                yield from rows
        finally:
            raw.close()


def _sqlite_stream_id(text: Any) -> bytes:
    """The UUID's bytes from SQLite's text column, only from the canonical form the library
    writes and queries by (32 lowercase hex digits): any other spelling (which hides the event
    from its stream) gives b"", which the chain refuses."""
    try:
        raw = bytes.fromhex(text)
    except (TypeError, ValueError):
        return b""
    return raw if len(raw) == 16 and raw.hex() == text else b""


def _prefetched(fetch: Callable[[], list]) -> Iterator[Any]:
    """Rows of `fetch()` batches, the next batch fetched by a helper thread while the caller
    works through the current one: the server's work and the caller's overlap (psycopg waits
    on the socket without the GIL)."""
    batches: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce() -> None:
        try:
            while not stop.is_set():
                rows = fetch()
                _put(batches, rows, stop)
                if not rows:
                    return
        except BaseException as error:  # handed to the consumer, raised there
            _put(batches, error, stop)

    worker = threading.Thread(target=produce, name="audit-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            rows = batches.get()
            if isinstance(rows, BaseException):
                raise rows
            if not rows:
                return
            yield from rows
    finally:
        stop.set()
        worker.join()


def _put(batches: queue.Queue, item: Any, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            batches.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


@contextmanager
def snapshot(database: Database, events_table: str, *, write: bool = False
             ) -> Iterator[Snapshot]:
    """A read-only snapshot; with `write`, a transaction that holds the append lock, so that
    no event is appended until it ends (used by the one-off chain migration)."""
    if database.postgres:
        with database.datastore.get_connection() as conn, conn.transaction():
            if not write:
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            else:
                conn.execute(f"LOCK TABLE {events_table} IN EXCLUSIVE MODE")
            yield Snapshot(database, events_table, Cursor(conn.cursor(), True), conn)
    else:
        with database.datastore.transaction(commit=write) as raw:
            if write:
                # Take SQLite's write lock now, before reading, not at the first insert.
                raw.execute(f"DELETE FROM {chain.TABLE} WHERE 0")
            connection = raw.sqlite_cursor.connection
            yield Snapshot(database, events_table, Cursor(raw, False), connection)
