"""The audit use cases behind one object: verify the store, sign and list checkpoints, page
through the events with their chain hashes."""

import base64
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, Transcoder

from ledger.audit.checkpoints import Checkpoint, Checkpoints
from ledger.audit.verify import Report, verify
from ledger.domain.actors import Actor, check_role
from ledger.projections.envelope import from_stored
from ledger.store import chain
from ledger.store.database import Database

MAX_PAGE = 1000


class Audit:
    def __init__(self, database: Database, events_table: str, checkpoints: Checkpoints,
                 transcoder: Transcoder) -> None:
        self.database = database
        self.events_table = events_table
        self.checkpoints = checkpoints
        self.transcoder = transcoder
        self.position = "notification_id" if database.postgres else "rowid"

    def verify(self, actor: Actor | None = None, *, from_checkpoint: bool = False,
               external: Iterable[Checkpoint] = (),
               on_start: Callable[[int, int], None] | None = None,
               advance: Callable[[int], None] | None = None) -> Report:
        """Verify the store; `actor` is the API's caller (None: an operator at the console)."""
        if actor is not None:
            check_role(actor, "auditor")
        return verify(self.database, self.events_table, self.checkpoints.trusted_keys(),
                      external=external, from_checkpoint=from_checkpoint, on_start=on_start,
                      advance=advance)

    def checkpoint(self) -> Checkpoint:
        return self.checkpoints.create()

    def after_commit(self, position: int) -> None:
        self.checkpoints.after_commit(position)

    def link_at(self, position: int) -> dict[str, Any] | None:
        """The chain entry at a position: {position, chain_hash}, which commits to every event
        up to and including it."""
        row = self.database.query_one(
            f"SELECT position, chain_hash, recorded_at FROM {chain.TABLE} WHERE position = ?",
            (position,))
        return chain.Head.from_row(row).as_json() if row else None

    def events(self, actor: Actor, after: int | None, limit: int) -> dict[str, Any]:
        """One page of the events after a position (from the very first without one), with
        what it takes to recompute their chain hashes (`topic`, `recorded_at`, `stored`)."""
        check_role(actor, "auditor")
        limit = max(1, min(limit, MAX_PAGE))
        where = "" if after is None else f"WHERE e.{self.position} > ? "
        rows = self.database.query(
            f"SELECT e.{self.position} AS position, e.originator_id AS stream_id, "
            "e.originator_version AS version, e.topic AS topic, e.state AS state, "
            "c.recorded_at AS recorded_at, c.chain_hash AS chain_hash "
            f"FROM {self.events_table} e LEFT JOIN {chain.TABLE} c "
            f"ON c.position = e.{self.position} {where}"
            f"ORDER BY e.{self.position} LIMIT ?", (*(() if after is None else (after,)), limit))
        events = [self._event(row) for row in rows]
        return {"events": events,
                "next": events[-1]["position"] if len(events) == limit else None}

    def _event(self, row: Any) -> dict[str, Any]:
        state = bytes(row["state"])
        stream = row["stream_id"]
        stream = stream if isinstance(stream, UUID) else UUID(stream)
        envelope = from_stored(self.transcoder, Notification(
            id=row["position"], originator_id=stream, originator_version=row["version"],
            topic=row["topic"], state=state))
        recorded_at, digest = row["recorded_at"], row["chain_hash"]
        return {
            "position": row["position"], "stream_id": str(stream), "version": row["version"],
            "type": envelope.type, "topic": row["topic"],
            "recorded_at": chain.from_micros(recorded_at) if recorded_at is not None else None,
            "occurred_at": envelope.time, "data": envelope.data,
            "chain_hash": bytes(digest).hex() if digest is not None else None,
            "stored": base64.b64encode(state).decode(),
        }
