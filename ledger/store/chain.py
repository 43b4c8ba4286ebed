"""The hash chain over the event store: its byte encoding (a specification third parties can
re-implement), its side table, and the links the recorders write inside each append.

Every stored event at position n gets

    chain_hash(n) = SHA-256( chain_hash(previous event)   32 bytes; 32 zero bytes for the first
                          || position                     8 bytes, unsigned, big-endian
                          || stream id                    16 bytes, the UUID's bytes (RFC 9562
                                                          order, as written in its text form)
                          || version                      8 bytes, unsigned, big-endian
                          || len(topic)                   4 bytes, unsigned, big-endian
                          || topic                        UTF-8, as stored: e.g.
                                                          "ledger.CredentialIssued", or for
                                                          events stored before the event
                                                          catalogue "ledger.domain.learner:
                                                          LearnerRecord.CredentialIssued"
                          || recorded_at                  8 bytes, signed, big-endian:
                                                          microseconds since 1970-01-01T00:00Z
                          || len(state)                   4 bytes, unsigned, big-endian
                          || state )                      the stored bytes, exactly as stored

where "previous event" is the event with the next lower position (positions may have gaps:
rolled-back appends burn sequence values). Fixed-width integers and length prefixes make the
encoding unambiguous. `GET /v1/audit/events` serves every field (`topic`, `stored` in base64,
`recorded_at`) so that anyone can recompute the chain without access to the database.

The chain lives in `event_chain (position, recorded_at, chain_hash)`, append-only like the
events table. The recorders (ledger/store/recorders.py) write one row per event, with one
INSERT per append, inside the appending transaction: they read the previous head in that
transaction, after the table lock (PostgreSQL) or the write lock (SQLite) that already
serialises appends, so the chain stays linear. `recorded_at` is the database's clock
(PostgreSQL) or the process clock (SQLite) at the append, never earlier than the previous head.
"""

import struct
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from itertools import pairwise
from operator import itemgetter
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

TABLE = "event_chain"
GENESIS = bytes(32)
ENCODING_VERSION = 1

_FIXED = struct.Struct(">32sQ16sQI")
_TIME = struct.Struct(">qI")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

HEAD_SQL = f"SELECT position, chain_hash, recorded_at FROM {TABLE} ORDER BY position DESC LIMIT 1"


def link(previous: bytes, position: int, stream_id: bytes, version: int, topic: bytes,
         recorded_at: int, state: bytes) -> bytes:
    """One event's chain hash from its predecessor's (the encoding in the module docstring).
    Raises ValueError or struct.error for a field the encoding cannot hold exactly."""
    if len(stream_id) != 16:  # struct would pad or cut it silently
        raise ValueError("a stream id is 16 bytes")
    return sha256(b"".join((_FIXED.pack(previous, position, stream_id, version, len(topic)),
                            topic, _TIME.pack(recorded_at, len(state)), state))).digest()


@dataclass(frozen=True)
class Head:
    """The chain's last link."""

    position: int = 0
    chain_hash: bytes = GENESIS
    recorded_at: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"position": self.position, "chain_hash": self.chain_hash.hex()}

    @classmethod
    def from_row(cls, row: Any) -> "Head":
        """From a row with named columns position, chain_hash, recorded_at (or None)."""
        if row is None or row["position"] is None:
            return cls()
        return cls(int(row["position"]), bytes(row["chain_hash"]), int(row["recorded_at"]))


def micros(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (no float rounding)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> str:
    """RFC 3339 UTC with six fractional digits: the form the API serves `recorded_at` in."""
    moment = _EPOCH + timedelta(microseconds=value)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def now_micros() -> int:
    return time.time_ns() // 1000


def stream_bytes(originator_id: UUID | str) -> bytes:
    return (originator_id if isinstance(originator_id, UUID) else UUID(originator_id)).bytes


def links(head: Head, stored_events: Sequence[StoredEvent], positions: Sequence[int],
          now: int) -> tuple[int, list[tuple[int, bytes]]]:
    """The chain rows of one append: its recorded time and (position, chain hash) per event,
    in position order."""
    recorded_at = max(now, head.recorded_at)
    pairs: Iterable[tuple[int, StoredEvent]] = zip(positions, stored_events, strict=True)
    if any(later <= earlier for earlier, later in pairwise(positions)):
        pairs = sorted(pairs, key=itemgetter(0))
    topics: dict[str, bytes] = {}
    previous = head.chain_hash
    rows = []
    for position, event in pairs:
        topic = topics.get(event.topic)
        if topic is None:
            topic = topics[event.topic] = event.topic.encode()
        previous = link(previous, position, stream_bytes(event.originator_id),
                        event.originator_version, topic, recorded_at, event.state)
        rows.append((position, previous))
    return recorded_at, rows


class ChainBroken(Exception):
    """An append would not follow the chain's head: the chain table has been tampered with."""
