"""Transcripts: per learner, every credential with its status and history, stacks, recognitions."""

from ledger.domain import status
from ledger.domain.catalogue import aggregate_name
from ledger.domain.catalogue import event_name as name_of
from ledger.domain.learner import LearnerRecord
from ledger.domain.status import ACTIVE, REVOKED, SUSPENDED, CredentialStatus
from ledger.projections.base import Document, history_entry, status_index_of
from ledger.projections.envelope import Envelope
from ledger.projections.replay import Replayer

LEARNER_RECORD = aggregate_name(LearnerRecord)
ISSUED = name_of(LearnerRecord.CredentialIssued)
STACKED = name_of(LearnerRecord.CredentialStacked)
CORRECTED = name_of(LearnerRecord.CredentialCorrected)
UNDER_REVIEW = name_of(LearnerRecord.StackPutUnderReview)
SHARED = name_of(LearnerRecord.CredentialShared)
UNSHARED = name_of(LearnerRecord.CredentialUnshared)
RECOGNISED = name_of(LearnerRecord.RecognitionRecorded)
ERASED = name_of(LearnerRecord.RecordErased)
GRANTED = name_of(LearnerRecord.AccessGranted)
GRANT_REVOKED = name_of(LearnerRecord.AccessRevoked)
STATUS_AFTER: dict[str, CredentialStatus] = {
    name_of(LearnerRecord.CredentialRevoked): REVOKED,
    name_of(LearnerRecord.CredentialSuspended): SUSPENDED,
    name_of(LearnerRecord.CredentialReinstated): ACTIVE,
    UNDER_REVIEW: status.UNDER_REVIEW,
}


def _credential(envelope: Envelope, kind: str) -> Document:
    d = envelope.data
    credential = {
        "id": d["credential_id"], "kind": kind, "title": d["title"],
        "provider_id": d["provider_id"], "awarded_on": d["awarded_on"], "ects": d["ects"],
        "eqf_level": d["eqf_level"], "status": ACTIVE,
        "history": [history_entry(envelope)], "part_of": [], "shared": False,
        "status_index": status_index_of(envelope),
    }
    if kind == "credential":
        credential.update(programme_id=d["programme_id"], grade=d.get("grade"),
                          assessment=d.get("assessment"))
    else:
        credential.update(pathway_id=d["pathway_id"], components=list(d["component_ids"]))
    return credential


def learner_key(learner_id: str) -> str:
    return f"learner:{learner_id}"


def evolve_learner(doc: Document | None, envelope: Envelope) -> Document:
    doc = doc or {"learner_id": envelope.subject, "enrolled_at": envelope.time,
                  "recognitions": [], "erased": False}
    d = envelope.data
    if envelope.name == RECOGNISED:
        doc["recognitions"].append({
            key: d.get(key) for key in ("recognition_id", "credential_id", "body_id",
                                        "decision", "toward", "ects_recognised",
                                        "decided_on", "reference")
        } | {"recorded_at": envelope.time, "position": envelope.position})
    elif envelope.name == ERASED:
        doc["erased"] = True
    elif envelope.name == GRANTED:
        doc.setdefault("grants", {})[d["grant_id"]] = {
            "id": d["grant_id"], "grantee_id": d["grantee_id"],
            "grantee_kind": d["grantee_kind"], "until": d["until"], "revoked_at": None,
            "granted_at": envelope.time}
    elif envelope.name == GRANT_REVOKED and d["grant_id"] in doc.get("grants", {}):
        doc["grants"][d["grant_id"]]["revoked_at"] = envelope.time
    return doc


def evolve_credential(doc: Document | None, envelope: Envelope, key: str) -> Document | None:
    name, d = envelope.name, envelope.data
    if name == ISSUED:
        return _credential(envelope, "credential")
    if name == STACKED and key == d["credential_id"]:
        return _credential(envelope, "stack")
    if doc is None:
        return None
    if name == STACKED:  # key is one of the components
        doc["part_of"].append(d["credential_id"])
    elif name in STATUS_AFTER:
        doc["status"] = STATUS_AFTER[name]
        extra = {"cause": d["cause"]} if name == UNDER_REVIEW else {}
        doc["history"].append(history_entry(envelope, **extra))
    elif name in (SHARED, UNSHARED):
        doc["shared"] = name == SHARED
    elif name == CORRECTED:
        doc.update(d["changes"])
        doc["history"].append(history_entry(envelope, changes=d["changes"],
                                            previous=d["previous"]))
    return doc


class Transcripts:
    """Rows keyed by credential id (and one `learner:<id>` row), owned by the learner: an
    event rewrites one small row, never a learner's whole record."""

    name = "transcripts"
    table = "rm_transcripts"

    def keys(self, envelope: Envelope) -> list[str]:
        if envelope.aggregate != LEARNER_RECORD:
            return []
        d = envelope.data
        if envelope.name == STACKED:
            return [d["credential_id"], *d["component_ids"]]
        if "credential_id" in d and envelope.name != RECOGNISED:
            return [d["credential_id"]]
        return [learner_key(envelope.subject)]

    def owner(self, envelope: Envelope) -> str | None:
        return envelope.subject

    def evolve(self, doc: Document | None, envelope: Envelope, key: str) -> Document | None:
        if key.startswith("learner:"):
            return evolve_learner(doc, envelope)
        return evolve_credential(doc, envelope, key)


def assemble(docs: list[Document]) -> Document | None:
    """One learner's rows as a transcript document: {learner_id, credentials, recognitions}."""
    learner = next((d for d in docs if "enrolled_at" in d), None)
    if learner is None:
        return None
    credentials = {d["id"]: d for d in docs if "enrolled_at" not in d}
    return {**learner, "credentials": credentials}


def present(doc: Document) -> Document:
    """The API's shape of a transcript document."""
    return {
        "learner_id": doc["learner_id"],
        "credentials": sorted(doc["credentials"].values(),
                              key=lambda c: (c["awarded_on"], c["id"])),
        "recognitions": doc["recognitions"],
        "erased": doc.get("erased", False),
    }


def learner_document(replayer: Replayer, learner_id: str) -> tuple[Document | None, int]:
    """One learner's transcript document from a replay (as `assemble` makes it), and the
    position of the learner's last event folded."""
    rows = [(position, doc) for position, owner, doc in
            replayer.documents["transcripts"].values() if owner == learner_id and doc]
    position = max((position for position, _ in rows), default=0)
    return assemble([doc for _, doc in rows]), position
