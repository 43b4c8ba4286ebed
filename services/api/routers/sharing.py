"""The learner's consent: time-boxed access grants to organisations, and share links."""

from typing import Annotated

from fastapi import APIRouter, Path

from ledger import commands
from ledger.application import Ledger
from services.api.deps import CREATED, CurrentActor, LedgerDep, MinPosition, Writer
from services.api.responses import FastJSONResponse
from services.api.sharing_schemas import (
    GrantIn,
    GrantOut,
    GrantsOut,
    ShareLinkIn,
    ShareLinkOut,
    ShareLinksOut,
)

router = APIRouter(prefix="/v1/learners/{learner_id}", tags=["sharing"])
LearnerId = Annotated[str, Path(max_length=100)]
PROBLEMS = {403: {"description": "not the learner"}, 404: {"description": "unknown learner, "
            "organisation, credential, grant or link"},
            409: {"description": "a rule refused it (an expiry in the past or more than a "
                  "year ahead, an erased record)"}}


@router.post("/grants", status_code=201, operation_id="grant_access",
             response_model=GrantOut, responses=PROBLEMS)
async def grant_access(learner_id: LearnerId, body: GrantIn, writer: Writer):
    """The learner lets a provider or a recognition body read their whole transcript until
    `until` (recorded as the event LearnerRecord.AccessGranted)."""
    run = commands.grant_access(writer.actor, body.to_input(learner_id), writer.ledger.now())
    return await writer.run(run, body, status=CREATED)


@router.get("/grants", operation_id="list_access_grants", response_model=GrantsOut,
            responses=PROBLEMS)
def list_access_grants(learner_id: LearnerId, ledger: LedgerDep, actor: CurrentActor,
                       min_position: MinPosition = None):
    """Every grant the learner made, with its state now (active, expired or revoked)."""
    return FastJSONResponse({"grants": ledger.sharing.grants(actor, learner_id)})


@router.post("/grants/{grant_id}/revoke", operation_id="revoke_access",
             response_model=GrantOut, responses=PROBLEMS)
async def revoke_access(learner_id: LearnerId, grant_id: Annotated[str, Path(max_length=100)],
                        writer: Writer):
    """Ends a grant at once (the event LearnerRecord.AccessRevoked); revoking twice records
    nothing more."""
    return await writer.run(commands.revoke_access(writer.actor, learner_id, grant_id), None)


@router.post("/share-links", status_code=201, operation_id="create_share_link",
             response_model=ShareLinkOut, responses=PROBLEMS)
async def create_share_link(learner_id: LearnerId, body: ShareLinkIn, ledger: LedgerDep,
                            actor: CurrentActor):
    """A link to chosen credentials (or the whole record) for an audience, until
    `expires_at`. Its secret is in this answer only: the ledger keeps a keyed digest of it,
    so the request takes no Idempotency-Key (a stored answer would hold the secret)."""
    outcome = await ledger.execute(create_link(ledger, learner_id, body, actor),
                                   statuses=CREATED)
    return FastJSONResponse(with_urls(ledger, outcome.body), status_code=outcome.status)


def create_link(ledger: Ledger, learner_id: str, body: ShareLinkIn, actor: CurrentActor
                ) -> commands.Run:
    return commands.create_share_link(actor, body.to_input(learner_id), ledger.now())


def with_urls(ledger: Ledger, body: dict) -> dict:
    page = f"{ledger.urls.base}/shared/{body['secret']}"
    return {**body, "url": page, "json_url": f"{page}.json"}


@router.get("/share-links", operation_id="list_share_links", response_model=ShareLinksOut,
            responses=PROBLEMS)
def list_share_links(learner_id: LearnerId, ledger: LedgerDep, actor: CurrentActor):
    """The learner's links with their state now; never their secrets."""
    return FastJSONResponse({"links": ledger.sharing.share_links(actor, learner_id)})


@router.post("/share-links/{link_id}/revoke", operation_id="revoke_share_link",
             response_model=ShareLinkOut, responses=PROBLEMS)
async def revoke_share_link(learner_id: LearnerId, link_id: Annotated[str, Path(max_length=100)],
                            writer: Writer):
    """The link answers 410 from now on."""
    run = commands.revoke_share_link(writer.actor, learner_id, link_id, writer.ledger.now())
    return await writer.run(run, None)
