"""Providers, accreditations, programmes (micro-credential specifications) and pathways."""

from fastapi import APIRouter, Request

from ledger import commands
from services.api import answers
from services.api.deps import CurrentActor, IdempotencyKeyHeader, LedgerDep, write
from services.api.openapi import problems
from services.api.schemas import (
    AccreditationIn,
    ApprovalIn,
    MicroCredentialIn,
    PathwayIn,
    ProviderIn,
    ReasonIn,
    WithdrawalIn,
)

router = APIRouter(prefix="/v1", tags=["organisations and programmes"])


@router.post("/providers", status_code=201, operation_id="register_provider",
             response_model=answers.ProviderRegistered, responses=problems(403, 409))
async def register_provider(body: ProviderIn, ledger: LedgerDep, actor: CurrentActor,
                            request: Request, key: IdempotencyKeyHeader = None):
    return await write(ledger, commands.register_provider(actor, body.fields()), actor, key,
                        request, body)


@router.post("/providers/{provider_id}/accreditations", status_code=201,
             operation_id="accredit_provider", response_model=answers.ProviderAccredited,
             responses=problems(403, 404, 409))
async def accredit(provider_id: str, body: AccreditationIn, ledger: LedgerDep,
                   actor: CurrentActor, request: Request, key: IdempotencyKeyHeader = None):
    run = commands.accredit_provider(actor, provider_id, body.fields())
    return await write(ledger, run, actor, key, request, body)


@router.post("/providers/{provider_id}/accreditations/withdraw",
             operation_id="withdraw_accreditation",
             response_model=answers.AccreditationWithdrawn, responses=problems(403, 404, 409))
async def withdraw(provider_id: str, body: WithdrawalIn, ledger: LedgerDep, actor: CurrentActor,
                   request: Request, key: IdempotencyKeyHeader = None):
    fields = body.fields()
    run = commands.withdraw_accreditation(actor, provider_id, fields["reason"],
                                          fields["effective_on"])
    return await write(ledger, run, actor, key, request, body)


@router.post("/microcredentials", status_code=201, operation_id="submit_programme",
             response_model=answers.ProgrammeSubmitted, responses=problems(403, 404, 409))
async def submit_programme(body: MicroCredentialIn, ledger: LedgerDep, actor: CurrentActor,
                           request: Request, key: IdempotencyKeyHeader = None):
    specification = body.fields()
    provider_id = specification.pop("provider_id")
    run = commands.submit_programme(actor, provider_id, specification)
    return await write(ledger, run, actor, key, request, body)


@router.post("/microcredentials/{programme_id}/approve", operation_id="approve_programme",
             response_model=answers.ProgrammeDecided, responses=problems(403, 404, 409))
async def approve_programme(programme_id: str, body: ApprovalIn, ledger: LedgerDep,
                            actor: CurrentActor, request: Request,
                            key: IdempotencyKeyHeader = None):
    run = commands.decide_programme(actor, programme_id, "approve", body.fields())
    return await write(ledger, run, actor, key, request, body)


@router.post("/microcredentials/{programme_id}/reject", operation_id="reject_programme",
             response_model=answers.ProgrammeDecided, responses=problems(403, 404, 409))
async def reject_programme(programme_id: str, body: ReasonIn, ledger: LedgerDep,
                           actor: CurrentActor, request: Request,
                           key: IdempotencyKeyHeader = None):
    run = commands.decide_programme(actor, programme_id, "reject", body.fields())
    return await write(ledger, run, actor, key, request, body)


@router.post("/pathways", status_code=201, operation_id="define_pathway",
             response_model=answers.PathwayDefined, responses=problems(403, 404, 409))
async def define_pathway(body: PathwayIn, ledger: LedgerDep, actor: CurrentActor,
                         request: Request, key: IdempotencyKeyHeader = None):
    return await write(ledger, commands.define_pathway(actor, body.fields()), actor, key,
                        request, body)


@router.post("/microcredentials/{programme_id}/withdraw", operation_id="withdraw_programme",
             response_model=answers.ProgrammeDecided, responses=problems(403, 404, 409))
async def withdraw_programme(programme_id: str, body: WithdrawalIn, ledger: LedgerDep,
                             actor: CurrentActor, request: Request,
                             key: IdempotencyKeyHeader = None):
    """The QA body or the provider withdraws a programme from a date on."""
    run = commands.decide_programme(actor, programme_id, "withdraw", body.fields())
    return await write(ledger, run, actor, key, request, body)
