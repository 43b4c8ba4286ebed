"""Accreditation as an Open Badges 3.0 `EndorsementCredential`: the QA body's signed statement
about a provider, one per accreditation decision, valid for the accreditation window.

A withdrawal ends every window recorded before it from its effective date (the domain's rule in
ledger.domain.accreditation), so an endorsement's `validUntil` is the window's last day or the
day before the withdrawal took effect; a window withdrawn before it began gives none. Everything
here is a function of the provider's register entry: the same entry gives the same documents.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from ledger.projections.exports.formatting import midnight, timestamp
from ledger.projections.exports.model import Document
from ledger.urls import QA_BODY, PublicUrls

# The extensions context defines the schema validator's type, as in the credentials (ob3.py):
# without it the type is a relative IRI and JSON-LD safe mode (Digital Bazaar's) refuses it.
CONTEXT = ["https://www.w3.org/ns/credentials/v2",
           "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
           "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"]
SCHEMA = [{"id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                 "ob_v3p0_endorsementcredential_schema.json",
           "type": "1EdTechJsonSchemaValidator2019"}]
DECISIONS = ("Accredited", "AccreditationRenewed")
WITHDRAWAL = "AccreditationWithdrawn"


@dataclass(frozen=True)
class Accreditation:
    """One accreditation decision as it stands: its window, cut short by a withdrawal."""

    provider_id: str
    number: int  # 1-based, in decision order
    valid_from: str  # YYYY-MM-DD, first day accredited
    last_day: str  # YYYY-MM-DD, last day accredited (withdrawal included)
    scope: str | None
    decision_reference: str | None
    decided_at: str  # RFC 3339: when the QA body recorded the decision
    signed_at: str  # RFC 3339: when the decision last changed (the decision, or a withdrawal)
    withdrawn_on: str | None = None
    withdrawal_reason: str | None = None

    def in_force_on(self, day: str) -> bool:
        return self.valid_from <= day <= self.last_day


def _day_before(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def accreditations(entry: Document) -> list[Accreditation]:
    """The provider's decisions (a register entry, ledger.projections.register) with the
    withdrawals applied; windows that a withdrawal voided before they began are left out."""
    history = entry.get("history", [])
    decided = [h for h in history if h["event"] in DECISIONS]
    withdrawn = [(w, h) for w, h in zip(entry.get("withdrawals", []),
                                        [h for h in history if h["event"] == WITHDRAWAL],
                                        strict=False)]
    found = []
    for index, (window, record) in enumerate(zip(entry.get("accreditations", []), decided,
                                                 strict=False)):
        last_day, signed_at, ended = window["valid_until"], record["recorded_at"], None
        for withdrawal, when in withdrawn:
            if index < withdrawal["windows_before"] and withdrawal["effective_on"] <= last_day:
                last_day, ended = _day_before(withdrawal["effective_on"]), withdrawal
                signed_at = max(signed_at, when["recorded_at"])
        if last_day < window["valid_from"]:
            continue
        found.append(Accreditation(
            provider_id=entry["id"], number=index + 1, valid_from=window["valid_from"],
            last_day=last_day, scope=window.get("scope"),
            decision_reference=window.get("decision_reference"),
            decided_at=timestamp(record["recorded_at"]), signed_at=timestamp(signed_at),
            withdrawn_on=ended["effective_on"] if ended else None,
            withdrawal_reason=ended.get("reason") if ended else None))
    return found


def in_force_on(found: list[Accreditation], day: str) -> Accreditation | None:
    """The latest decision in force on the day (renewals may overlap), if any."""
    matching = [a for a in found if a.in_force_on(day)]
    return matching[-1] if matching else None


def qa_profile(urls: PublicUrls, name: str, country: str) -> Document:
    """The QA body as an OB 3.0 Profile whose id is its DID (it controls the signing key)."""
    return {"id": urls.did(QA_BODY), "type": ["Profile"], "name": name, "url": urls.base,
            "address": {"type": ["Address"], "addressCountryCode": country}}


def comment(accreditation: Accreditation, provider_name: str, qa_name: str) -> str:
    a = accreditation
    decision = f" (decision {a.decision_reference})" if a.decision_reference else ""
    lines = [f"{provider_name} is accredited by {qa_name}{decision} from {a.valid_from} "
             f"to {a.last_day}."]
    if a.scope:
        lines.append(f"Scope: {a.scope}")
    if a.withdrawn_on:
        reason = f": {a.withdrawal_reason}" if a.withdrawal_reason else ""
        lines.append(f"Accreditation withdrawn with effect from {a.withdrawn_on}{reason}")
    return "\n\n".join(lines)


def credential(accreditation: Accreditation, provider_name: str, urls: PublicUrls,
               qa_name: str, qa_country: str) -> Document:
    """The unsigned EndorsementCredential of one accreditation decision."""
    a = accreditation
    return {
        "@context": CONTEXT,
        "id": urls.endorsement(a.provider_id, a.number),
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": f"Accreditation of {provider_name}",
        "description": f"{qa_name} accredits {provider_name} to award micro-credentials.",
        "issuer": qa_profile(urls, qa_name, qa_country),
        "validFrom": midnight(a.valid_from),
        "validUntil": f"{a.last_day}T23:59:59Z",
        "credentialSubject": {"id": urls.did(a.provider_id), "type": ["EndorsementSubject"],
                              "endorsementComment": comment(a, provider_name, qa_name)},
        "credentialSchema": SCHEMA,
    }
