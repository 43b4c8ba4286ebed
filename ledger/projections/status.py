"""Credential status: credential id -> issuer, learner, award and current status."""

from ledger.projections.base import Document
from ledger.projections.envelope import Envelope
from ledger.projections.transcripts import STATUS_AFTER


class CredentialStatus:
    name = "status"
    table = "rm_status"

    def owner(self, envelope: Envelope) -> str | None:
        return None

    def keys(self, envelope: Envelope) -> list[str]:
        if envelope.aggregate != "LearnerRecord" or "credential_id" not in envelope.data:
            return []
        if envelope.name == "RecognitionRecorded":
            return []
        return [envelope.data["credential_id"]]

    def evolve(self, doc: Document | None, envelope: Envelope, key: str) -> Document | None:
        name, d = envelope.name, envelope.data
        if name in ("CredentialIssued", "CredentialStacked"):
            return {
                "credential_id": key, "learner_id": envelope.subject,
                "kind": "stack" if name == "CredentialStacked" else "credential",
                "issuer": d["provider_id"], "programme_id": d.get("programme_id"),
                "pathway_id": d.get("pathway_id"), "title": d["title"],
                "awarded_on": d["awarded_on"], "status": "active",
                "status_changed_at": envelope.time,
            }
        if doc is None:
            return None
        if name in STATUS_AFTER:
            doc["status"] = STATUS_AFTER[name]
            doc["status_changed_at"] = envelope.time
        elif name == "CredentialCorrected" and "awarded_on" in d["changes"]:
            doc["awarded_on"] = d["changes"]["awarded_on"]
        return doc
