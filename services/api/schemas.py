"""Request bodies and enums of the HTTP contract (API.md). API models only: never events or rows."""

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ledger import inputs
from ledger.domain.learner import ERASURE_GROUNDS
from ledger.domain.status import STATUSES
from services.api.examples import example


def _enum(name: str, values: tuple[str, ...]) -> type[StrEnum]:
    """A named enum of the contract (one schema in the OpenAPI document, one class in a
    generated client); its members are the strings sent and stored."""
    return StrEnum(name, {value: value for value in values})


ProviderKind = _enum("ProviderKind", ("higher_education", "vocational", "employer",
                                      "recognition_body", "other"))
ParticipationForm = _enum("ParticipationForm", ("online", "onsite", "blended"))
RecognitionDecision = _enum("RecognitionDecision",
                            ("recognised", "partially_recognised", "not_recognised"))
CredentialStatus = _enum("CredentialStatus", STATUSES)
ProgrammeStatus = _enum("ProgrammeStatus", ("submitted", "approved", "rejected", "withdrawn"))

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Ects = Annotated[float, Field(gt=0, le=180, strict=True, allow_inf_nan=False)]
# A positive quantity (hours, credits): finite and bounded, so it survives JSON and events.
Amount = Annotated[float, Field(gt=0, le=100_000, strict=True, allow_inf_nan=False)]


def _assigned_country(code: str) -> str:
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{code} is not an assigned ISO 3166-1 alpha-2 country code")
    return code


CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"),
                        AfterValidator(_assigned_country)]
LANGUAGE_TAG = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
EqfLevel = Annotated[int, Field(ge=1, le=8, strict=True)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def fields(self) -> dict:
        return self.model_dump(mode="json")


class ProviderIn(Body):
    model_config = ConfigDict(json_schema_extra=example("ProviderIn"))

    name: Text
    country: CountryCode
    kind: ProviderKind  # type: ignore[valid-type]
    legal_identifier: Text | None = None

    def to_input(self) -> inputs.RegisterProvider:
        return inputs.RegisterProvider(**self.fields())


class AccreditationIn(Body):
    model_config = ConfigDict(json_schema_extra=example("AccreditationIn"))

    valid_from: date
    valid_until: date
    scope: Text | None = None
    decision_reference: Text | None = None

    def to_input(self) -> inputs.Accreditation:
        return inputs.Accreditation(**self.fields())


class WithdrawalIn(Body):
    model_config = ConfigDict(json_schema_extra=example("WithdrawalIn"))

    reason: Text
    effective_on: date

    def to_input(self) -> inputs.ProgrammeDecision:
        """A programme's withdrawal (an accreditation's takes reason and date as they are)."""
        return inputs.ProgrammeDecision("withdraw", **self.fields())


class MicroCredentialIn(Body):
    model_config = ConfigDict(json_schema_extra=example("MicroCredentialIn"))

    provider_id: Id
    title: Text
    learning_outcomes: Annotated[list[Text], Field(min_length=1, max_length=100)]
    ects: Ects
    eqf_level: EqfLevel
    assessment_type: Text
    participation_form: ParticipationForm  # type: ignore[valid-type]
    quality_assurance: Text
    workload_hours: Amount | None = None
    nqf_level: Annotated[int, Field(ge=1, le=12, strict=True)] | None = None
    prerequisites: Text | None = None
    supervision: Text | None = None
    stackable: Annotated[bool, Field(strict=True)] | None = None
    language: Annotated[str, StringConstraints(pattern=LANGUAGE_TAG)] | None = None
    isced_f: Annotated[str, StringConstraints(pattern=r"^[0-9]{2,4}$")] | None = None

    def to_input(self) -> tuple[str, inputs.Specification]:
        """The provider and the specification it files (recorded as filed)."""
        specification = self.fields()
        return specification.pop("provider_id"), specification


class ApprovalIn(Body):
    model_config = ConfigDict(json_schema_extra=example("ApprovalIn"))

    review_due: date
    approved_on: date | None = None

    def to_input(self) -> inputs.ProgrammeDecision:
        return inputs.ProgrammeDecision("approve", **self.fields())


class ReasonIn(Body):
    model_config = ConfigDict(json_schema_extra=example("ReasonIn"))

    reason: Text

    def to_input(self) -> inputs.ProgrammeDecision:
        """A programme's rejection (a status change takes the reason as it is)."""
        return inputs.ProgrammeDecision("reject", reason=self.reason)


class SharingIn(Body):
    shared: bool = Field(True, description="true: anyone with the link may fetch the "
                                           "credential's signed OB 3.0 export")


class PathwayIn(Body):
    model_config = ConfigDict(json_schema_extra=example("PathwayIn"))

    provider_id: Id
    title: Text
    components: Annotated[list[Id], Field(min_length=1, max_length=50)]
    min_ects: Amount | None = None
    min_components: Annotated[int, Field(ge=1, le=1000, strict=True)] | None = None

    def to_input(self) -> inputs.DefinePathway:
        return inputs.DefinePathway(**self.fields())


class LearnerIn(Body):
    model_config = ConfigDict(json_schema_extra=example("LearnerIn"))

    given_name: Text
    family_name: Text
    birth_date: date
    national_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                  max_length=64)] | None = None
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                            max_length=254)] | None = None

    def to_input(self) -> inputs.PersonalDetails:
        return inputs.PersonalDetails(**self.fields())


class CredentialIn(Body):
    model_config = ConfigDict(json_schema_extra=example("CredentialIn"))

    learner_id: Id
    microcredential_id: Id
    awarded_on: date
    grade: Annotated[str, StringConstraints(max_length=100)] | None = None
    assessment: Annotated[str, StringConstraints(max_length=2000)] | None = None

    def to_input(self) -> inputs.IssueCredential:
        return inputs.IssueCredential(**self.fields())


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: Annotated[list[dict], Field(min_length=1, max_length=10_000)]


class CorrectionIn(Body):
    model_config = ConfigDict(json_schema_extra=example("CorrectionIn"))

    reason: Text
    awarded_on: date | None = None
    grade: Annotated[str, StringConstraints(max_length=100)] | None = None
    assessment: Annotated[str, StringConstraints(max_length=2000)] | None = None

    def to_input(self) -> inputs.Correction:
        return inputs.Correction(**self.fields())


class StackIn(Body):
    model_config = ConfigDict(json_schema_extra=example("StackIn"))

    learner_id: Id
    pathway_id: Id
    component_ids: Annotated[list[Id], Field(min_length=1, max_length=50)]
    awarded_on: date

    def to_input(self) -> inputs.StackCredentials:
        return inputs.StackCredentials(**self.fields())


class RecognitionIn(Body):
    model_config = ConfigDict(json_schema_extra=example("RecognitionIn"))

    credential_id: Id
    decision: RecognitionDecision  # type: ignore[valid-type]
    toward: Text
    ects_recognised: Annotated[float, Field(ge=0, le=100_000, strict=True,
                                            allow_inf_nan=False)] | None = None
    decided_on: date | None = None
    reference: Text | None = None

    def to_input(self) -> inputs.RecordRecognition:
        return inputs.RecordRecognition(**self.fields())


class ErasureIn(Body):
    """Why: a GDPR Art. 17(1) ground as a code (never free text, which would be recorded in an
    immutable event)."""

    reason: Literal[ERASURE_GROUNDS] = "data_subject_request"  # type: ignore[valid-type]
