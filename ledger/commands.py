"""The write use cases: each builds a command that the group committer runs in a unit of work.

A command takes a typed input (ledger/inputs.py), loads aggregates, calls one domain method
(which checks the rules and records the events) and returns an Outcome: plain data (ids,
statuses) and whether it created something. No HTTP (the caller states its status codes, see
committer.Statuses), no SQL, and no collaborator from the caller: the vault, the principals and
the credential index come from the unit of work (unit_of_work.Collaborators).
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from ledger.committer import Outcome
from ledger.domain.actors import Actor, check_acts_for_provider, check_is_learner, check_role
from ledger.domain.errors import LedgerError, NotFound, RuleViolation
from ledger.domain.identity import same_person
from ledger.domain.learner import LearnerRecord
from ledger.domain.pathway import Pathway
from ledger.domain.programme import MicroCredential
from ledger.domain.provider import Provider
from ledger.inputs import (
    Accreditation,
    Correction,
    CreateShareLink,
    DefinePathway,
    GrantAccess,
    IssueCredential,
    PersonalDetails,
    ProgrammeDecision,
    RecordRecognition,
    RegisterProvider,
    Specification,
    StackCredentials,
    fields,
)
from ledger.store import side_tables, wallet_exchanges
from ledger.store.database import Cursor
from ledger.store.share_links import ShareLink, ShareLinks, new_secret
from ledger.unit_of_work import Collaborators, UnitOfWork

Run = Callable[[UnitOfWork], Outcome]


# -- organisations and programmes ------------------------------------------------------------

def register_provider(actor: Actor, details: RegisterProvider) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        given = fields(details)
        provider = Provider.register(actor=actor, today=uow.today, **given)
        uow.add(provider)
        return Outcome({"id": str(provider.id), **given}, created=True)
    return run


def accredit_provider(actor: Actor, provider_id: str, details: Accreditation) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        given = fields(details)
        provider = uow.get(Provider, provider_id, "provider")
        provider.accredit(actor=actor, **given)
        return Outcome({"provider_id": provider_id, "accredited": True, **given}, created=True)
    return run


def withdraw_accreditation(actor: Actor, provider_id: str, reason: str,
                           effective_on: str) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        provider = uow.get(Provider, provider_id, "provider")
        provider.withdraw_accreditation(actor=actor, reason=reason, effective_on=effective_on)
        return Outcome({"provider_id": provider_id, "withdrawn_on": effective_on})
    return run


def submit_programme(actor: Actor, provider_id: str, specification: Specification) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        uow.get(Provider, provider_id, "provider")
        programme = MicroCredential.submit(actor=actor, provider_id=provider_id,
                                           specification=dict(specification),
                                           today=uow.today)
        uow.add(programme)
        return Outcome({"id": str(programme.id), "status": programme.status,
                        "provider_id": provider_id}, created=True)
    return run


def decide_programme(actor: Actor, programme_id: str, details: ProgrammeDecision) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        programme = uow.get(MicroCredential, programme_id, "microcredential")
        if details.decision == "approve":
            programme.approve(actor=actor, approved_on=details.approved_on
                              or uow.today.isoformat(), review_due=details.review_due,
                              today=uow.today)
        elif details.decision == "withdraw":
            programme.withdraw(actor=actor, reason=details.reason,
                               effective_on=details.effective_on)
        else:
            programme.reject(actor=actor, reason=details.reason, today=uow.today)
        return Outcome({"id": programme_id, "status": programme.status})
    return run


def define_pathway(actor: Actor, details: DefinePathway) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        check_acts_for_provider(actor, details.provider_id)
        for programme_id in details.components:
            programme = uow.get(MicroCredential, programme_id, "microcredential")
            if programme.provider_id != details.provider_id:
                raise NotFound(f"microcredential {programme_id} not found for this provider")
        given = fields(details)
        pathway = Pathway.define(actor=actor, today=uow.today, **given)
        uow.add(pathway)
        return Outcome({"id": str(pathway.id), **given}, created=True)
    return run


# -- learners and credentials ----------------------------------------------------------------

def enrol_learner(actor: Actor, details: PersonalDetails) -> Run:
    """Created: a new learner; found (not created): the same person already enrolled."""
    def run(uow: UnitOfWork) -> Outcome:
        check_role(actor, "provider", "admin")
        vault = _needed(uow).vault
        personal = fields(details)
        national_id = details.national_id
        existing = vault.find_by_national_id(national_id) if national_id else None
        if existing:
            # Only the same person gets their id back: a national id alone must not tell a
            # caller whether, and under which id, someone is in the ledger.
            if not same_person(vault.read(existing) or {}, personal):
                raise RuleViolation("a learner with this national id is already enrolled with "
                                    "another name or birth date; check the details sent")
            return Outcome({"id": existing}, personal_data_of=existing)
        record = LearnerRecord.enrol(actor=actor, today=uow.today)
        uow.add(record)
        uow.after_insert(lambda cursor, _: vault.write(cursor, record.id, personal))
        return Outcome({"id": str(record.id)}, created=True, personal_data_of=str(record.id))
    return run


def erase_learner(actor: Actor, learner_id: str, reason: str) -> Run:
    """Records RecordErased and, in the same transaction, destroys the learner's vault key
    and blind index, the idempotency records of requests that carried their personal data,
    their own principals and their wallet offers. The events (and so the hash chain) are
    untouched."""
    def run(uow: UnitOfWork) -> Outcome:
        check_role(actor, "admin")
        record = uow.get(LearnerRecord, learner_id, "learner")
        record.erase(actor=actor, reason=reason, today=uow.today)
        subject = str(record.id)
        vault, principals = _needed(uow).vault, _needed(uow).principals

        def destroy(cursor: Cursor, _: object) -> None:
            vault.destroy(cursor, subject)
            side_tables.forget_requests_of(cursor, subject)
            principals.remove_learner(cursor, subject)
            wallet_exchanges.forget_learner(cursor, subject)
            ShareLinks.forget_learner(cursor, subject)

        uow.after_insert(destroy)
        return Outcome({"learner_id": subject, "status": "erased"})
    return run


def _index(uow: UnitOfWork, credential_id: str, learner_id: UUID) -> None:
    uow.insert_row(*side_tables.CREDENTIAL_INDEX, (credential_id, str(learner_id)))


def issue_into(uow: UnitOfWork, actor: Actor, item: IssueCredential,
               credential_id: str | None = None) -> dict[str, str]:
    """Issue one credential inside the caller's unit of work (shared by single and bulk)."""
    record = uow.get(LearnerRecord, item.learner_id, "learner")
    programme = uow.get(MicroCredential, item.microcredential_id, "microcredential")
    provider = uow.get(Provider, programme.provider_id, "provider")
    credential_id = credential_id or str(uuid4())
    record.issue(actor=actor, credential_id=credential_id, provider=provider,
                 programme=programme, awarded_on=item.awarded_on,
                 grade=item.grade, assessment=item.assessment, today=uow.today,
                 status_index=uow.status_indexes)
    _index(uow, credential_id, record.id)
    return {"id": credential_id, "learner_id": str(record.id), "status": "active"}


def issue_credential(actor: Actor, item: IssueCredential) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        return Outcome(issue_into(uow, actor, item), created=True)
    return run


def issue_many(actor: Actor, items: list[tuple[int, IssueCredential]],
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
        return Outcome({"results": results})
    return run


def _bulk_id(seed: str | None, index: int) -> str | None:
    """With an Idempotency-Key, item ids are derived from it, so a retried chunk is a repeat."""
    return str(uuid5(NAMESPACE_URL, f"{seed}#{index}")) if seed else None


def change_status(actor: Actor, credential_id: str, action: str, reason: str) -> Run:
    """action: revoke, suspend or reinstate."""
    if action not in ("revoke", "suspend", "reinstate"):
        raise ValueError(f"unknown status change {action!r}")

    def run(uow: UnitOfWork) -> Outcome:
        record = _record_holding(uow, credential_id)
        getattr(record, action)(actor=actor, credential_id=credential_id, reason=reason,
                                today=uow.today)
        status = record.credentials[credential_id].status
        return Outcome({"id": credential_id, "status": status})
    return run


def share_credential(actor: Actor, credential_id: str, shared: bool) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        record = _record_holding(uow, credential_id)
        record.share(actor=actor, credential_id=credential_id, shared=shared,
                     today=uow.today)
        return Outcome({"id": credential_id, "shared": shared})
    return run


def correct_credential(actor: Actor, credential_id: str, correction: Correction) -> Run:
    changes, reason = correction.changes(), correction.reason

    def run(uow: UnitOfWork) -> Outcome:
        record = _record_holding(uow, credential_id)
        credential = record.credential(credential_id)
        provider = uow.get(Provider, credential.provider_id, "provider")
        programme = (uow.get(MicroCredential, credential.programme_id, "microcredential")
                     if credential.programme_id else None)
        record.correct(actor=actor, credential_id=credential_id, changes=changes,
                       reason=reason, provider=provider, programme=programme, today=uow.today)
        return Outcome({"id": credential_id, "status": credential.status,
                        "corrected": sorted(changes)})
    return run


def stack_credentials(actor: Actor, details: StackCredentials) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        record = uow.get(LearnerRecord, details.learner_id, "learner")
        pathway = uow.get(Pathway, details.pathway_id, "pathway")
        provider = uow.get(Provider, pathway.provider_id, "provider")
        stack_id = str(uuid4())
        record.stack(actor=actor, stack_id=stack_id, pathway=pathway, provider=provider,
                     component_ids=details.component_ids,
                     awarded_on=details.awarded_on, today=uow.today,
                     status_index=uow.status_indexes)
        _index(uow, stack_id, record.id)
        return Outcome({"id": stack_id, "learner_id": str(record.id), "status": "active",
                        "components": details.component_ids}, created=True)
    return run


def record_recognition(actor: Actor, details: RecordRecognition) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        check_role(actor, "recognition_body")
        record = _record_holding(uow, details.credential_id)
        recognition_id = str(uuid4())
        record.recognise(actor=actor, recognition_id=recognition_id,
                         credential_id=details.credential_id, decision=details.decision,
                         toward=details.toward, ects_recognised=details.ects_recognised,
                         decided_on=details.decided_on or uow.today.isoformat(),
                         reference=details.reference, today=uow.today)
        return Outcome({"id": recognition_id, **fields(details)}, created=True)
    return run


def _needed(uow: UnitOfWork) -> Collaborators:
    if uow.collaborators is None:
        raise RuntimeError("this command needs the unit of work's collaborators")
    return uow.collaborators


def _share_links(uow: UnitOfWork) -> ShareLinks:
    links = _needed(uow).share_links
    if links is None:
        raise RuntimeError("this command needs the share links' store")
    return links


def _record_holding(uow: UnitOfWork, credential_id: str) -> LearnerRecord:
    learner_id = _needed(uow).learner_of(credential_id)
    if learner_id is None:
        raise NotFound(f"credential {credential_id} not found")
    return uow.get(LearnerRecord, learner_id, "learner")


# -- access grants and share links (the learner's consent) --------------------------------------

def grant_access(actor: Actor, grant: GrantAccess, now: datetime) -> Run:
    """The learner lets a provider or a recognition body read their whole record until
    `until`; the note (free text) is kept beside the event, erasable, never in it."""
    def run(uow: UnitOfWork) -> Outcome:
        links = _share_links(uow)
        record = uow.get(LearnerRecord, grant.learner_id, "learner")
        grantee = uow.get(Provider, grant.grantee_id, "organisation")
        grant_id = str(uuid4())
        record.grant_access(actor=actor, grant_id=grant_id, grantee=grantee, until=grant.until,
                            now=now)
        note = grant.note
        if note:
            uow.after_insert(lambda cursor, _: links.insert_grant_note(
                cursor, grant_id, str(record.id), note))
        held = record.grants[grant_id]
        return Outcome({"id": grant_id, "learner_id": str(record.id),
                        "grantee_id": held.grantee_id,
                        "grantee_kind": "recognition_body"
                        if grantee.kind == "recognition_body" else "provider",
                        "until": held.until, "note": note, "state": "active"}, created=True)
    return run


def revoke_access(actor: Actor, learner_id: str, grant_id: str) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        record = uow.get(LearnerRecord, learner_id, "learner")
        record.revoke_access(actor=actor, grant_id=grant_id, today=uow.today)
        return Outcome({"id": grant_id, "learner_id": str(record.id), "state": "revoked"})
    return run


def create_share_link(actor: Actor, wanted: CreateShareLink, now: datetime) -> Run:
    """A link to chosen credentials of the learner's (or, with None, the whole record). The
    secret is in the outcome once and never stored: only its keyed digest is."""
    credential_ids, expires_at = wanted.credential_ids, wanted.expires_at

    def run(uow: UnitOfWork) -> Outcome:
        links = _share_links(uow)
        check_is_learner(actor, wanted.learner_id)
        record = uow.get(LearnerRecord, wanted.learner_id, "learner")
        record.check_not_erased()
        if expires_at <= now:
            raise RuleViolation("expires_at must be in the future")
        if expires_at > now + timedelta(days=MAX_LINK_DAYS):
            raise RuleViolation(f"a share link lasts at most {MAX_LINK_DAYS} days")
        for credential_id in credential_ids or ():
            if _needed(uow).learner_of(credential_id) != str(record.id):
                raise NotFound(f"credential {credential_id} is not this learner's")
        link = ShareLink(id=str(uuid4()), learner_id=str(record.id),
                         credential_ids=list(dict.fromkeys(credential_ids))
                         if credential_ids is not None else None, audience=wanted.audience,
                         created_at=_instant(now), expires_at=_instant(expires_at),
                         revoked_at=None)
        secret = new_secret()
        uow.after_insert(lambda cursor, _: links.insert(cursor, link, secret))
        return Outcome({**link.public(now), "secret": secret}, created=True)
    return run


def revoke_share_link(actor: Actor, learner_id: str, link_id: str, now: datetime) -> Run:
    def run(uow: UnitOfWork) -> Outcome:
        links = _share_links(uow)
        check_is_learner(actor, learner_id)
        link = links.get(link_id)
        if link is None or link.learner_id != learner_id:
            raise NotFound(f"share link {link_id} not found")
        uow.after_insert(lambda cursor, _: links.revoke(cursor, link_id, learner_id,
                                                        _instant(now)))
        return Outcome({"id": link_id, "learner_id": learner_id, "state": "revoked"})
    return run


MAX_LINK_DAYS = 366


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
