"""Direct reads of the events table where the library has no call for them: one stream with
its store positions (for as-of replays of a single learner), and the whole log streamed in
store order through a server-side cursor (for audit replays and rebuilds)."""

from collections.abc import Iterator
from uuid import UUID

from eventsourcing.persistence import Notification
from psycopg.rows import tuple_row

from ledger.store.database import Database

# (position, stream id as canonical UUID text, version, topic, stored state)
Row = tuple[int, str, int, str, bytes]


class EventLog:
    def __init__(self, database: Database, table: str) -> None:
        self.database = database
        self.table = table
        self.position_column = "notification_id" if database.postgres else "rowid"

    def stream(self, originator_id: str) -> list[Notification]:
        try:
            key = UUID(originator_id)
        except ValueError:
            return []
        rows = self.database.query(
            f"SELECT {self.position_column} AS position, originator_id, originator_version, "
            f"topic, state FROM {self.table} WHERE originator_id = ? "
            "ORDER BY originator_version",
            (key if self.database.postgres else key.hex,),
        )
        return [
            Notification(id=row["position"], originator_id=key,
                         originator_version=row["originator_version"], topic=row["topic"],
                         state=bytes(row["state"]))
            for row in rows
        ]

    def head(self) -> int:
        """The position of the newest stored event (0 for an empty store)."""
        row = self.database.query_one(f"SELECT max({self.position_column}) AS head "
                                      f"FROM {self.table}")
        return int(row["head"] or 0)

    def rows(self, after: int = 0, upto: int | None = None, stream: str | None = None,
             batch: int = 10_000) -> Iterator[list[Row]]:
        """Every event after `after` (up to `upto`, of one stream if given) in store order,
        in batches. PostgreSQL streams through a server-side cursor in binary format, so a
        million events never sit in memory at once and no statement is issued per event."""
        where, params = [f"{self.position_column} > ?"], [after]
        if upto is not None:
            where.append(f"{self.position_column} <= ?")
            params.append(upto)
        if stream is not None:
            try:
                key = UUID(stream)
            except ValueError:
                return
            where.append("originator_id = ?")
            params.append(key if self.database.postgres else key.hex)
        # The stream id as canonical UUID text, made by the database: cheaper than a UUID
        # object per row in Python.
        subject = ("originator_id::text" if self.database.postgres else
                   "substr(originator_id, 1, 8) || '-' || substr(originator_id, 9, 4) || '-' || "
                   "substr(originator_id, 13, 4) || '-' || substr(originator_id, 17, 4) || '-' "
                   "|| substr(originator_id, 21)")
        sql = (f"SELECT {self.position_column}, {subject}, originator_version, topic, state "
               f"FROM {self.table} WHERE {' AND '.join(where)} "
               f"ORDER BY {self.position_column}")
        if self.database.postgres:
            yield from self._server_side(sql.replace("?", "%s"), params, batch)
        else:
            yield from self._sqlite(sql, params, batch)

    def _server_side(self, sql: str, params: list, batch: int) -> Iterator[list[Row]]:
        with self.database.datastore.get_connection() as conn, conn.transaction():
            cursor = conn.cursor(name="ledger_event_log", row_factory=tuple_row, binary=True)
            cursor.itersize = batch
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(batch):
                yield rows

    def _sqlite(self, sql: str, params: list, batch: int) -> Iterator[list[Row]]:
        with self.database.transaction(commit=False) as cursor:
            raw = cursor.raw.sqlite_cursor  # the library's wrapper has no fetchmany
            raw.execute(sql, params)
            while rows := raw.fetchmany(batch):
                yield [tuple(row) for row in rows]
