"""Direct reads of the events table where the library has no call for them: one stream with
its store positions (for as-of replays of a single learner)."""

from uuid import UUID

from eventsourcing.persistence import Notification

from ledger.store.database import Database


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
