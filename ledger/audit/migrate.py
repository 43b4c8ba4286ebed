"""One-off migration of a store that predates the hash chain: link every event, once, under
the append lock, at startup.

Only a store with events, no chain entries and no checkpoints is migrated. Anything else with
unlinked events (for example an event slipped into a chained store) is left for
`ledger audit verify` to report: linking it would launder it into the history.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from eventsourcing.persistence import Transcoder

from ledger.audit import checkpoints, scan
from ledger.audit.progress import Update
from ledger.store import chain
from ledger.store.database import Database

log = logging.getLogger(__name__)

BATCH = 10_000
ProgressBar = Callable[[str, int], AbstractContextManager[Update]]


def needed(database: Database, events_table: str) -> bool:
    position = "notification_id" if database.postgres else "rowid"
    row = database.query_one(
        f"SELECT (SELECT MAX({position}) FROM {events_table}) AS events, "
        f"(SELECT MAX(position) FROM {chain.TABLE}) AS links, "
        f"(SELECT MAX(position) FROM {checkpoints.TABLE}) AS checkpoints")
    return row["events"] is not None and row["links"] is None and row["checkpoints"] is None


def migrate(database: Database, events_table: str, transcoder: Transcoder,
            progress: ProgressBar) -> int:
    """Link every event of an unchained store; returns how many were linked. Each event's
    recorded time is its own timestamp (the time of the original append is not kept)."""
    with scan.snapshot(database, events_table, write=True) as store:
        if store.chain_count():
            return 0  # another process migrated it while this one waited for the lock
        top = store.top()
        count = 0
        with progress("Linking events into the hash chain", top) as update:
            for rows in _batches(store.events(), transcoder):
                _insert(store, rows)
                count += len(rows)
                update(rows[-1][0])
    log.info("hash chain: linked %d events of a store that predates it", count)
    return count


def _batches(rows: Iterator[scan.Row], transcoder: Transcoder
             ) -> Iterator[list[tuple[int, int, bytes]]]:
    previous, recorded_at, batch = chain.GENESIS, 0, []
    for position, stream, version, topic, state, _, _ in rows:
        recorded_at = max(recorded_at, _timestamp(transcoder, state))
        previous = chain.link(previous, position, stream, version, topic.encode(), recorded_at,
                              state)
        batch.append((position, recorded_at, previous))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _timestamp(transcoder: Transcoder, state: bytes) -> int:
    moment = transcoder.decode(state)["timestamp"]
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return chain.micros(moment)


def _insert(store: scan.Snapshot, rows: list[tuple[int, int, bytes]]) -> None:
    if store.postgres:
        store.cursor.raw.execute(
            f"INSERT INTO {chain.TABLE} (position, recorded_at, chain_hash) "
            "SELECT * FROM unnest(%b::bigint[], %b::bigint[], %b::bytea[])",
            [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]])
    else:
        store.cursor.executemany(
            f"INSERT INTO {chain.TABLE} (position, recorded_at, chain_hash) VALUES (?, ?, ?)",
            rows)
