"""The input of every export format: what the ledger knows about one learner's record.

Plain frozen dataclasses, built by the caller from the read models (`from_register`,
`from_transcript`) and the personal-data vault (`Learner.from_personal`); the format builders
only read them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.domain.catalogue import event_name
from ledger.domain.errors import NotFound
from ledger.domain.learner import LearnerRecord
from ledger.urls import PublicUrls

Document = dict[str, Any]


class NothingToExport(NotFound):
    """The learner's record has nothing a format can carry (for example no credential)."""

    title = "Nothing to export"


def urls_for(public_base_url: str) -> PublicUrls:
    return PublicUrls(public_base_url)


@dataclass(frozen=True)
class Learner:
    """Personal data from the vault; all of it is None once the record is erased."""

    id: str
    given_name: str | None = None
    family_name: str | None = None
    birth_date: str | None = None  # YYYY-MM-DD

    @classmethod
    def from_personal(cls, learner_id: str, personal: Mapping[str, Any] | None) -> "Learner":
        personal = personal or {}
        return cls(learner_id, personal.get("given_name"), personal.get("family_name"),
                   personal.get("birth_date"))

    @property
    def full_name(self) -> str | None:
        parts = [p for p in (self.given_name, self.family_name) if p]
        return " ".join(parts) or None


@dataclass(frozen=True)
class Operator:
    """The body that runs the ledger (the national QA agency): approves programmes, accredits
    providers, and issues the ledger-level documents (CLR)."""

    name: str
    country: str  # ISO 3166-1 alpha-2
    qa_body_name: str | None = None  # the accrediting agency, when not the operator itself

    @property
    def qa_name(self) -> str:
        return self.qa_body_name or self.name


@dataclass(frozen=True)
class Endorsement:
    """The QA body's signed EndorsementCredential of one accreditation decision, with the days
    it covers (ledger.projections.exports.endorsement)."""

    valid_from: str  # YYYY-MM-DD
    last_day: str  # YYYY-MM-DD
    document: Document = field(compare=False)


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    country: str  # ISO 3166-1 alpha-2
    kind: str
    url: str  # the issuer's profile: a stable HTTPS URL
    legal_identifier: str | None = None
    did: str | None = None  # the issuer's id in signed credentials: its did:web DID
    # Its accreditations, oldest decision first: a credential carries the one in force when
    # it was awarded.
    endorsements: tuple[Endorsement, ...] = field(default=(), compare=False)

    def endorsement_on(self, day: str) -> Document | None:
        """The signed endorsement in force on the day (the latest decision, if several)."""
        matching = [e for e in self.endorsements if e.valid_from <= day <= e.last_day]
        return matching[-1].document if matching else None

    @classmethod
    def from_register(cls, doc: Mapping[str, Any], urls: PublicUrls) -> "Provider":
        return cls(id=doc["id"], name=doc["name"], country=doc["country"], kind=doc["kind"],
                   url=urls.issuer(doc["id"]), legal_identifier=doc.get("legal_identifier"),
                   did=urls.did(doc["id"]))


@dataclass(frozen=True)
class Programme:
    """An approved micro-credential programme with its EU Annex I elements."""

    id: str
    provider_id: str
    url: str
    title: str
    learning_outcomes: tuple[str, ...]
    ects: float
    eqf_level: int
    assessment_type: str
    participation_form: str  # online, onsite, blended
    quality_assurance: str
    workload_hours: float | None = None
    nqf_level: int | None = None
    prerequisites: str | None = None
    supervision: str | None = None
    stackable: bool | None = None
    language: str | None = None  # BCP 47 tag, e.g. "ka"
    isced_f: str | None = None

    def anchor(self, part: str) -> str:
        """The id of one element of the programme's register entry ("assessment", ...)."""
        return f"{self.url}#{part}"

    @classmethod
    def from_register(cls, doc: Mapping[str, Any], urls: PublicUrls) -> "Programme":
        optional = ("workload_hours", "nqf_level", "prerequisites", "supervision", "stackable",
                    "language", "isced_f")
        return cls(id=doc["id"], provider_id=doc["provider_id"], url=urls.programme(doc["id"]),
                   title=doc["title"], learning_outcomes=tuple(doc["learning_outcomes"]),
                   ects=doc["ects"], eqf_level=doc["eqf_level"],
                   assessment_type=doc["assessment_type"],
                   participation_form=doc["participation_form"],
                   quality_assurance=doc["quality_assurance"],
                   **{key: doc.get(key) for key in optional})


@dataclass(frozen=True)
class Credential:
    """A credential (kind "credential") or a stack of components (kind "stack")."""

    id: str
    kind: str
    provider_id: str
    title: str
    awarded_on: str  # YYYY-MM-DD
    ects: float
    eqf_level: int
    status: str  # active, suspended, revoked, under_review
    recorded_at: str  # RFC 3339: when its content (not its status) last changed
    programme_id: str | None = None
    pathway_id: str | None = None
    grade: str | None = None
    assessment: str | None = None
    components: tuple[str, ...] = ()
    part_of: tuple[str, ...] = ()
    # The credentialStatus entries (revocation, suspension) the status lists assigned to it.
    status_entries: tuple[Document, ...] = ()

    @property
    def is_stack(self) -> bool:
        return self.kind == "stack"

    @classmethod
    def from_transcript(cls, doc: Mapping[str, Any],
                        status_entries: Sequence[Document] = ()) -> "Credential":
        return cls(id=doc["id"], kind=doc["kind"], provider_id=doc["provider_id"],
                   title=doc["title"], awarded_on=doc["awarded_on"], ects=doc["ects"],
                   eqf_level=doc["eqf_level"], status=doc["status"],
                   recorded_at=content_recorded_at(doc["history"]),
                   programme_id=doc.get("programme_id"), pathway_id=doc.get("pathway_id"),
                   grade=doc.get("grade"), assessment=doc.get("assessment"),
                   components=tuple(doc.get("components", ())),
                   part_of=tuple(doc.get("part_of", ())), status_entries=tuple(status_entries))


# Events that change what a credential says; status changes live in the status lists instead.
CONTENT_EVENTS = tuple(event_name(e) for e in (
    LearnerRecord.CredentialIssued, LearnerRecord.CredentialStacked,
    LearnerRecord.CredentialCorrected))


def content_recorded_at(history: Sequence[Mapping[str, Any]]) -> str:
    """When the credential's content last changed: its documents' validFrom and issued."""
    return [e for e in history if e["event"] in CONTENT_EVENTS][-1]["recorded_at"]


@dataclass(frozen=True)
class ExportInput:
    """One learner's record as of a moment: everything every format needs."""

    learner: Learner
    credentials: tuple[Credential, ...]
    providers: Mapping[str, Provider]
    programmes: Mapping[str, Programme]
    operator: Operator
    urls: PublicUrls
    as_of: str  # RFC 3339: the time of the record's latest change
    _by_id: dict[str, Credential] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.credentials, key=lambda c: (c.awarded_on, c.id)))
        object.__setattr__(self, "credentials", ordered)
        object.__setattr__(self, "_by_id", {c.id: c for c in ordered})

    def credential(self, credential_id: str) -> Credential | None:
        return self._by_id.get(credential_id)

    def provider_of(self, credential: Credential) -> Provider:
        return self.providers[credential.provider_id]

    def programme_of(self, credential: Credential) -> Programme:
        """The programme a (non-stack) credential was awarded for."""
        return self.programmes[credential.programme_id or ""]

    def components(self, stack: Credential) -> list[Credential]:
        return [c for cid in stack.components if (c := self.credential(cid)) is not None]

    def top_level(self) -> list[Credential]:
        """Stacks and the credentials that are part of none: the roots of the record."""
        return [c for c in self.credentials
                if not any(self.credential(s) for s in c.part_of)]
