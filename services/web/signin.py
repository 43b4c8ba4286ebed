"""Signing in and out on the pages: OpenID Connect (authorization code with PKCE S256, state
and nonce, by authlib's Starlette client) against the configured provider, whose subject must
be bound to a principal (`ledger principals bind`); in development only, a page that signs in
as any live principal with one click (the demo's people)."""

import asyncio
import logging
import warnings
from typing import Annotated, Any

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import RedirectResponse

from ledger.config import Settings
from ledger.domain.errors import NotFound
from services.api.deps import LedgerDep
from services.web.pages import render
from services.web.session import CsrfChecked, sign_in, sign_out

with warnings.catch_warnings():
    # authlib 1.9 warns once that it falls back to httpx when httpx2 is not installed: httpx
    # is the HTTP client of this project (whose errors are caught below), so say nothing.
    warnings.filterwarnings("ignore", "The httpx module is deprecated", AuthlibDeprecationWarning)
    from authlib.integrations.starlette_client import OAuth, OAuthError

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

PROVIDER = "ledger"
NEXT = "signin_next"
LANDING = "/me"
ROLES_ORDER = ("learner", "provider", "recognition_body", "qa_body", "auditor", "admin")


def install_signin(app: FastAPI, settings: Settings) -> None:
    """The OpenID client (when an issuer is configured) and the sign-in routes."""
    app.state.signin_development = settings.environment == "development"
    app.state.oidc = None
    if settings.oidc_issuer:
        oauth = OAuth()
        issuer = settings.oidc_issuer.rstrip("/")
        oauth.register(
            PROVIDER, client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=(settings.oidc_metadata_url
                                 or f"{issuer}/.well-known/openid-configuration"),
            client_kwargs={"scope": settings.oidc_scope, "code_challenge_method": "S256"})
        app.state.oidc = oauth.create_client(PROVIDER)
        app.state.oidc_callback = settings.oidc_callback
        app.state.oidc_issuer = issuer
    app.include_router(router)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (never another host), and
    not back to the sign-in pages."""
    if (value and value.startswith("/") and not value.startswith(("//", "/\\"))
            and not value.startswith(("/signin", "/signout"))):
        return value
    return LANDING


@router.get("/signin")
def signin_page(request: Request,
                next: Annotated[str | None, Query(max_length=500)] = None):
    state = request.app.state
    return render(request, "signin.html", next_url=safe_next(next),
                  oidc=state.oidc is not None, development=state.signin_development)


@router.get("/signin/start")
async def signin_start(request: Request,
                       next: Annotated[str | None, Query(max_length=500)] = None):
    """To the OpenID Provider's login, with state, nonce and a PKCE challenge kept in the
    session for the way back."""
    client = request.app.state.oidc
    if client is None:
        raise NotFound("OpenID Connect sign-in is not configured on this ledger")
    request.session[NEXT] = safe_next(next)
    try:
        return await client.authorize_redirect(request, request.app.state.oidc_callback)
    except httpx.HTTPError as error:
        log.warning("the OpenID Provider cannot be reached: %s", error)
        return _unavailable(request)


@router.get("/signin/callback")
async def signin_callback(request: Request, ledger: LedgerDep):
    """The provider's answer: the code exchanged (with the PKCE verifier), the ID token's
    signature, issuer, audience and nonce checked by authlib; then the bound principal."""
    client = request.app.state.oidc
    if client is None:
        raise NotFound("OpenID Connect sign-in is not configured on this ledger")
    try:
        token = await client.authorize_access_token(request)
    except OAuthError as error:
        log.info("sign-in did not complete: %s", error.error)
        return render(request, "signin_failed.html", status=400)
    except httpx.HTTPError as error:
        log.warning("the OpenID Provider cannot be reached: %s", error)
        return _unavailable(request)
    claims: dict[str, Any] = token.get("userinfo") or {}
    issuer, subject = claims.get("iss"), claims.get("sub")
    # authlib checks `iss` against the discovery document's issuer; that document may come
    # from an internal address (LEDGER_OIDC_METADATA_URL), so hold it to the configured one.
    if not issuer or not subject or issuer.rstrip("/") != request.app.state.oidc_issuer:
        return render(request, "signin_failed.html", status=400)
    principals = ledger.principals
    principal_id = await asyncio.to_thread(principals.bound_to, issuer, subject)
    live = principal_id and await asyncio.to_thread(principals.live, principal_id)
    if not live:
        return render(request, "signin_unlinked.html", status=403, issuer=issuer,
                      subject=subject, withdrawn=bool(principal_id))
    back_to = safe_next(request.session.get(NEXT))
    sign_in(request, live["id"])
    return RedirectResponse(back_to, status_code=303)


@router.get("/signin/dev")
def dev_signin_page(request: Request, ledger: LedgerDep,
                    next: Annotated[str | None, Query(max_length=500)] = None):
    """Development only: every live principal, to sign in as with one click."""
    _development_only(request)
    people = [p for p in ledger.principals.list()
              if ledger.principals.live(p["id"]) is not None]
    people.sort(key=lambda p: (ROLES_ORDER.index(p["role"]) if p["role"] in ROLES_ORDER
                               else len(ROLES_ORDER), p["name"] or "", p["id"]))
    return render(request, "signin_dev.html", people=people, next_url=safe_next(next))


@router.post("/signin/dev")
def dev_signin(request: Request, ledger: LedgerDep, _: CsrfChecked,
               principal_id: Annotated[str, Form(max_length=64)],
               next: Annotated[str | None, Form(max_length=500)] = None):
    _development_only(request)
    if ledger.principals.live(principal_id) is None:
        raise NotFound(f"principal {principal_id} cannot sign in (unknown, revoked or expired)")
    sign_in(request, principal_id)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/signout")
def signout(request: Request, _: CsrfChecked):
    sign_out(request)
    return RedirectResponse("/", status_code=303)


def _development_only(request: Request) -> None:
    if not request.app.state.signin_development:
        raise NotFound("there is no such page")


def _unavailable(request: Request):
    return render(request, "signin_failed.html", status=503, unavailable=True)
