"""Verification: recompute the hash chain from position 0 (or from a trusted checkpoint), check
it against every signed checkpoint, and name the first position where the store is wrong.

What "first bad position" means for each kind of tampering:

- changed stored bytes (or stream, version, topic, recorded time): that event's position;
- two events swapped: the lower of the two positions;
- a field the encoding cannot hold (a negative version, a SQLite stream id not in the
  canonical lowercase form the library looks streams up by, a missing value): that event;
- a forged event inserted: the forged event's position, whether it has no chain entry, a
  made-up one, or one computed correctly from its predecessor (its successor then still links
  to the event before it, which names the forgery); for a run of up to 16 forged events, the
  first of them; a forged event at position 0 or below (where the ledger never writes, and
  which a scan from "position > 0" would miss) is named too;
- a deleted event: its own position while its chain entry survives; when the entry went too,
  the position of the first surviving event after it, the first whose link no longer holds
  (the chain cannot tell a removed predecessor from a changed event);
- a rewritten tail, re-hashed consistently: the position of the first signed checkpoint that
  the recomputed chain contradicts (the rewrite began after the last checkpoint that still
  matches, and at or before this one); events removed from the end: the first signed
  checkpoint past the new end.

An event appended after the last checkpoint with a correctly computed chain entry cannot be
told from a genuine append by the chain alone: checkpoints bound what can be rewritten.
Verification continues past a problem (re-anchoring on the stored hash), so independent
problems are each reported.
"""

import struct
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger.audit import scan
from ledger.audit.checkpoints import Checkpoint, select_all
from ledger.store import chain
from ledger.store.database import Database

MAX_PROBLEMS = 100
# How many consecutive forged events verification can name as inserted (more are reported at
# the first genuine event after them).
INSERTED_RUN = 16
# Progress is reported once per this many events.
PROGRESS_EVERY = 50_000

Advance = Callable[[int], None]


@dataclass(frozen=True)
class Problem:
    position: int
    kind: str
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"position": self.position, "kind": self.kind, "detail": self.detail}


@dataclass
class Report:
    events_checked: int = 0
    head: chain.Head = field(default_factory=chain.Head)
    from_position: int = 0
    checkpoints_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_position(self) -> int | None:
        return min((p.position for p in self.problems), default=None)

    def add(self, position: int, kind: str, detail: str) -> None:
        self.problems.append(Problem(position, kind, detail))

    def as_json(self) -> dict[str, Any]:
        ordered = sorted(self.problems, key=lambda p: p.position)
        return {
            "ok": self.ok, "events_checked": self.events_checked, "head": self.head.as_json(),
            "first_bad_position": self.first_bad_position,
            "problem": ordered[0].detail if ordered else None,
            "problems": [p.as_json() for p in ordered[:MAX_PROBLEMS]],
            "from_position": self.from_position,
            "checkpoints_checked": self.checkpoints_checked,
            "seconds": round(self.seconds, 3),
        }


def verify(database: Database, events_table: str, trusted_keys: set[str], *,
           external: Iterable[Checkpoint] = (), from_checkpoint: bool = False,
           on_start: Callable[[int, int], None] | None = None,
           advance: Advance | None = None) -> Report:
    """Check the chain and the checkpoints (stored ones, plus `external` copies) within one
    snapshot. Checkpoints count only when signed by one of `trusted_keys`.

    `on_start(from_position, top_position)` and `advance(position)` drive a progress bar."""
    started = time.perf_counter()
    report = Report()
    with scan.snapshot(database, events_table) as store:
        stored = [Checkpoint.from_row(r)
                  for r in store.cursor.execute(select_all()).fetchall()]
        checkpoints = _trusted(report, [*stored, *external], trusted_keys)
        start = checkpoints[-1] if from_checkpoint and checkpoints else None
        report.from_position = start.position if start else 0
        if start is not None:
            _check_start(report, store, start)
        top = store.top()
        if on_start is not None:
            on_start(report.from_position, top)
        ahead = [c for c in checkpoints if start is None or c.position > start.position]
        linked = _walk(report, store.events(start.position if start else None), start, ahead,
                       advance or (lambda _: None))
        _orphans(report, store, linked)
    report.seconds = time.perf_counter() - started
    return report


def _trusted(report: Report, checkpoints: list[Checkpoint], keys: set[str]
             ) -> list[Checkpoint]:
    """The checkpoints that prove something: a valid signature by one of the ledger's keys,
    one per position (two different signed hashes for one position is itself a problem)."""
    by_position: dict[int, Checkpoint] = {}
    for c in checkpoints:
        if c.key_id not in keys:
            report.add(c.position, "checkpoint-key",
                       f"checkpoint at {c.position} is signed by {c.key_id}, which is not one "
                       "of this ledger's keys")
        elif not c.signature_valid():
            report.add(c.position, "checkpoint-signature",
                       f"checkpoint at {c.position} has an invalid signature")
        elif c.position in by_position and by_position[c.position].chain_hash != c.chain_hash:
            report.add(c.position, "checkpoint-conflict",
                       f"two signed checkpoints at {c.position} name different chain hashes")
        else:
            by_position[c.position] = c
    report.checkpoints_checked = len(by_position)
    return [by_position[p] for p in sorted(by_position)]


def _check_start(report: Report, store: scan.Snapshot, start: Checkpoint) -> None:
    row = store.cursor.execute(f"SELECT chain_hash FROM {chain.TABLE} WHERE position = ?",
                               (start.position,)).fetchone()
    if row is None or bytes(row["chain_hash"]) != start.chain_hash:
        report.add(start.position, "checkpoint-contradicted",
                   f"the chain entry at {start.position} differs from the signed checkpoint "
                   "verification started from")


def _walk(report: Report, rows: Iterable[scan.Row], start: Checkpoint | None,
          checkpoints: list[Checkpoint], advance: Advance) -> int:
    """Recompute the chain over `rows`; returns how many of them had a chain entry."""
    link = chain.link
    topics: dict[str, bytes] = {}
    previous = start.chain_hash if start else chain.GENESIS
    previous_position = start.position if start else 0
    # The last links, oldest first, to tell forged insertions from altered events.
    recent: deque[tuple[int | None, bytes]] = deque([(None, previous)], maxlen=INSERTED_RUN + 1)
    pending = iter(checkpoints)
    checkpoint = next(pending, None)
    due = checkpoint.position if checkpoint else -1
    matched = checked = 0
    last_match = start.position if start else 0
    progress_at = PROGRESS_EVERY
    for position, stream, version, topic, state, recorded_at, stored in rows:
        checked += 1
        if checked == progress_at:
            advance(position)
            progress_at += PROGRESS_EVERY
        while 0 <= due < position:
            report.add(due, "checkpoint-missing-event",
                       f"the signed checkpoint at {due} names an event that is not in the store")
            checkpoint = next(pending, None)
            due = checkpoint.position if checkpoint else -1
        if position < 1:
            report.add(position, "forged-position",
                       f"event at {position} sits where the ledger never writes (positions start "
                       "at 1): it was inserted outside the ledger")
            continue
        if stored is None:
            report.add(position, "unchained",
                       f"event at {position} has no chain entry (inserted outside the ledger)")
            continue
        matched += 1
        try:
            encoded = topics.get(topic)
            if encoded is None:
                encoded = topics[topic] = topic.encode()
            digest = link(previous, position, stream, version, encoded, recorded_at, state)
        except (struct.error, ValueError, TypeError, AttributeError):
            report.add(position, "malformed",
                       f"event at {position} has a field the chain cannot encode (a stream id "
                       "not in canonical form, a negative version or time, a missing value)")
            continue
        if digest != stored:
            _mismatch(report, position, recent,
                      lambda earlier, p=position, s=stream, v=version, t=encoded,
                      r=recorded_at, b=state: link(earlier, p, s, v, t, r, b), stored)
            digest = stored  # re-anchor: later problems are then reported on their own
        if position == due:
            if digest != checkpoint.chain_hash:
                report.add(position, "checkpoint-contradicted",
                           f"the chain at {position} differs from the checkpoint signed at "
                           f"{chain.from_micros(checkpoint.signed_at)}: history was rewritten "
                           f"after position {last_match} and at or before {position}")
            else:
                last_match = position
            checkpoint = next(pending, None)
            due = checkpoint.position if checkpoint else -1
        previous, previous_position = digest, position
        recent.append((position, digest))
    advance(previous_position)
    while checkpoint is not None:
        report.add(checkpoint.position, "checkpoint-missing-event",
                   f"the signed checkpoint at {checkpoint.position} is past the store's last "
                   f"event ({previous_position}): events were removed from the end")
        checkpoint = next(pending, None)
    report.events_checked = checked
    report.head = chain.Head(previous_position, previous)
    return matched


def _mismatch(report: Report, position: int, recent: deque[tuple[int | None, bytes]],
              relink: Callable[[bytes], bytes], stored: bytes) -> None:
    """Name the right culprit: if this event still links to a link before its predecessor,
    the events in between were inserted afterwards; otherwise this event (or a removed
    predecessor) is at fault."""
    links = list(recent)
    for index in range(len(links) - 2, -1, -1):
        if relink(links[index][1]) == stored:
            first, last = links[index + 1][0], links[-1][0]
            span = f"at {first}" if first == last else f"at {first} to {last}"
            report.add(first, "inserted",
                       f"events {span} were inserted into the history: the event after them, "
                       f"at {position}, was chained without them")
            return
    report.add(position, "mismatch",
               f"event at {position} does not match its chain hash: its stored content "
               "was changed, or the event before it was removed or altered")


def _orphans(report: Report, store: scan.Snapshot, linked: int) -> None:
    """Chain entries left behind by deleted events."""
    after = report.from_position or None
    if store.chain_count(after) == linked:
        return
    for position in store.orphan_links(after, MAX_PROBLEMS):
        report.add(position, "deleted",
                   f"the event at {position} was deleted (its chain entry remains)")
