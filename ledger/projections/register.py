"""The public register: providers with their accreditation history, programmes with their
approval history, pathways with their component programmes. Whether an entry holds on a day is
computed by the domain's own rule; the register search reads indexed columns written here."""

import unicodedata
from datetime import date, timedelta
from typing import Any

from ledger.domain.accreditation import held_on
from ledger.domain.catalogue import aggregate_name
from ledger.domain.catalogue import event_name as name_of
from ledger.domain.pathway import Pathway
from ledger.domain.programme import MicroCredential
from ledger.domain.provider import Provider
from ledger.projections.base import Document, history_entry
from ledger.projections.envelope import Envelope

PROVIDER_FIELDS = ("name", "country", "kind", "legal_identifier")
PROVIDER, PROGRAMME, PATHWAY = (aggregate_name(Provider), aggregate_name(MicroCredential),
                                aggregate_name(Pathway))
REGISTERED = name_of(Provider.Registered)
ACCREDITED = (name_of(Provider.Accredited), name_of(Provider.AccreditationRenewed))
ACCREDITATION_WITHDRAWN = name_of(Provider.AccreditationWithdrawn)
SUBMITTED, APPROVED = name_of(MicroCredential.Submitted), name_of(MicroCredential.Approved)
REJECTED, WITHDRAWN = name_of(MicroCredential.Rejected), name_of(MicroCredential.Withdrawn)
DEFINED, RETIRED = name_of(Pathway.Defined), name_of(Pathway.Retired)


def evolve_provider(doc: Document | None, envelope: Envelope) -> Document:
    name, d = envelope.name, envelope.data
    if doc is None:
        doc = {"id": envelope.subject, "kind_of_entry": "provider", "accreditations": [],
               "withdrawals": [], "history": [], "status": "registered"}
    if name == REGISTERED:
        doc.update({field: d.get(field) for field in PROVIDER_FIELDS})
        doc["registered_at"] = envelope.time
    elif name in ACCREDITED:
        doc["accreditations"].append({
            "valid_from": d["valid_from"], "valid_until": d["valid_until"],
            "scope": d.get("scope"), "decision_reference": d.get("decision_reference"),
        })
        doc["status"] = "accredited"
    elif name == ACCREDITATION_WITHDRAWN:
        doc["withdrawals"].append({"effective_on": d["effective_on"], "reason": d["reason"],
                                   "windows_before": len(doc["accreditations"])})
        doc["status"] = "withdrawn"
    doc["history"].append(history_entry(envelope, **_decision(d)))
    doc.update(searchable(doc.get("name")))
    doc.update(current_window(doc["accreditations"], doc["withdrawals"]))
    return doc


def evolve_programme(doc: Document | None, envelope: Envelope) -> Document:
    name, d = envelope.name, envelope.data
    if doc is None:
        doc = {"id": envelope.subject, "kind_of_entry": "microcredential", "approvals": [],
               "endings": [], "history": [], "pathways": []}
    if name == SUBMITTED:
        doc.update(d["specification"])
        doc.update(provider_id=d["provider_id"], status="submitted",
                   submitted_at=envelope.time)
    elif name == APPROVED:
        doc["status"] = "approved"
        doc["review_due"] = d["review_due"]
        doc["approvals"].append({"valid_from": d["approved_on"], "valid_until": d["review_due"]})
    elif name == REJECTED:
        doc["status"] = "rejected"
    elif name == WITHDRAWN:
        doc["status"] = "withdrawn"
        doc["endings"].append({"effective_on": d["effective_on"],
                               "windows_before": len(doc["approvals"])})
    doc["history"].append(history_entry(envelope, **_decision(d)))
    doc.update(searchable(doc.get("title")))
    doc.update(current_window(doc["approvals"], doc["endings"]))
    return doc


def evolve_pathway(doc: Document | None, envelope: Envelope, key: str) -> Document | None:
    name, d = envelope.name, envelope.data
    if key != envelope.subject:  # a component programme: it learns what it stacks into
        if doc is None:
            return None
        if envelope.subject not in doc.setdefault("pathways", []):
            doc["pathways"].append(envelope.subject)
        return doc
    if doc is None:
        doc = {"id": envelope.subject, "kind_of_entry": "pathway", "history": []}
    if name == DEFINED:
        doc.update(provider_id=d["provider_id"], title=d["title"],
                   components=list(d["components"]), min_ects=d.get("min_ects"),
                   min_components=d.get("min_components"), status="active",
                   defined_at=envelope.time)
    elif name == RETIRED:
        doc["status"] = "retired"
    doc["history"].append(history_entry(envelope))
    doc.update(searchable(doc.get("title")))
    return doc


def _decision(data: dict[str, Any]) -> dict[str, Any]:
    """What a QA decision adds to its history entry: dates and the decision's reference."""
    fields = ("valid_from", "valid_until", "approved_on", "review_due", "scope",
              "decision_reference")
    return {f: data[f] for f in fields if data.get(f) is not None}


def normalise(text: str | None) -> str:
    """Search and sort form of a title: NFKC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def searchable(title: str | None) -> Document:
    text = normalise(title)
    return {"sort_key": text, "search": text}


def current_window(windows: list[dict[str, Any]], endings: list[dict[str, Any]]) -> Document:
    """The last span of days over which the windows hold (overlapping or adjacent windows
    merged, each cut short by the endings that apply to it), and the last ending's date. The
    register lists an entry while today lies in this span; None when nothing ever held."""
    held = []
    for index, window in enumerate(windows):
        start, end = window["valid_from"], window["valid_until"]
        for ending in endings:
            if index < ending["windows_before"]:
                end = min(end, _day_before(ending["effective_on"]))
        if start <= end:
            held.append((start, end))
    spans: list[list[str]] = []
    for start, end in sorted(held):
        if spans and start <= _day_after(spans[-1][1]):
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    last = spans[-1] if spans else [None, None]
    return {"window_from": last[0], "window_until": last[1],
            "window_ended": endings[-1]["effective_on"] if endings else None}


def _day_before(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def _day_after(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


class Register:
    name = "register"
    table = "rm_register"
    # Columns the register search selects and orders by (ledger/register_search.py).
    indexed = {"kind_of_entry": "TEXT", "sort_key": "TEXT", "search": "TEXT",
               "provider_id": "TEXT", "isced_f": "TEXT", "eqf_level": "{bigint}",
               "ects": "{real}", "language": "TEXT", "participation_form": "TEXT",
               "status": "TEXT", "window_from": "TEXT", "window_until": "TEXT",
               "window_ended": "TEXT"}
    # Keyset pages walk (sort_key, key) in order within a kind, optionally narrowed first.
    indexes = {
        "listing": ("kind_of_entry", "sort_key", "key"),
        "by_provider": ("provider_id", "kind_of_entry", "sort_key", "key"),
        "by_eqf": ("kind_of_entry", "eqf_level", "sort_key", "key"),
        "by_isced": ("kind_of_entry", "isced_f", "sort_key", "key"),
        "by_position": ("position",),
    }
    search = "search"  # substring search: pg_trgm GIN on PostgreSQL, FTS5 trigram on SQLite

    def owner(self, envelope: Envelope) -> str | None:
        return None

    def keys(self, envelope: Envelope) -> list[str]:
        if envelope.aggregate in (PROVIDER, PROGRAMME):
            return [envelope.subject]
        if envelope.aggregate == PATHWAY:
            components = envelope.data.get("components") if envelope.name == DEFINED else ()
            return [envelope.subject, *(components or ())]
        return []

    def evolve(self, doc: Document | None, envelope: Envelope, key: str) -> Document | None:
        if envelope.aggregate == PROVIDER:
            return evolve_provider(doc, envelope)
        if envelope.aggregate == PATHWAY:
            return evolve_pathway(doc, envelope, key)
        return evolve_programme(doc, envelope)


def provider_accredited_on(doc: Document, day: str) -> bool:
    return held_on(day, doc["accreditations"], doc["withdrawals"])


def programme_approved_on(doc: Document, day: str) -> bool:
    return held_on(day, doc["approvals"], doc["endings"])
