"""The signed-in learner's pages for their consent: share links (create for chosen credentials
or the whole record, list, revoke), access grants to organisations chosen by name, and the
disclosure log. Plain forms with CSRF tokens; the same use cases as the API's routes."""

import asyncio
from datetime import datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from ledger import commands
from ledger.application import Ledger
from ledger.domain.actors import Actor
from ledger.domain.errors import Forbidden, LedgerError
from services.api.deps import LedgerDep, MinPosition
from services.api.routers.sharing import create_link, with_urls
from services.api.sharing_schemas import GrantIn, ShareLinkIn
from services.web.pages import render
from services.web.session import CsrfChecked, SignedIn

router = APIRouter(prefix="/me", include_in_schema=False)
Id = Annotated[str, Path(max_length=100)]
DEFAULT_DAYS = 30


def learner_of(actor: Actor) -> str:
    if actor.role != "learner" or not actor.scope:
        raise Forbidden("these pages are a learner's own")
    return actor.scope


def end_of(ledger: Ledger, day: str) -> datetime:
    """The end of a date in the operator's time zone: a link "until 30 June" works all day."""
    chosen = datetime.fromisoformat(day).date() + timedelta(days=1)
    return datetime.combine(chosen, time(0), tzinfo=ledger.calendar.zone)


def default_day(ledger: Ledger) -> str:
    return (ledger.calendar.today() + timedelta(days=DEFAULT_DAYS)).isoformat()


def first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


# -- share links ---------------------------------------------------------------------------------

def links_page(request: Request, ledger: Ledger, learner_id: str, actor: Actor,
               status: int = 200, **context: Any):
    transcript = ledger.transcript(actor, learner_id)
    return render(request, "me_share_links.html", status=status,
                  links=ledger.sharing.share_links(actor, learner_id),
                  credentials=transcript["credentials"], default_day=default_day(ledger),
                  **{"created": None, "error": None, "form": {}, **context})


@router.get("/share-links")
def share_links(request: Request, ledger: LedgerDep, actor: SignedIn):
    return links_page(request, ledger, learner_of(actor), actor)


@router.post("/share-links")
async def create_share_link(request: Request, ledger: LedgerDep, actor: SignedIn,
                            _: CsrfChecked):
    learner_id = learner_of(actor)
    form = await request.form()
    chosen = form.getlist("credential_ids")
    fields = {"audience": form.get("audience", ""), "expires_on": form.get("expires_on", ""),
              "scope": form.get("scope", "chosen"), "credential_ids": chosen}
    try:
        body = ShareLinkIn(audience=fields["audience"],
                           expires_at=end_of(ledger, str(fields["expires_on"])),
                           credential_ids=None if fields["scope"] == "whole" else chosen or [])
        outcome = await ledger.execute(create_link(ledger, learner_id, body, actor))
    except (ValidationError, ValueError, LedgerError) as error:
        detail = (first_error(error) if isinstance(error, ValidationError)
                  else getattr(error, "detail", str(error)))
        return await asyncio.to_thread(links_page, request, ledger, learner_id, actor,
                                       status=422, error=detail, form=fields)
    return await asyncio.to_thread(links_page, request, ledger, learner_id, actor, status=201,
                                   created=with_urls(ledger, outcome.body))


@router.post("/share-links/{link_id}/revoke")
async def revoke_share_link(link_id: Id, ledger: LedgerDep, actor: SignedIn, _: CsrfChecked):
    learner_id = learner_of(actor)
    await ledger.execute(commands.revoke_share_link(actor, learner_id, link_id, ledger.now()))
    return RedirectResponse("/me/share-links", status_code=303)


# -- access grants -------------------------------------------------------------------------------

def grants_page(request: Request, ledger: Ledger, learner_id: str, actor: Actor,
                status: int = 200, **context: Any):
    organisations = ledger.sharing.organisations()
    names = {o["id"]: o["name"] for o in organisations}
    return render(request, "me_grants.html", status=status,
                  grants=ledger.sharing.grants(actor, learner_id), names=names,
                  organisations=organisations, default_day=default_day(ledger),
                  **{"error": None, "form": {}, **context})


@router.get("/grants")
def grants(request: Request, ledger: LedgerDep, actor: SignedIn,
           min_position: MinPosition = None):
    """After a grant or a revocation, the page waits (`min_position`) for the read model."""
    return grants_page(request, ledger, learner_of(actor), actor)


@router.post("/grants")
async def grant_access(request: Request, ledger: LedgerDep, actor: SignedIn, _: CsrfChecked):
    learner_id = learner_of(actor)
    form = await request.form()
    fields = {key: str(form.get(key, "")) for key in ("grantee_id", "until_on", "note")}
    try:
        body = GrantIn(grantee_id=fields["grantee_id"],
                       until=end_of(ledger, fields["until_on"]), note=fields["note"] or None)
        outcome = await ledger.execute(commands.grant_access(
            actor, body.to_input(learner_id), ledger.now()))
    except (ValidationError, ValueError, LedgerError) as error:
        detail = (first_error(error) if isinstance(error, ValidationError)
                  else getattr(error, "detail", str(error)))
        return await asyncio.to_thread(grants_page, request, ledger, learner_id, actor,
                                       status=422, error=detail, form=fields)
    return RedirectResponse(f"/me/grants?min_position={outcome.body['position']}",
                            status_code=303)


@router.post("/grants/{grant_id}/revoke")
async def revoke_access(grant_id: Id, ledger: LedgerDep, actor: SignedIn, _: CsrfChecked):
    outcome = await ledger.execute(commands.revoke_access(actor, learner_of(actor), grant_id))
    return RedirectResponse(f"/me/grants?min_position={outcome.body['position']}",
                            status_code=303)


# -- the disclosure log --------------------------------------------------------------------------

@router.get("/disclosures")
def disclosures(request: Request, ledger: LedgerDep, actor: SignedIn,
                before: Annotated[int | None, Query(ge=1)] = None):
    learner_id = learner_of(actor)
    page = ledger.sharing.disclosures(actor, learner_id, 20, before)
    names = {o["id"]: o["name"] for o in ledger.sharing.organisations()}
    links = {link["id"]: link["audience"]
             for link in ledger.sharing.share_links(actor, learner_id)}
    return render(request, "me_disclosures.html", page=page, names=names, links=links,
                  next_url=f"/me/disclosures?before={page['next']}" if page["next"] else None,
                  first_url="/me/disclosures" if before else None)
