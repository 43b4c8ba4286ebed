"""Verification: of a credential the ledger holds (by id), and of a credential document anyone
hands us (its proof, whose key signed it, its status in our lists, the issuer's accreditation
on the award date), with a verdict that is "valid" only when every part is known to hold.

Accreditation and approval are judged on the award date from their recorded history, never
from today's state: withdrawing an accreditation later does not unmake earlier awards.
"""

from dataclasses import dataclass, field
from typing import Any

from ledger.domain.errors import InvalidRequest, NotFound
from ledger.projections.register import programme_approved_on, provider_accredited_on
from ledger.projections.status import LIST_SIZE
from ledger.signing import data_integrity, did_key
from ledger.status_lists import PURPOSES, ListId, bit_set
from ledger.urls import LEDGER_ISSUER, PublicUrls

Document = dict[str, Any]
MAX_NESTED = 200  # credentials inside one CLR: canonicalisation is costly, bound the work
FLAGGED = {"revocation": "revoked", "suspension": "suspended"}


def verify_record(status: Document, provider: Document | None,
                  programme: Document | None) -> Document:
    """What the ledger's own history says of one credential (GET /v1/verify/{id}); a pure
    function of its status row and the register entries of its provider and programme."""
    awarded_on = status["awarded_on"]
    return {
        "credential_id": status["credential_id"],
        "status": status["status"],
        "issuer": {"id": status["issuer"], "name": provider and provider.get("name")},
        "title": status["title"],
        "awarded_on": awarded_on,
        "provider_accredited_on_award": bool(provider)
        and provider_accredited_on(provider, awarded_on),
        "programme_approved_on_award": programme_approved_on(programme, awarded_on)
        if programme else status["kind"] == "stack",
    }


# -- documents ------------------------------------------------------------------------------

@dataclass
class Report:
    """One document's verification; `problems` say why the verdict is not "valid"."""

    kind: str
    id: Any
    issuer: Any
    proofs: list[Document] = field(default_factory=list)
    status: Document | None = None
    record: Document | None = None
    credentials: list[Document] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)

    def verdict(self) -> str:
        if self.problems:
            return "invalid"
        return "unknown" if self.unknowns else "valid"

    def as_json(self) -> Document:
        body = {"verdict": self.verdict(), "kind": self.kind, "id": self.id,
                "issuer": self.issuer, "proofs": self.proofs,
                "problems": self.problems, "unknowns": self.unknowns}
        if self.status is not None:
            body["status"] = self.status
        if self.record is not None:
            body["ledger_record"] = self.record
        if self.kind == "ClrCredential":
            body["credentials"] = self.credentials
        return body


def _types(document: Document) -> list[str]:
    kinds = document.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return [k for k in kinds if isinstance(k, str)]


def _id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def check_shape(document: Any) -> None:
    """What a document must have to be verified at all (else 422)."""
    if not isinstance(document, dict):
        raise InvalidRequest("a credential must be a JSON object")
    if "@context" not in document or "VerifiableCredential" not in _types(document):
        raise InvalidRequest("not a verifiable credential: it needs @context and a type that "
                             "includes VerifiableCredential")


class DocumentVerifier:
    """Checks credential documents against the ledger: its keys, status lists and history."""

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self.urls: PublicUrls = ledger.urls

    def verify(self, document: Any) -> Document:
        check_shape(document)
        return self._verify(document, nested=False).as_json()

    def _verify(self, document: Document, nested: bool) -> Report:
        kinds = _types(document)
        kind = next((k for k in ("ClrCredential", "BitstringStatusListCredential",
                                 "AchievementCredential", "OpenBadgeCredential") if k in kinds),
                    "VerifiableCredential")
        report = Report(kind=kind, id=document.get("id"), issuer=_id_of(document.get("issuer")))
        self._check_proofs(document, report)
        if kind == "BitstringStatusListCredential":
            self._check_list_signer(document, report)
            return report
        if kind == "ClrCredential":
            self._check_nested(document, report, nested)
            if document.get("credentialStatus") is not None:
                report.status = self._check_status(document, report)
            return report
        report.status = self._check_status(document, report)
        self._check_record(document, report)
        return report

    # -- proof and issuer key --

    def _check_proofs(self, document: Document, report: Report) -> None:
        checks = data_integrity.verify(document, self.ledger.standards)
        if not checks:
            report.problems.append("the document carries no proof")
        for check in checks:
            key = self._key_of(check.verification_method, report)
            entry = {"valid": check.valid, "verification_method": check.verification_method,
                     "created": check.created, "key": key}
            if check.reason:
                entry["reason"] = check.reason
            report.proofs.append(entry)
        if checks and not any(p["valid"] for p in report.proofs):
            report.problems.append("no proof verifies: the document was altered or not signed "
                                   "by the key it names")
        elif checks and not any(p["valid"] and p["key"]["belongs_to_issuer"]
                                for p in report.proofs):
            if any(p["valid"] and p["key"]["belongs_to_issuer"] is False
                   for p in report.proofs):
                report.problems.append("the signing key does not belong to the claimed issuer")
            else:
                report.unknowns.append("the signing key cannot be tied to the issuer "
                                       "(not an issuer of this ledger)")

    def _key_of(self, method: str | None, report: Report) -> Document:
        """Whose key signed: the keystore's record (current or retired) against the issuer."""
        record = self.ledger.keys.find(method) if method else None
        issuer = report.issuer
        owner = self.urls.owner_of_did(issuer) or self.urls.owner_of_issuer(issuer)
        if record is not None and owner is not None:
            belongs: bool | None = record["owner"] == owner
        elif issuer and issuer.startswith("did:key:") and method:
            belongs = did_key.controller_of(method) == issuer
        elif owner is not None:
            belongs = False  # one of our issuers, but not a key the ledger ever held for it
        else:
            belongs = None
        return {"known": record is not None, "owner": record and record["owner"],
                "retired": record and record["retired"], "belongs_to_issuer": belongs}

    def _check_list_signer(self, document: Document, report: Report) -> None:
        """A list published at one of our URLs must be signed with a ledger key."""
        if self.urls.list_id_of(document.get("id")) is None:
            return
        if not any(p["valid"] and p["key"]["owner"] == LEDGER_ISSUER for p in report.proofs):
            report.problems.append("a status list of this ledger not signed by the ledger")

    # -- status --

    def _check_status(self, document: Document, report: Report) -> Document:
        """Each purpose's state from the ledger's own lists: at the place the document's entry
        for it names, or, without one, at the place the ledger recorded for this credential
        (1EdTech's OB 3.0 and CLR schemas allow a single credentialStatus object)."""
        entries = document.get("credentialStatus")
        entries = entries if isinstance(entries, list) else [entries]
        entries = [e for e in entries if isinstance(e, dict)]
        recorded = self._status_index(document)
        status = {}
        for purpose in PURPOSES:
            entry = next((e for e in entries if e.get("statusPurpose") == purpose), None)
            place, reason = (self._place_of(entry, purpose, recorded) if entry is not None
                             else (recorded, "no entry in credentialStatus and no ledger record"))
            if place is not None:
                state, reason = self._state(purpose, place)
            else:
                state = "unknown"
            status[purpose] = state
            if state == "unknown":
                report.unknowns.append(f"{purpose} status cannot be determined: {reason}")
            elif state != "active":
                report.problems.append(f"the credential is {state}")
        return status

    def _place_of(self, entry: Document, purpose: str, recorded: int | None
                  ) -> tuple[int | None, str | None]:
        """The status index an entry names, if it is a place in one of our lists."""
        list_id = ListId.parse(self.urls.list_id_of(entry.get("statusListCredential")))
        if entry.get("type") != "BitstringStatusListEntry" or list_id is None:
            return None, "the entry does not name one of this ledger's status lists"
        if list_id.purpose != purpose:
            return None, f"the entry points at a {list_id.purpose} list"
        index = entry.get("statusListIndex")
        if not (isinstance(index, str) and index.isdigit() and int(index) < LIST_SIZE):
            return None, f"statusListIndex {index!r} is not an index of the list"
        place = list_id.number * LIST_SIZE + int(index)
        if recorded is not None and place != recorded:
            return None, "the entry does not point at this credential's place in the list"
        return place, None

    def _state(self, purpose: str, place: int) -> tuple[str, str | None]:
        number, index = divmod(place, LIST_SIZE)
        list_id = ListId(purpose, number)
        try:
            published = self.ledger.status_lists.published(str(list_id))
        except NotFound:
            return "unknown", f"the status list {list_id} does not exist"
        return (FLAGGED[purpose] if bit_set(published.bits, index) else "active"), None

    def _status_index(self, document: Document) -> int | None:
        credential_id = self.urls.credential_id_of(document.get("id"))
        row = credential_id and self.ledger.read_models.get("status", credential_id)
        return row["status_index"] if row else None

    # -- the ledger's record: issuer and accreditation on the award date --

    def _check_record(self, document: Document, report: Report) -> None:
        credential_id = self.urls.credential_id_of(document.get("id"))
        try:
            record = self.ledger.verify(credential_id) if credential_id else None
        except NotFound:
            record = None
        if record is None:
            report.unknowns.append("the ledger holds no record of this credential, so the "
                                   "issuer's accreditation on the award date is unknown")
            return
        report.record = record
        issuer = self.urls.owner_of_did(report.issuer) or self.urls.owner_of_issuer(report.issuer)
        if issuer != record["issuer"]["id"]:
            report.problems.append("the issuer differs from the one the ledger recorded")
        if not record["provider_accredited_on_award"]:
            report.problems.append("the provider was not accredited on the award date")
        if not record["programme_approved_on_award"]:
            report.problems.append("the programme was not approved on the award date")

    # -- CLR: every nested credential is verified too --

    def _check_nested(self, document: Document, report: Report, nested: bool) -> None:
        subject = document.get("credentialSubject")
        inner = subject.get("verifiableCredential") if isinstance(subject, dict) else None
        inner = inner if isinstance(inner, list) else [] if inner is None else [inner]
        if nested:
            report.problems.append("a CLR nested inside a CLR is not supported")
            return
        if len(inner) > MAX_NESTED:
            report.problems.append(f"more than {MAX_NESTED} nested credentials")
            return
        for credential in inner:
            if not isinstance(credential, dict) or "VerifiableCredential" not in _types(
                    credential):
                report.problems.append("a nested credential is not a JSON-LD credential")
                continue
            child = self._verify(credential, nested=True)
            report.credentials.append(child.as_json())
            if child.verdict() != "valid":
                target = report.problems if child.problems else report.unknowns
                target.append(f"nested credential {child.id} is {child.verdict()}")
