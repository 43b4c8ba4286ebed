"""How far the read models have come, when they are built outside this process."""

from collections.abc import Sequence

import orjson

from ledger.projections.store import ReadModelStore
from ledger.store.database import Database


class StoredPositions:
    """Projections fed from the notification log by another process (`ledger projections run`)."""

    def __init__(self, read_models: ReadModelStore) -> None:
        self.read_models = read_models

    def position(self) -> int:
        return min(self.read_models.positions().values(), default=0)

    def reached(self, position: int) -> bool:
        return self.position() >= position


class KafkaWatermarks:
    """Projections fed from Kafka: position N is reached when every projector has consumed
    past the offsets the relay had written when it published N (relay_watermarks)."""

    def __init__(self, database: Database, topic: str, projections: Sequence[str]) -> None:
        self.database = database
        self.topic = topic
        self.projections = list(projections)

    def _consumed(self) -> dict[tuple[str, int], int]:
        rows = self.database.query(
            "SELECT projection, partition, next_offset FROM projector_offsets WHERE topic = ?",
            (self.topic,))
        return {(row["projection"], row["partition"]): row["next_offset"] for row in rows}

    def _covers(self, offsets: str, consumed: dict[tuple[str, int], int]) -> bool:
        marks = orjson.loads(offsets)
        return all(consumed.get((name, int(partition)), 0) > offset
                   for name in self.projections for partition, offset in marks.items())

    def reached(self, position: int) -> bool:
        row = self.database.query_one(
            "SELECT offsets FROM relay_watermarks WHERE topic = ? AND position >= ? "
            "ORDER BY position LIMIT 1", (self.topic, position))
        return row is not None and self._covers(row["offsets"], self._consumed())

    def position(self) -> int:
        """The newest published position every projector has passed (0 if none)."""
        consumed = self._consumed()
        rows = self.database.query(
            "SELECT position, offsets FROM relay_watermarks WHERE topic = ? "
            "ORDER BY position DESC LIMIT 100", (self.topic,))
        return next((row["position"] for row in rows if self._covers(row["offsets"], consumed)),
                    0)
