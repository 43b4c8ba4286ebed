"""The disclosure log: every read of a learner's record by someone other than the learner.

An entry says who (a principal's id, role and organisation, or an anonymous reader through a
share link), when, what (the transcript, a credential, an export) and through which grant or
link: ids only, never personal data. The table is append-only (triggers, migration 5).

Writing must not slow reads down: `record` only puts the entry on a queue; one writer thread
gathers entries for up to 50 ms and inserts them in one statement per batch, committed without
waiting for the WAL flush on PostgreSQL (a commit per read, with fsync, measurably slowed the
reads beside it: bench/disclosures.py). `flush` waits until every entry
recorded before it is stored (reading the log flushes first, so a reader sees their own
process's entries at once). An entry still queued when the process dies is lost: the log is
best effort against crashes, as an access log is, and never blocks or fails a read.
"""

import logging
import queue
import threading
import time
from dataclasses import astuple, dataclass
from typing import Any

import orjson

from ledger.store.database import Database

log = logging.getLogger(__name__)

COLUMNS = ("learner_id", "at", "principal_id", "role", "organisation_id", "grant_id",
           "link_id", "what", "credential_ids")
MAX_BATCH = 500
GATHER_SECONDS = 0.05
MAX_PAGE = 100


@dataclass(frozen=True)
class Disclosure:
    learner_id: str
    at: str
    principal_id: str | None  # None: anonymous, through a share link
    role: str  # a principal's role, or "anonymous"
    organisation_id: str | None
    grant_id: str | None
    link_id: str | None
    what: str  # transcript, credentials, export:<kind>, credential
    credential_ids: str | None  # a JSON list, or None for the whole record

    @classmethod
    def of(cls, learner_id: str, at: str, what: str, *, principal_id: str | None = None,
           role: str = "anonymous", organisation_id: str | None = None,
           grant_id: str | None = None, link_id: str | None = None,
           credential_ids: list[str] | None = None) -> "Disclosure":
        ids = orjson.dumps(credential_ids).decode() if credential_ids is not None else None
        return cls(learner_id, at, principal_id, role, organisation_id, grant_id, link_id,
                   what, ids)


class DisclosureLog:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._queue: queue.SimpleQueue[Disclosure | threading.Event | None] = \
            queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="disclosure-log", daemon=True)
        self._thread.start()

    def record(self, entry: Disclosure) -> None:
        """Queue an entry (no I/O on the caller's thread)."""
        self._queue.put(entry)

    def flush(self, timeout: float = 10.0) -> None:
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        """Gather entries for up to GATHER_SECONDS (or MAX_BATCH of them, or until someone
        flushes), then store them in one statement: a few commits a second under any load."""
        while True:
            batch: list[Disclosure] = []
            waiting: list[threading.Event] = []
            item = self._queue.get()
            deadline = time.monotonic() + GATHER_SECONDS
            stop = False
            while True:
                if item is None:
                    stop = True
                    break
                if isinstance(item, threading.Event):
                    waiting.append(item)
                    break  # someone waits: store what is here now
                batch.append(item)
                remaining = deadline - time.monotonic()
                if len(batch) >= MAX_BATCH or remaining <= 0:
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            self._write(batch)
            for event in waiting:
                event.set()
            if stop:
                return

    def _write(self, batch: list[Disclosure]) -> None:
        if not batch:
            return
        try:
            with self.database.transaction() as cursor:  # one statement per batch
                if self.database.postgres:  # best effort anyway: no wait for the WAL flush
                    cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.insert_many("disclosures", COLUMNS, [astuple(e) for e in batch])
        except Exception:  # never let the writer die; the reads it logs have been answered
            log.exception("could not store %d disclosure log entries", len(batch))

    def page(self, learner_id: str, limit: int = 20, before: int | None = None
             ) -> dict[str, Any]:
        """The learner's entries, newest first; `next` is the `before` of the next page."""
        self.flush()
        limit = max(1, min(limit, MAX_PAGE))
        sql = f"SELECT id, {', '.join(COLUMNS)} FROM disclosures WHERE learner_id = ?"
        params: list[Any] = [learner_id]
        if before is not None:
            sql += " AND id < ?"
            params.append(before)
        rows = self.database.read(sql + " ORDER BY id DESC LIMIT ?", (*params, limit + 1))
        entries = [_entry(row) for row in rows[:limit]]
        more = len(rows) > limit
        return {"learner_id": learner_id, "entries": entries,
                "next": entries[-1]["id"] if more else None}


def _entry(row: Any) -> dict[str, Any]:
    ids = row["credential_ids"]
    return {"id": int(row["id"]), "at": row["at"], "what": row["what"],
            "credential_ids": orjson.loads(ids) if ids is not None else None,
            "who": {"principal_id": row["principal_id"], "role": row["role"],
                    "organisation_id": row["organisation_id"]},
            "grant_id": row["grant_id"], "link_id": row["link_id"]}
