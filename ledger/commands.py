"""The write use cases: each builds a command that the group committer runs in a unit of work.

A command loads aggregates, calls one domain method (which checks the rules and records the
events) and returns the outcome. Ids and plain data in and out; no HTTP, no SQL.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from ledger.committer import Outcome
from ledger.domain.actors import Actor, check_acts_for_provider, check_is_learner, check_role
from ledger.domain.errors import LedgerError, NotFound, RuleViolation
from ledger.domain.identity import same_person
from ledger.domain.learner import LearnerRecord
from ledger.domain.pathway import Pathway
from ledger.domain.programme import MicroCredential
from ledger.domain.provider import Provider
from ledger.store import side_tables, wallet_exchanges
from ledger.store.database import Cursor, Database
from ledger.store.principals import Principals
from ledger.store.share_links import ShareLink, ShareLinks, new_secret
from ledger.store.vault import Vault
from ledger.unit_of_work import UnitOfWork

Run = Callable[[UnitOfWork], Outcome]


# -- organisations and programmes ------------------------------------------------------------

def register_provider(actor: Actor, details: dict[str, Any]) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        provider = Provider.register(actor=actor, today=uow.today, **details)
        uow.add(provider)
        return Outcome(201, {"id": str(provider.id), **details})
    return run


def accredit_provider(actor: Actor, provider_id: str, details: dict[str, Any]) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        provider = uow.get(Provider, provider_id, "provider")
        provider.accredit(actor=actor, **details)
        return Outcome(201, {"provider_id": provider_id, "accredited": True, **details})
    return run


def withdraw_accreditation(actor: Actor, provider_id: str, reason: str,
                           effective_on: str) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        provider = uow.get(Provider, provider_id, "provider")
        provider.withdraw_accreditation(actor=actor, reason=reason, effective_on=effective_on)
        return Outcome(200, {"provider_id": provider_id, "withdrawn_on": effective_on})
    return run


def submit_programme(actor: Actor, provider_id: str, specification: dict[str, Any]) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        uow.get(Provider, provider_id, "provider")
        programme = MicroCredential.submit(actor=actor, provider_id=provider_id,
                                           specification=specification,
                                           today=uow.today)
        uow.add(programme)
        return Outcome(201, {"id": str(programme.id), "status": programme.status,
                             "provider_id": provider_id})
    return run


def decide_programme(actor: Actor, programme_id: str, decision: str,
                     details: dict[str, Any]) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        programme = uow.get(MicroCredential, programme_id, "microcredential")
        if decision == "approve":
            programme.approve(actor=actor, approved_on=details.get("approved_on")
                              or uow.today.isoformat(), review_due=details["review_due"],
                              today=uow.today)
        elif decision == "withdraw":
            programme.withdraw(actor=actor, reason=details["reason"],
                               effective_on=details["effective_on"])
        else:
            programme.reject(actor=actor, reason=details["reason"], today=uow.today)
        return Outcome(200, {"id": programme_id, "status": programme.status})
    return run


def define_pathway(actor: Actor, details: dict[str, Any]) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        check_acts_for_provider(actor, details["provider_id"])
        for programme_id in details["components"]:
            programme = uow.get(MicroCredential, programme_id, "microcredential")
            if programme.provider_id != details["provider_id"]:
                raise NotFound(f"microcredential {programme_id} not found for this provider")
        pathway = Pathway.define(actor=actor, today=uow.today, **details)
        uow.add(pathway)
        return Outcome(201, {"id": str(pathway.id), **details})
    return run


# -- learners and credentials ----------------------------------------------------------------

def enrol_learner(actor: Actor, vault: Vault, personal: dict[str, Any]) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        check_role(actor, "provider", "admin")
        national_id = personal.get("national_id")
        existing = vault.find_by_national_id(national_id) if national_id else None
        if existing:
            # Only the same person gets their id back: a national id alone must not tell a
            # caller whether, and under which id, someone is in the ledger.
            if not same_person(vault.read(existing) or {}, personal):
                raise RuleViolation("a learner with this national id is already enrolled with "
                                    "another name or birth date; check the details sent")
            return Outcome(200, {"id": existing}, personal_data_of=existing)
        record = LearnerRecord.enrol(actor=actor, today=uow.today)
        uow.add(record)
        uow.after_insert(lambda cursor, _: vault.write(cursor, record.id, personal))
        return Outcome(201, {"id": str(record.id)}, personal_data_of=str(record.id))
    return run


def erase_learner(actor: Actor, vault: Vault, principals: Principals, learner_id: str,
                  reason: str) -> Run:
    """Records RecordErased and, in the same transaction, destroys the learner's vault key
    and blind index, the idempotency records of requests that carried their personal data,
    their own principals and their wallet offers. The events (and so the hash chain) are
    untouched."""
    def run(uow: UnitOfWork) -> Outcome:
        check_role(actor, "admin")
        record = uow.get(LearnerRecord, learner_id, "learner")
        record.erase(actor=actor, reason=reason, today=uow.today)
        subject = str(record.id)

        def destroy(cursor: Cursor, _: Any) -> None:
            vault.destroy(cursor, subject)
            side_tables.forget_requests_of(cursor, subject)
            principals.remove_learner(cursor, subject)
            wallet_exchanges.forget_learner(cursor, subject)
            ShareLinks.forget_learner(cursor, subject)

        uow.after_insert(destroy)
        return Outcome(200, {"learner_id": subject, "status": "erased"})
    return run


def _index(uow: UnitOfWork, credential_id: str, learner_id: UUID) -> None:
    uow.insert_row(*side_tables.CREDENTIAL_INDEX, (credential_id, str(learner_id)))


def issue_into(uow: UnitOfWork, actor: Actor, item: dict[str, Any],
               credential_id: str | None = None) -> dict[str, Any]:
    """Issue one credential inside the caller's unit of work (shared by single and bulk)."""
    record = uow.get(LearnerRecord, item["learner_id"], "learner")
    programme = uow.get(MicroCredential, item["microcredential_id"], "microcredential")
    provider = uow.get(Provider, programme.provider_id, "provider")
    credential_id = credential_id or str(uuid4())
    record.issue(actor=actor, credential_id=credential_id, provider=provider,
                 programme=programme, awarded_on=item["awarded_on"],
                 grade=item.get("grade"), assessment=item.get("assessment"), today=uow.today,
                 status_index=uow.status_indexes)
    _index(uow, credential_id, record.id)
    return {"id": credential_id, "learner_id": str(record.id), "status": "active"}


def issue_credential(actor: Actor, item: dict[str, Any]) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        return Outcome(201, issue_into(uow, actor, item))
    return run


def issue_many(actor: Actor, items: list[tuple[int, dict[str, Any]]],
               id_seed: str | None) -> Run:
    """A chunk of a bulk request: each item succeeds or fails on its own."""

    def run(uow: UnitOfWork) -> Outcome:
        results = []
        for index, item in items:
            try:
                result = issue_into(uow, actor, item, _bulk_id(id_seed, index))
                results.append({"index": index, "status": "created", "id": result["id"]})
            except LedgerError as error:
                results.append({"index": index, "status": "failed", "error": error.detail})
        return Outcome(200, {"results": results})
    return run


def _bulk_id(seed: str | None, index: int) -> str | None:
    """With an Idempotency-Key, item ids are derived from it, so a retried chunk is a repeat."""
    return str(uuid5(NAMESPACE_URL, f"{seed}#{index}")) if seed else None


def change_status(actor: Actor, database: Database, credential_id: str, action: str,
                  reason: str) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        record = _record_holding(uow, database, credential_id)
        getattr(record, action)(actor=actor, credential_id=credential_id, reason=reason,
                                today=uow.today)
        status = record.credentials[credential_id].status
        return Outcome(200, {"id": credential_id, "status": status})
    return run


def share_credential(actor: Actor, database: Database, credential_id: str,
                     shared: bool) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        record = _record_holding(uow, database, credential_id)
        record.share(actor=actor, credential_id=credential_id, shared=shared,
                     today=uow.today)
        return Outcome(200, {"id": credential_id, "shared": shared})
    return run


def correct_credential(actor: Actor, database: Database, credential_id: str,
                       changes: dict[str, Any], reason: str) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        record = _record_holding(uow, database, credential_id)
        credential = record.credential(credential_id)
        provider = uow.get(Provider, credential.provider_id, "provider")
        programme = (uow.get(MicroCredential, credential.programme_id, "microcredential")
                     if credential.programme_id else None)
        record.correct(actor=actor, credential_id=credential_id, changes=changes,
                       reason=reason, provider=provider, programme=programme, today=uow.today)
        return Outcome(200, {"id": credential_id, "status": credential.status,
                             "corrected": sorted(changes)})
    return run


def stack_credentials(actor: Actor, details: dict[str, Any]) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        record = uow.get(LearnerRecord, details["learner_id"], "learner")
        pathway = uow.get(Pathway, details["pathway_id"], "pathway")
        provider = uow.get(Provider, pathway.provider_id, "provider")
        stack_id = str(uuid4())
        record.stack(actor=actor, stack_id=stack_id, pathway=pathway, provider=provider,
                     component_ids=details["component_ids"],
                     awarded_on=details["awarded_on"], today=uow.today,
                     status_index=uow.status_indexes)
        _index(uow, stack_id, record.id)
        return Outcome(201, {"id": stack_id, "learner_id": str(record.id), "status": "active",
                             "components": details["component_ids"]})
    return run


def record_recognition(actor: Actor, database: Database, details: dict[str, Any]) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        check_role(actor, "recognition_body")
        record = _record_holding(uow, database, details["credential_id"])
        recognition_id = str(uuid4())
        record.recognise(actor=actor, recognition_id=recognition_id,
                         credential_id=details["credential_id"], decision=details["decision"],
                         toward=details["toward"],
                         ects_recognised=details.get("ects_recognised"),
                         decided_on=details.get("decided_on") or uow.today.isoformat(),
                         reference=details.get("reference"), today=uow.today)
        return Outcome(201, {"id": recognition_id, **details})
    return run


def _record_holding(uow: UnitOfWork, database: Database, credential_id: str) -> LearnerRecord:
    learner_id = side_tables.learner_of(database, credential_id)
    if learner_id is None:
        raise NotFound(f"credential {credential_id} not found")
    return uow.get(LearnerRecord, learner_id, "learner")


# -- access grants and share links (the learner's consent) --------------------------------------

def grant_access(actor: Actor, links: ShareLinks, learner_id: str, grantee_id: str,
                 until: datetime, note: str | None, now: datetime) -> Run:
    """The learner lets a provider or a recognition body read their whole record until
    `until`; the note (free text) is kept beside the event, erasable, never in it."""
    def run(uow: UnitOfWork) -> Outcome:
        record = uow.get(LearnerRecord, learner_id, "learner")
        grantee = uow.get(Provider, grantee_id, "organisation")
        grant_id = str(uuid4())
        record.grant_access(actor=actor, grant_id=grant_id, grantee=grantee, until=until,
                            now=now)
        if note:
            uow.after_insert(lambda cursor, _: links.insert_grant_note(
                cursor, grant_id, str(record.id), note))
        grant = record.grants[grant_id]
        return Outcome(201, {"id": grant_id, "learner_id": str(record.id),
                             "grantee_id": grant.grantee_id,
                             "grantee_kind": "recognition_body"
                             if grantee.kind == "recognition_body" else "provider",
                             "until": grant.until, "note": note, "state": "active"})
    return run


def revoke_access(actor: Actor, learner_id: str, grant_id: str) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        record = uow.get(LearnerRecord, learner_id, "learner")
        record.revoke_access(actor=actor, grant_id=grant_id, today=uow.today)
        return Outcome(200, {"id": grant_id, "learner_id": str(record.id), "state": "revoked"})
    return run


def create_share_link(actor: Actor, links: ShareLinks, learner_id: str,
                      credential_ids: list[str] | None, audience: str, expires_at: datetime,
                      now: datetime, credential_owner: Callable[[str], str | None]) -> Run:
    """A link to chosen credentials of the learner's (or, with None, the whole record). The
    secret is in the outcome once and never stored: only its keyed digest is."""
    def run(uow: UnitOfWork) -> Outcome:
        check_is_learner(actor, learner_id)
        record = uow.get(LearnerRecord, learner_id, "learner")
        record.check_not_erased()
        if expires_at <= now:
            raise RuleViolation("expires_at must be in the future")
        if expires_at > now + timedelta(days=MAX_LINK_DAYS):
            raise RuleViolation(f"a share link lasts at most {MAX_LINK_DAYS} days")
        for credential_id in credential_ids or ():
            if credential_owner(credential_id) != str(record.id):
                raise NotFound(f"credential {credential_id} is not this learner's")
        link = ShareLink(id=str(uuid4()), learner_id=str(record.id),
                         credential_ids=list(dict.fromkeys(credential_ids))
                         if credential_ids is not None else None, audience=audience,
                         created_at=_instant(now), expires_at=_instant(expires_at),
                         revoked_at=None)
        secret = new_secret()
        uow.after_insert(lambda cursor, _: links.insert(cursor, link, secret))
        return Outcome(201, {**link.public(now), "secret": secret})
    return run


def revoke_share_link(actor: Actor, links: ShareLinks, learner_id: str, link_id: str,
                      now: datetime) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        check_is_learner(actor, learner_id)
        link = links.get(link_id)
        if link is None or link.learner_id != learner_id:
            raise NotFound(f"share link {link_id} not found")
        uow.after_insert(lambda cursor, _: links.revoke(cursor, link_id, learner_id,
                                                        _instant(now)))
        return Outcome(200, {"id": link_id, "learner_id": learner_id, "state": "revoked"})
    return run


MAX_LINK_DAYS = 366


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
