"""The public register: providers with their accreditation history, programmes with their
approval history, pathways with the programmes that stack into them. Whether an accreditation
or an approval holds on a day is computed by the domain's own rule."""

from ledger.domain.accreditation import held_on
from ledger.projections.base import Document, history_entry
from ledger.projections.envelope import Envelope

PROVIDER_FIELDS = ("name", "country", "kind", "legal_identifier")
PATHWAY_FIELDS = ("provider_id", "title", "components", "min_ects", "min_components")


def evolve_provider(doc: Document | None, envelope: Envelope) -> Document:
    name, d = envelope.name, envelope.data
    if doc is None:
        doc = {"id": envelope.subject, "kind_of_entry": "provider", "accreditations": [],
               "withdrawals": [], "history": []}
    if name == "Registered":
        doc.update({field: d.get(field) for field in PROVIDER_FIELDS})
        doc["registered_at"] = envelope.time
    elif name in ("Accredited", "AccreditationRenewed"):
        doc["accreditations"].append({
            "valid_from": d["valid_from"], "valid_until": d["valid_until"],
            "scope": d.get("scope"), "decision_reference": d.get("decision_reference"),
        })
    elif name == "AccreditationWithdrawn":
        doc["withdrawals"].append({"effective_on": d["effective_on"], "reason": d["reason"],
                                   "windows_before": len(doc["accreditations"])})
    doc["history"].append(history_entry(envelope))
    return doc


def evolve_programme(doc: Document | None, envelope: Envelope) -> Document:
    name, d = envelope.name, envelope.data
    if doc is None:
        doc = {"id": envelope.subject, "kind_of_entry": "microcredential", "approvals": [],
               "endings": [], "history": []}
    if name == "Submitted":
        doc.update(d["specification"])
        doc.update(provider_id=d["provider_id"], status="submitted",
                   submitted_at=envelope.time)
    elif name == "Approved":
        doc["status"] = "approved"
        doc["review_due"] = d["review_due"]
        doc["approvals"].append({"valid_from": d["approved_on"], "valid_until": d["review_due"]})
    elif name == "Rejected":
        doc["status"] = "rejected"
    elif name == "Withdrawn":
        doc["status"] = "withdrawn"
        doc["endings"].append({"effective_on": d["effective_on"],
                               "windows_before": len(doc["approvals"])})
    doc["history"].append(history_entry(envelope))
    return doc


def evolve_pathway(doc: Document | None, envelope: Envelope) -> Document:
    d = envelope.data
    if doc is None:
        doc = {"id": envelope.subject, "kind_of_entry": "pathway", "retired": False,
               "history": []}
    if envelope.name == "Defined":
        doc.update({field: d.get(field) for field in PATHWAY_FIELDS})
    elif envelope.name == "Retired":
        doc["retired"] = True
    doc["history"].append(history_entry(envelope))
    return doc


EVOLVE = {"Provider": evolve_provider, "MicroCredential": evolve_programme,
          "Pathway": evolve_pathway}


class Register:
    name = "register"
    table = "rm_register"

    def owner(self, envelope: Envelope) -> str | None:
        return None

    def keys(self, envelope: Envelope) -> list[str]:
        return [envelope.subject] if envelope.aggregate in EVOLVE else []

    def evolve(self, doc: Document | None, envelope: Envelope, key: str) -> Document | None:
        return EVOLVE[envelope.aggregate](doc, envelope)


def provider_accredited_on(doc: Document, day: str) -> bool:
    return held_on(day, doc["accreditations"], doc["withdrawals"])


def programme_approved_on(doc: Document, day: str) -> bool:
    return held_on(day, doc["approvals"], doc["endings"])
