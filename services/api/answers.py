"""Response bodies of the HTTP contract (API.md), for the OpenAPI document only: routes answer
with the JSON they build (FastJSONResponse), never re-validated against these models."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.api.schemas import (
    CredentialStatus,
    ParticipationForm,
    ProgrammeStatus,
    ProviderKind,
    RecognitionDecision,
)

Position = Field(description="the store position of the write: pass it as `min_position` to "
                             "a read that must see it", examples=[2009])
UUID_EXAMPLE = "72c4aa8c-7718-4d87-baf7-6cffd384864d"


class Answer(BaseModel):
    """Open: a later release may add members (API.md: add, never rename)."""

    model_config = ConfigDict(extra="allow")


# -- writes --------------------------------------------------------------------------------

class ProviderRegistered(Answer):
    id: str = Field(examples=["fbfbb1bf-3032-4da0-90d5-cb67cd504ae5"])
    name: str
    country: str = Field(examples=["GE"])
    kind: ProviderKind
    legal_identifier: str | None = None
    position: int = Position


class ProviderAccredited(Answer):
    provider_id: str
    accredited: bool
    valid_from: str = Field(examples=["2024-01-01"])
    valid_until: str = Field(examples=["2030-12-31"])
    scope: str | None = None
    decision_reference: str | None = None
    position: int = Position


class AccreditationWithdrawn(Answer):
    provider_id: str
    withdrawn_on: str = Field(examples=["2029-01-01"])
    position: int = Position


class ProgrammeSubmitted(Answer):
    id: str
    status: ProgrammeStatus
    provider_id: str
    position: int = Position


class ProgrammeDecided(Answer):
    id: str
    status: ProgrammeStatus
    position: int = Position


class PathwayDefined(Answer):
    id: str
    provider_id: str
    title: str
    components: list[str]
    min_ects: float | None = None
    min_components: int | None = None
    position: int = Position


class LearnerEnrolled(Answer):
    id: str = Field(examples=["58a2c68d-b8ec-4947-9cf6-760d26d39800"])
    position: int = Position


class LearnerErased(Answer):
    learner_id: str
    status: Literal["erased"]
    position: int = Position


class CredentialIssued(Answer):
    id: str = Field(examples=[UUID_EXAMPLE])
    learner_id: str
    status: CredentialStatus
    position: int = Position


class BulkItemResult(Answer):
    index: int = Field(description="the item's index in `items`")
    status: Literal["created", "failed"]
    id: str | None = None
    error: str | None = Field(None, description="why the item failed (it alone)")


class BulkIssued(Answer):
    results: list[BulkItemResult]
    position: int = Position


class CredentialStatusChanged(Answer):
    id: str = Field(examples=[UUID_EXAMPLE])
    status: CredentialStatus
    position: int = Position


class CredentialShared(Answer):
    id: str
    shared: bool
    position: int = Position


class CredentialCorrected(Answer):
    id: str
    status: CredentialStatus
    corrected: list[str] = Field(examples=[["grade"]])
    position: int = Position


class CredentialsStacked(Answer):
    id: str
    learner_id: str
    status: CredentialStatus
    components: list[str]
    position: int = Position


class RecognitionRecorded(Answer):
    id: str
    credential_id: str
    decision: RecognitionDecision
    toward: str
    ects_recognised: float | None = None
    decided_on: str | None = None
    reference: str | None = None
    position: int = Position


# -- reads ---------------------------------------------------------------------------------

class HistoryEntry(Answer):
    event: str = Field(examples=["CredentialIssued"])
    recorded_at: str
    effective_on: str | None = None
    position: int


class TranscriptEntry(Answer):
    id: str
    kind: Literal["credential", "stack"]
    title: str | None = None
    provider_id: str
    awarded_on: str
    status: CredentialStatus
    ects: float | None = None
    eqf_level: int | None = None
    history: list[HistoryEntry]
    part_of: list[str] = []
    shared: bool = False
    programme_id: str | None = None
    pathway_id: str | None = None
    components: list[str] | None = None
    grade: str | None = None
    assessment: str | None = None


class TranscriptRecognition(Answer):
    recognition_id: str
    credential_id: str
    decision: RecognitionDecision
    toward: str
    ects_recognised: float | None = None
    decided_on: str | None = None
    reference: str | None = None


class Person(Answer):
    given_name: str | None = Field(None, examples=["ნინო"])
    family_name: str | None = Field(None, examples=["ბერიძე"])
    birth_date: str | None = Field(None, examples=["2001-05-17"])


class ChainLink(Answer):
    position: int
    chain_hash: str


class Transcript(Answer):
    learner_id: str
    credentials: list[TranscriptEntry]
    recognitions: list[TranscriptRecognition]
    erased: bool
    learner: Person | None = Field(None, description="absent once the learner was erased")
    position: int = Field(description="the read position the transcript reflects")
    as_of: str | None = None
    chain_head: ChainLink | None = None


class Issuer(Answer):
    id: str
    name: str | None = None


class StatusEntry(Answer):
    id: str
    type: str = Field(examples=["BitstringStatusListEntry"])
    statusPurpose: Literal["revocation", "suspension"]  # noqa: N815 (W3C's name)
    statusListIndex: str  # noqa: N815
    statusListCredential: str  # noqa: N815


class CredentialVerification(Answer):
    credential_id: str
    status: CredentialStatus
    issuer: Issuer
    title: str | None = None
    awarded_on: str
    provider_accredited_on_award: bool
    programme_approved_on_award: bool
    credential_status: list[StatusEntry]
    position: int


class RegisterEntry(Answer):
    id: str


class ProgrammeEntry(RegisterEntry):
    title: str
    provider_id: str
    status: ProgrammeStatus
    register_status: str | None = None
    ects: float | None = None
    eqf_level: int | None = None
    participation_form: ParticipationForm | None = None


class ProviderEntry(RegisterEntry):
    name: str
    country: str
    kind: ProviderKind
    status: str | None = None
    register_status: str | None = None


class ProgrammePage(Answer):
    items: list[ProgrammeEntry]
    next: str | None = Field(description="the cursor of the next page; null on the last")


class ProviderPage(Answer):
    items: list[ProviderEntry]
    next: str | None = Field(description="the cursor of the next page; null on the last")


class PathwayEntry(RegisterEntry):
    title: str
    provider_id: str


class AuditEvent(Answer):
    position: int
    stream_id: str
    version: int
    type: str = Field(examples=["LearnerRecord.CredentialIssued"])
    topic: str = Field(examples=["ledger.CredentialIssued"])
    recorded_at: str
    data: dict[str, Any]
    chain_hash: str
    stored: str = Field(description="the stored state, base64")


class AuditEvents(Answer):
    events: list[AuditEvent]
    next: int | None = Field(description="`after` for the next page")


class ChainVerification(Answer):
    ok: bool
    events_checked: int
    head: ChainLink | None = None
    first_bad_position: int | None = None
    problems: list[dict[str, Any]]
    from_position: int
    checkpoints_checked: int


class Checkpoints(Answer):
    algorithm: str = Field(examples=["Ed25519"])
    message: str
    public_keys: list[Any]
    checkpoints: list[dict[str, Any]]


class Document(Answer):
    """A JSON(-LD) document whose shape a standard defines (W3C VC 2.0, OB 3.0, DID Core)."""

    id: str


class VerifiableCredential(Document):
    context: list[Any] = Field(alias="@context")
    type: list[str]
    issuer: Any
    credentialSubject: Any  # noqa: N815 (W3C's name)


class IssuerProfile(Document):
    type: list[str]
    name: str | None = None
    did: str


class IssuerRegistry(Answer):
    meta: dict[str, Any]
    registry: dict[str, Any]


class DocumentVerification(Answer):
    verdict: Literal["valid", "invalid", "unknown"]
    kind: str | None = None
    problems: list[Any]
    unknowns: list[Any]


class Health(Answer):
    status: Literal["ok"]


class Readiness(Answer):
    status: Literal["ready"]
    store_position: int
    read_position: int


class Unready(Answer):
    status: Literal["unavailable"]
