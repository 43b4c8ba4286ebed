"""What a projection is: which documents an event touches, and a pure fold over each."""

from typing import Any, Protocol

from ledger.projections.envelope import Envelope

Document = dict[str, Any]


class Projection(Protocol):
    name: str
    table: str

    def keys(self, envelope: Envelope) -> list[str]:
        """The documents this event changes (none: the projection ignores it)."""

    def owner(self, envelope: Envelope) -> str | None:
        """Groups documents for reading together (a learner's transcript rows), or None."""

    def evolve(self, doc: Document | None, envelope: Envelope, key: str) -> Document | None:
        """The document after the event; a pure function."""


def history_entry(envelope: Envelope, **extra: Any) -> Document:
    data = envelope.data
    entry = {"event": envelope.name, "recorded_at": envelope.time,
             "effective_on": data.get("effective_on"), "actor": data.get("actor"),
             "position": envelope.position}
    if data.get("reason") is not None:
        entry["reason"] = data["reason"]
    if extra:
        entry.update(extra)
    return entry


def status_index_of(envelope: Envelope) -> int:
    """The status index an issuing event recorded; before indexes were allocated, none was
    recorded and the index is the event's store position (old credentials keep theirs)."""
    recorded = envelope.data.get("status_index")
    return envelope.position if recorded is None else int(recorded)
