"""Providers, accreditations, programmes (micro-credential specifications) and pathways."""

from fastapi import APIRouter

from ledger import commands
from services.api import answers
from services.api.deps import CREATED, Writer
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
async def register_provider(body: ProviderIn, writer: Writer):
    return await writer.run(commands.register_provider(writer.actor, body.to_input()), body,
                            status=CREATED)


@router.post("/providers/{provider_id}/accreditations", status_code=201,
             operation_id="accredit_provider", response_model=answers.ProviderAccredited,
             responses=problems(403, 404, 409))
async def accredit(provider_id: str, body: AccreditationIn, writer: Writer):
    run = commands.accredit_provider(writer.actor, provider_id, body.to_input())
    return await writer.run(run, body, status=CREATED)


@router.post("/providers/{provider_id}/accreditations/withdraw",
             operation_id="withdraw_accreditation",
             response_model=answers.AccreditationWithdrawn, responses=problems(403, 404, 409))
async def withdraw(provider_id: str, body: WithdrawalIn, writer: Writer):
    run = commands.withdraw_accreditation(writer.actor, provider_id, body.reason,
                                          body.effective_on.isoformat())
    return await writer.run(run, body)


@router.post("/microcredentials", status_code=201, operation_id="submit_programme",
             response_model=answers.ProgrammeSubmitted, responses=problems(403, 404, 409))
async def submit_programme(body: MicroCredentialIn, writer: Writer):
    provider_id, specification = body.to_input()
    run = commands.submit_programme(writer.actor, provider_id, specification)
    return await writer.run(run, body, status=CREATED)


@router.post("/microcredentials/{programme_id}/approve", operation_id="approve_programme",
             response_model=answers.ProgrammeDecided, responses=problems(403, 404, 409))
async def approve_programme(programme_id: str, body: ApprovalIn, writer: Writer):
    run = commands.decide_programme(writer.actor, programme_id, body.to_input())
    return await writer.run(run, body)


@router.post("/microcredentials/{programme_id}/reject", operation_id="reject_programme",
             response_model=answers.ProgrammeDecided, responses=problems(403, 404, 409))
async def reject_programme(programme_id: str, body: ReasonIn, writer: Writer):
    run = commands.decide_programme(writer.actor, programme_id, body.to_input())
    return await writer.run(run, body)


@router.post("/pathways", status_code=201, operation_id="define_pathway",
             response_model=answers.PathwayDefined, responses=problems(403, 404, 409))
async def define_pathway(body: PathwayIn, writer: Writer):
    return await writer.run(commands.define_pathway(writer.actor, body.to_input()), body,
                            status=CREATED)


@router.post("/microcredentials/{programme_id}/withdraw", operation_id="withdraw_programme",
             response_model=answers.ProgrammeDecided, responses=problems(403, 404, 409))
async def withdraw_programme(programme_id: str, body: WithdrawalIn, writer: Writer):
    """The QA body or the provider withdraws a programme from a date on."""
    run = commands.decide_programme(writer.actor, programme_id, body.to_input())
    return await writer.run(run, body)
