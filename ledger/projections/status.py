"""Credential status: credential id -> issuer, learner, award and current status, and the
credential's place in the Bitstring Status Lists.

A credential's status index is recorded in the event that issued it (a keyed pseudo-random slot,
ledger.store.status_indexes), so it is the same in every rebuild and whichever Kafka partition
delivers it; credentials issued before that keep the store position of their issuing event
(status_index_of). The lists' bits are read from these per-credential rows, so a revocation
sets its bit in the very row update that records it, and no row is shared by many streams
(which out-of-order partitions would break).
"""

from ledger.domain.status import ACTIVE
from ledger.projections.base import Document, status_index_of
from ledger.projections.envelope import Envelope
from ledger.projections.transcripts import (
    CORRECTED,
    ISSUED,
    LEARNER_RECORD,
    STACKED,
    STATUS_AFTER,
)
from ledger.status_permutation import LIST_SIZE

CHANGES_ROW = {ISSUED, STACKED, CORRECTED, *STATUS_AFTER}


class CredentialStatus:
    name = "status"
    table = "rm_status"
    # The lists select their credentials, and the few flagged ones among them, by these.
    indexed = {"status_list": "{bigint}", "status": "TEXT"}

    def owner(self, envelope: Envelope) -> str | None:
        return None

    def keys(self, envelope: Envelope) -> list[str]:
        # Only what the row holds: other credential events (sharing, recognition) would
        # move the row, and with it re-date and re-sign its status list, for nothing.
        if envelope.aggregate != LEARNER_RECORD or envelope.name not in CHANGES_ROW:
            return []
        return [envelope.data["credential_id"]]

    def evolve(self, doc: Document | None, envelope: Envelope, key: str) -> Document | None:
        doc = self._evolve(doc, envelope, key)
        if doc is not None:
            doc["changed_at"] = envelope.time  # dates the status list that holds it
        return doc

    def _evolve(self, doc: Document | None, envelope: Envelope, key: str) -> Document | None:
        name, d = envelope.name, envelope.data
        if name in (ISSUED, STACKED):
            return {
                "credential_id": key, "learner_id": envelope.subject,
                "kind": "stack" if name == STACKED else "credential",
                "issuer": d["provider_id"], "programme_id": d.get("programme_id"),
                "pathway_id": d.get("pathway_id"), "title": d["title"],
                "awarded_on": d["awarded_on"], "status": ACTIVE,
                "status_changed_at": envelope.time,
                "status_index": status_index_of(envelope),
                "status_list": status_index_of(envelope) // LIST_SIZE,
            }
        if doc is None:
            return None
        if name in STATUS_AFTER:
            doc["status"] = STATUS_AFTER[name]
            doc["status_changed_at"] = envelope.time
        elif name == CORRECTED and "awarded_on" in d["changes"]:
            doc["awarded_on"] = d["changes"]["awarded_on"]
        return doc
