"""Bodies and answers of the learner's consent routes: access grants, share links, the
disclosure log and what a share link opens (API models only: never events or rows)."""

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from ledger.inputs import CreateShareLink, GrantAccess
from services.api.schemas import Body, Id

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class GrantIn(Body):
    grantee_id: Id = Field(description="the provider or recognition body to read the record")
    until: AwareDatetime = Field(description="RFC 3339 instant with a UTC offset; at most a "
                                 "year ahead")
    note: Note | None = Field(None, description="the learner's own words (kept outside the "
                              "events, erased with the learner)")

    def to_input(self, learner_id: str) -> GrantAccess:
        return GrantAccess(learner_id, self.grantee_id, self.until, self.note)


class ShareLinkIn(Body):
    credential_ids: list[Id] | None = Field(
        None, min_length=1, max_length=200,
        description="the credentials the link shows; absent or null: the whole record (CLR)")
    audience: Label = Field(description="who the link is for, in the learner's words")
    expires_at: AwareDatetime = Field(description="RFC 3339 instant; at most a year ahead")

    def to_input(self, learner_id: str) -> CreateShareLink:
        return CreateShareLink(learner_id, self.credential_ids, self.audience, self.expires_at)


class GrantOut(BaseModel):
    id: str
    learner_id: str
    grantee_id: str
    grantee_kind: Literal["provider", "recognition_body"] | None = None
    until: str | None = None
    note: str | None = None
    state: Literal["active", "expired", "revoked"]
    granted_at: str | None = None
    revoked_at: str | None = None
    position: int | None = None


class GrantsOut(BaseModel):
    grants: list[GrantOut]


class ShareLinkOut(BaseModel):
    id: str
    learner_id: str
    credential_ids: list[str] | None = None
    whole_record: bool | None = None
    audience: str | None = None
    created_at: str | None = None
    expires_at: str | None = None
    revoked_at: str | None = None
    state: Literal["active", "expired", "revoked"]
    secret: str | None = Field(None, description="only in the answer that created the link")
    url: str | None = Field(None, description="the public page; only when created")
    json_url: str | None = Field(None, description="its JSON form; only when created")
    position: int | None = None


class ShareLinksOut(BaseModel):
    links: list[ShareLinkOut]


class Reader(BaseModel):
    principal_id: str | None
    role: str
    organisation_id: str | None


class DisclosureOut(BaseModel):
    id: int
    at: str
    what: str = Field(description="transcript, export:<kind>, credential or share_link")
    credential_ids: list[str] | None
    who: Reader
    grant_id: str | None
    link_id: str | None


class DisclosuresOut(BaseModel):
    learner_id: str
    entries: list[DisclosureOut]
    next: int | None = Field(description="pass as `before` for the next (older) page")


class SharedLink(BaseModel):
    id: str
    audience: str
    expires_at: str
    whole_record: bool


class SharedCredential(BaseModel):
    id: str
    kind: str
    title: str
    provider_id: str
    provider_name: str | None
    awarded_on: str
    ects: float
    eqf_level: int
    status: str
    verification: dict[str, Any]
    document: dict[str, Any] | None = Field(None, description="the signed OB 3.0 credential")


class SharedRecordOut(BaseModel):
    link: SharedLink
    credentials: list[SharedCredential]

