"""Who acts: the principal behind every command, with its role and scope."""

from dataclasses import dataclass

from ledger.domain.errors import Forbidden

ROLES = ("admin", "qa_body", "provider", "recognition_body", "learner", "auditor")
SCOPED_ROLES = ("provider", "recognition_body", "learner")


@dataclass(frozen=True)
class Actor:
    principal_id: str
    role: str
    scope: str | None = None

    def is_provider(self, provider_id: str) -> bool:
        return self.role == "provider" and self.scope == provider_id


def check_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        msg = f"this action needs the role {' or '.join(roles)}; the caller is {actor.role}"
        raise Forbidden(msg)


def check_acts_for_provider(actor: Actor, provider_id: str) -> None:
    if not actor.is_provider(provider_id):
        raise Forbidden("a provider acts only on its own programmes and credentials")


def check_can_act_on_credential(actor: Actor, issuer_id: str) -> None:
    """The issuing provider, or the QA body, may change a credential's status."""
    if actor.role == "qa_body":
        return
    check_acts_for_provider(actor, issuer_id)


def check_is_learner(actor: Actor, learner_id: str) -> None:
    if actor.role != "learner" or actor.scope != learner_id:
        raise Forbidden("only the learner may decide who sees their credentials")
