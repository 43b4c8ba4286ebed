"""Who may read how much of a learner's transcript: the learner and auditors everything; a
provider the credentials it issued and the stacks it awarded; a provider or a recognition body
the whole record while the learner's grant to it is active (decided at read time: a grant
past its `until` is no grant, with no job to expire it)."""

from datetime import datetime
from typing import Any

from ledger.domain.actors import Actor
from ledger.domain.errors import Forbidden

GRANTEE_ROLES = ("provider", "recognition_body")


def active_grant(actor: Actor, doc: dict[str, Any], now: datetime) -> str | None:
    """The id of the learner's grant that lets `actor`'s organisation read the record now."""
    if actor.role not in GRANTEE_ROLES or not actor.scope:
        return None
    for grant in doc.get("grants", {}).values():
        if (grant["grantee_id"] == actor.scope and grant["revoked_at"] is None
                and datetime.fromisoformat(grant["until"]) > now):
            return grant["id"]
    return None


def grant_state(grant: dict[str, Any], now: datetime) -> str:
    if grant["revoked_at"] is not None:
        return "revoked"
    return "active" if datetime.fromisoformat(grant["until"]) > now else "expired"


def visible_to(actor: Actor, doc: dict[str, Any], grant: str | None = None) -> dict[str, Any]:
    """What of a transcript a reader sees: the learner, auditors and grantees everything; a
    provider only the credentials it issued and the stacks it awarded, with their recognitions
    (another provider's awards are not its business unless the learner granted it access)."""
    if actor.role != "provider" or grant is not None:
        return doc
    own = {key: credential for key, credential in doc["credentials"].items()
           if credential["provider_id"] == actor.scope}
    return {**doc, "credentials": own,
            "recognitions": [r for r in doc["recognitions"] if r["credential_id"] in own]}


def check_can_read_transcript(actor: Actor, doc: dict[str, Any], grant: str | None = None
                              ) -> None:
    if actor.role == "auditor" or grant is not None:
        return
    if is_the_learner(actor, doc["learner_id"]):
        return
    issuers = {c["provider_id"] for c in doc["credentials"].values()}
    if actor.role == "provider" and actor.scope in issuers:
        return
    raise Forbidden("only the learner, an auditor, a provider that issued to them or an "
                    "organisation the learner granted access may read this transcript")


def is_the_learner(actor: Actor | None, learner_id: str) -> bool:
    return actor is not None and actor.role == "learner" and actor.scope == learner_id
