"""Transcripts: per learner, every credential with its status and history, stacks, recognitions."""

from ledger.projections.base import Document, history_entry
from ledger.projections.envelope import Envelope

STATUS_AFTER = {
    "CredentialRevoked": "revoked",
    "CredentialSuspended": "suspended",
    "CredentialReinstated": "active",
    "StackPutUnderReview": "under_review",
}


def _credential(envelope: Envelope, kind: str) -> Document:
    d = envelope.data
    credential = {
        "id": d["credential_id"], "kind": kind, "title": d["title"],
        "provider_id": d["provider_id"], "awarded_on": d["awarded_on"], "ects": d["ects"],
        "eqf_level": d["eqf_level"], "status": "active",
        "history": [history_entry(envelope)], "part_of": [],
    }
    if kind == "credential":
        credential.update(programme_id=d["programme_id"], grade=d.get("grade"),
                          assessment=d.get("assessment"))
    else:
        credential.update(pathway_id=d["pathway_id"], components=list(d["component_ids"]))
    return credential


def evolve_transcript(doc: Document | None, envelope: Envelope) -> Document | None:
    name, d = envelope.name, envelope.data
    if name == "Enrolled" or doc is None:
        doc = {"learner_id": envelope.subject, "enrolled_at": envelope.time,
               "credentials": {}, "recognitions": [], "erased": False}
        if name == "Enrolled":
            return doc
    credentials = doc["credentials"]
    if name == "CredentialIssued":
        credentials[d["credential_id"]] = _credential(envelope, "credential")
    elif name == "CredentialStacked":
        credentials[d["credential_id"]] = _credential(envelope, "stack")
        for component_id in d["component_ids"]:
            credentials[component_id]["part_of"].append(d["credential_id"])
    elif name in STATUS_AFTER:
        credential = credentials[d["credential_id"]]
        credential["status"] = STATUS_AFTER[name]
        extra = {"cause": d["cause"]} if name == "StackPutUnderReview" else {}
        credential["history"].append(history_entry(envelope, **extra))
    elif name == "CredentialCorrected":
        credential = credentials[d["credential_id"]]
        credential.update(d["changes"])
        credential["history"].append(
            history_entry(envelope, changes=d["changes"], previous=d["previous"])
        )
    elif name == "RecognitionRecorded":
        doc["recognitions"].append({
            key: d.get(key) for key in ("recognition_id", "credential_id", "body_id",
                                        "decision", "toward", "ects_recognised",
                                        "decided_on", "reference")
        } | {"recorded_at": envelope.time, "position": envelope.position})
    elif name == "RecordErased":
        doc["erased"] = True
    return doc


class Transcripts:
    name = "transcripts"
    table = "rm_transcripts"

    def keys(self, envelope: Envelope) -> list[str]:
        return [envelope.subject] if envelope.aggregate == "LearnerRecord" else []

    def evolve(self, doc: Document | None, envelope: Envelope, key: str) -> Document | None:
        return evolve_transcript(doc, envelope)


def present(doc: Document) -> Document:
    """The API's shape of a transcript document."""
    return {
        "learner_id": doc["learner_id"],
        "credentials": sorted(doc["credentials"].values(),
                              key=lambda c: (c["awarded_on"], c["id"])),
        "recognitions": doc["recognitions"],
    }
