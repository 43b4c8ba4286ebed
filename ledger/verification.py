"""Verification: of a credential the ledger holds (by id), and of a credential document anyone
hands us (its proofs, whether the ledger published each signing key for the issuer's DID, its
status in our lists, the issuer's accreditation on the award date, and for a CLR that every
credential in it is valid and about its subject), with a verdict that is "valid" only when
every part is known to hold. A well-signed document from anyone the ledger does not know is
"unknown", never "valid".

Accreditation and approval are judged on the award date from their recorded history, never
from today's state: withdrawing an accreditation later does not unmake earlier awards.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledger import document_limits
from ledger.canonical_pool import Job, Outcome, TooComplex
from ledger.domain.errors import InvalidRequest, NotFound
from ledger.domain.status import ACTIVE, REVOKED, SUSPENDED
from ledger.projections.register import programme_approved_on, provider_accredited_on
from ledger.signing import data_integrity
from ledger.status_lists import PURPOSES, ListId, bit_set
from ledger.status_permutation import LIST_SIZE
from ledger.urls import LEDGER_ISSUER, QA_BODY, PublicUrls

Document = dict[str, Any]
MAX_NESTED = 200  # credentials inside one CLR: canonicalisation is costly, bound the work
FLAGGED = {"revocation": REVOKED, "suspension": SUSPENDED}


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
    """Checks credential documents against the ledger: its keys, status lists and history.

    `hashes` computes the signed message of each (document, proof) pair: in worker processes,
    within budgets, for documents anyone posts (ledger.canonical_pool; the API always passes
    it); by default in this process, which only suits documents the ledger made itself."""

    def __init__(self, ledger: Any,
                 hashes: Callable[[list[Job]], list[Outcome]] | None = None) -> None:
        self.ledger = ledger
        self.urls: PublicUrls = ledger.urls
        self._hashes = hashes or self._hash_here
        self._messages: dict[int, Outcome] = {}
        self._published: dict[str, dict[str, Document]] = {}

    def verify(self, document: Any) -> Document:
        check_shape(document)
        document_limits.check(document)
        jobs = [(doc, proof) for doc in _signed_parts(document)
                for proof in data_integrity.proofs_of(doc) if isinstance(proof, dict)]
        self._messages = {id(proof): outcome
                          for (_, proof), outcome in zip(jobs, self._hashes(jobs), strict=True)}
        return self._verify(document, nested=False).as_json()

    def _hash_here(self, jobs: list[Job]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for document, proof in jobs:
            try:
                outcomes.append(data_integrity.hash_data(document, proof, self.ledger.standards))
            except Exception as error:  # a parser failure is a reason
                outcomes.append(f"{type(error).__name__}: {error}")
        return outcomes

    def _verify(self, document: Document, nested: bool) -> Report:
        kinds = _types(document)
        kind = next((k for k in ("ClrCredential", "BitstringStatusListCredential",
                                 "AchievementCredential", "OpenBadgeCredential") if k in kinds),
                    "VerifiableCredential")
        report = Report(kind=kind, id=document.get("id"), issuer=_id_of(document.get("issuer")))
        owner = self._owner_of_issuer(report.issuer)
        self._check_proofs(document, report, owner)
        self._check_issuer_kind(report, owner)
        if kind == "BitstringStatusListCredential":
            self._check_list_signer(document, report)
            return report
        if kind == "ClrCredential":
            self._check_nested(document, report, nested)
            if document.get("credentialStatus") is not None:
                report.status = self._check_status(document, report)
            return report
        report.status = self._check_status(document, report)
        self._check_record(document, report, owner)
        return report

    # -- proof and issuer key --

    def _owner_of_issuer(self, issuer: str | None) -> str | None:
        """Which organisation of the ledger the issuer names: its did:web DID (or, in documents
        made before issuers were DIDs, its profile URL or one of its keys' did:key); None for
        anyone else."""
        if not issuer:
            return None
        if issuer.startswith("did:key:"):
            signer = self._signer(f"{issuer}#{issuer.removeprefix('did:key:')}")
            return signer[0] if signer else None
        if issuer.startswith("did:"):
            return self.urls.owner_of_did(issuer)
        return self.urls.owner_of_issuer(issuer)

    def _check_proofs(self, document: Document, report: Report, owner: str | None) -> None:
        checks = [data_integrity.check_proof(proof, self._message(proof))
                  for proof in data_integrity.proofs_of(document)]
        if not checks:
            report.problems.append("the document carries no proof")
        for check in checks:
            key = self._key_of(check.verification_method, report.issuer, owner)
            entry = {"valid": check.valid, "verification_method": check.verification_method,
                     "created": check.created, "key": key}
            if check.reason:
                entry["reason"] = check.reason
            report.proofs.append(entry)
        if any(not p["valid"] for p in report.proofs):
            report.problems.append("a proof does not verify: the document was altered or not "
                                   "signed by the key it names")
        elif any(p["key"]["belongs_to_issuer"] is False for p in report.proofs):
            report.problems.append("a signing key is not one the ledger published for the "
                                   "claimed issuer")
        elif any(p["key"]["belongs_to_issuer"] is None for p in report.proofs):
            report.unknowns.append("the issuer is not an organisation of this ledger, so its "
                                   "keys cannot be tied to it")

    def _message(self, proof: Any) -> Callable[[], bytes]:
        def message() -> bytes:
            outcome = self._messages.get(id(proof))
            if outcome is None:
                raise data_integrity.ProofError("the document was not canonicalised")
            if isinstance(outcome, str):
                raise data_integrity.ProofError(f"the document cannot be canonicalised: "
                                                f"{outcome}")
            return outcome
        return message

    def _published_keys(self, owner: str) -> dict[str, Document]:
        """The owner's keys by multikey: every key the ledger made for it, retired ones too
        (a key row planted in the database without the master key is not one)."""
        if owner not in self._published:
            authentic = self.ledger.keys.authentic(owner)
            self._published[owner] = {k["publicKeyMultibase"]: k
                                      for k in self.ledger.keys.public_keys(owner)
                                      if k.get("key_id", k["id"]) in authentic}
        return self._published[owner]

    def _signer(self, method: str) -> tuple[str, Document] | None:
        """The organisation whose published key a verification method names, if any."""
        controller, _, fragment = method.partition("#")
        if controller.startswith("did:key:"):
            record = self.ledger.keys.find(method)
            if record is None or record["publicKeyMultibase"] != fragment:
                return None
            owner = record["owner"]
        else:
            owner = self.urls.owner_of_did(controller)
            if owner is None or controller != self.urls.did(owner):
                return None
        published = self._published_keys(owner).get(fragment)
        return (owner, published) if published else None

    def _key_of(self, method: str | None, issuer: str | None, owner: str | None) -> Document:
        """Whose key signed, and whether the ledger published it for the claimed issuer: under
        the issuer's DID (or, for an issuer named by its profile URL, as a did:key)."""
        signer = self._signer(method) if method else None
        if owner is None:
            belongs: bool | None = None  # not an issuer of this ledger: nothing to tie it to
        elif signer is None or signer[0] != owner:
            belongs = False
        elif issuer == self.urls.did(owner):
            belongs = method.split("#", 1)[0] == issuer
        else:  # named before issuers were DIDs: signed with the key's did:key
            belongs = method.startswith("did:key:") and (
                not issuer.startswith("did:key:") or method.split("#", 1)[0] == issuer)
        record = signer[1] if signer else None
        return {"known": signer is not None, "owner": signer and signer[0],
                "retired": record and record["retired"], "belongs_to_issuer": belongs}

    def _check_issuer_kind(self, report: Report, owner: str | None) -> None:
        """A CLR and a status list are the ledger's own; a credential is a provider's."""
        if owner is None:
            return
        ledgers_own = report.kind in ("ClrCredential", "BitstringStatusListCredential")
        if ledgers_own and owner != LEDGER_ISSUER:
            report.problems.append(f"a {report.kind} of this ledger is issued by the ledger "
                                   "itself, not by one of its organisations")
        elif not ledgers_own and owner in (LEDGER_ISSUER, QA_BODY):
            report.unknowns.append("the ledger and the QA body issue no learner credentials")

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
            elif state != ACTIVE:
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
        return (FLAGGED[purpose] if bit_set(published.bits, index) else ACTIVE), None

    def _status_index(self, document: Document) -> int | None:
        row = self._status_row(document)
        return row["status_index"] if row else None

    def _status_row(self, document: Document) -> Document | None:
        credential_id = self.urls.credential_id_of(document.get("id"))
        return self.ledger.read_models.get("status", credential_id) if credential_id else None

    # -- the ledger's record: issuer and accreditation on the award date --

    def _check_record(self, document: Document, report: Report, owner: str | None) -> None:
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
        if owner != record["issuer"]["id"]:
            report.problems.append("the issuer differs from the one the ledger recorded")
        if not record["provider_accredited_on_award"]:
            report.problems.append("the provider was not accredited on the award date")
        if not record["programme_approved_on_award"]:
            report.problems.append("the programme was not approved on the award date")

    # -- CLR: every nested credential is verified too --

    def _check_nested(self, document: Document, report: Report, nested: bool) -> None:
        inner = _nested(document)
        if nested:
            report.problems.append("a CLR nested inside a CLR is not supported")
            return
        subject = _id_of(document.get("credentialSubject"))
        learner_id = self._learner_of(subject)
        if subject is None:
            report.problems.append("the CLR names no subject")
        elif learner_id is None:
            report.unknowns.append("the CLR's subject is not a learner of this ledger")
        if not inner:
            report.problems.append("the CLR holds no credential")
        for credential in inner:
            if not isinstance(credential, dict) or "VerifiableCredential" not in _types(
                    credential):
                report.problems.append("a nested credential is not a JSON-LD credential")
                continue
            child = self._verify(credential, nested=True)
            self._check_belongs(credential, child, subject, learner_id)
            report.credentials.append(child.as_json())
            if child.verdict() != "valid":
                target = report.problems if child.problems else report.unknowns
                target.append(f"nested credential {child.id} is {child.verdict()}")

    def _check_belongs(self, credential: Document, child: Report, subject: str | None,
                       learner_id: str | None) -> None:
        """A nested credential must be about the CLR's subject, by its own (signed) subject
        and by the ledger's record of whom it was issued to."""
        if subject is None:
            return
        if _id_of(credential.get("credentialSubject")) != subject:
            child.problems.append("the credential is about another subject than the CLR's")
            return
        row = self._status_row(credential)
        if learner_id is not None and row is not None and row["learner_id"] != learner_id:
            child.problems.append("the ledger issued this credential to another learner")

    def _learner_of(self, url: str | None) -> str | None:
        prefix = self.urls.learner("")
        tail = url[len(prefix):] if url and url.startswith(prefix) else ""
        return tail if tail and "/" not in tail and "#" not in tail else None


def _nested(document: Document) -> list[Any]:
    subject = document.get("credentialSubject")
    inner = subject.get("verifiableCredential") if isinstance(subject, dict) else None
    return inner if isinstance(inner, list) else [] if inner is None else [inner]


def _signed_parts(document: Document) -> list[Document]:
    """The documents whose proofs a verification checks: a CLR and the credentials in it."""
    if "ClrCredential" not in _types(document):
        return [document]
    inner = _nested(document)
    if len(inner) > MAX_NESTED:
        raise TooComplex(f"a CLR may hold at most {MAX_NESTED} credentials to be verified")
    return [document, *(c for c in inner if isinstance(c, dict))]
