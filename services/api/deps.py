"""Dependencies shared by the routers: the ledger, the caller, read positions, and `Writer`,
the one dependency of every write route (caller, Idempotency-Key, request, ledger)."""

import asyncio
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from ledger import commands, read_wait
from ledger.application import Ledger
from ledger.committer import Idempotency, Statuses
from ledger.domain.actors import ROLES, Actor
from services.api.responses import FastJSONResponse

_bearer = HTTPBearer(auto_error=False, description=(
    "A principal's token from `ledger principals create --role ROLE [--scope ID]`; the role "
    f"is one of {', '.join(f'`{role}`' for role in ROLES)} (provider, recognition_body and "
    "learner are scoped to one provider, body or learner); a 403's detail names the role "
    "an action needs."))


# Dependencies are `async def` on purpose: FastAPI runs plain `def` ones in a thread pool,
# a thread hop per request that costs more than the work they do.
async def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


async def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    # The ledger is read from the app, not through LedgerDep: one sub-dependency less to
    # solve on every authenticated request.
    ledger: Ledger = request.app.state.ledger
    actor = None
    if credentials is not None:
        known, actor = ledger.principals.cached(credentials.credentials)
        if not known:
            actor = await asyncio.to_thread(ledger.principals.authenticate,
                                            credentials.credentials)
    if actor is None:
        raise HTTPException(401, "a valid bearer token is required",
                            headers={"WWW-Authenticate": "Bearer"})
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


async def optional_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor | None:
    """The caller when a token is given (public endpoints that reveal more to the owner)."""
    if credentials is None:
        return None
    return await current_actor(request, credentials)


OptionalActor = Annotated[Actor | None, Depends(optional_actor)]

IDEMPOTENCY_KEY_LIMIT = 200  # characters
IdempotencyKeyHeader = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=IDEMPOTENCY_KEY_LIMIT,
                       description="Retries with the same key and body return the first response")
]


async def wait_for_position(
    ledger: LedgerDep,
    min_position: Annotated[int | None, Query(
        ge=0, le=read_wait.MAX_POSITION,
        description="wait until the read models reach this store position (at most the "
                    "ledger's read wait, then 503); beyond the ledger's head: 400 at once")]
    = None,
) -> int | None:
    """Waits on the event loop (no thread is held), then hands the position on."""
    await read_wait.wait_for(ledger, min_position)
    return min_position


MinPosition = Annotated[int | None, Depends(wait_for_position)]


def idempotency(actor: Actor, key: str | None, request: Request, body: object
                ) -> Idempotency | None:
    if not key:
        return None
    ledger: Ledger = request.app.state.ledger
    return ledger.idempotency(actor, key, request.method, request.url.path, body)


CREATED = Statuses(201)
_POLICIES = {200: Statuses(200), 201: CREATED}


@dataclass(slots=True)
class Writes:
    """What a write route needs, as one dependency: the ledger, the caller, the request and
    its Idempotency-Key. The route builds the command from its body's typed input and states
    its own status codes; `run` sends the command through the group committer with that status
    policy (stored with the answer, so a retry gets exactly the first status and body)."""
    ledger: Ledger
    actor: Actor
    request: Request
    key: str | None

    def idempotency(self, body: object) -> Idempotency | None:
        """What the Idempotency-Key binds: this request's method, path and `body` (fields)."""
        return idempotency(self.actor, self.key, self.request, body)

    async def run(self, command: commands.Run, body: BaseModel | None,
                  status: int | Statuses = 200) -> FastJSONResponse:
        """Answer with the command's outcome under `status` (a code, or Statuses(created,
        found) when it depends on whether the command created something)."""
        policy = status if isinstance(status, Statuses) else (
            _POLICIES.get(status) or Statuses(status))
        bound = self.idempotency(body.model_dump(mode="json")) if self.key and body else None
        outcome = await self.ledger.execute(command, bound, policy)
        return FastJSONResponse(outcome.body, status_code=outcome.status)


async def writes(request: Request, actor: CurrentActor,
                 key: IdempotencyKeyHeader = None) -> Writes:
    return Writes(request.app.state.ledger, actor, request, key)


Writer = Annotated[Writes, Depends(writes)]
