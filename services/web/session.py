"""Who is signed in on the pages, and CSRF tokens for every form that changes state.

A session is Starlette's signed cookie (itsdangerous): HttpOnly, SameSite=Lax, Secure when
the public URL is https, ending `session_lifetime_seconds` after sign-in. It holds only the
principal's id and the time of sign-in; the principal is looked up in the principals store on
every request, so a revoked or expired principal is signed out at once. CSRF tokens are
WTForms' synchronizer tokens: a secret kept in the session, each token an HMAC of it with an
expiry, checked on every POST that changes state.

Exported for the pages: `signed_in_actor` / `SignedIn` (the signed-in principal's Actor, or a
redirect to the sign-in page), `csrf_field` (`{{ csrf_field() }}` in a template renders the
hidden input) and `CsrfChecked` (a POST route's dependency that refuses a missing or wrong
token with a 403 page)."""

import asyncio
import secrets
import time
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from markupsafe import Markup, escape
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from wtforms import Form
from wtforms.csrf.session import SessionCSRF

from ledger.config import Settings
from ledger.domain.actors import Actor
from ledger.domain.errors import Forbidden

SESSION_COOKIE = "ledger_session"
CSRF_FIELD = "csrf_token"
PRINCIPAL = "principal_id"
SIGNED_IN_AT = "signed_in_at"
SIGN_IN_PAGE = "/signin"
API_PREFIX = "/v1/"


class SignInRequired(Exception):
    """A page for signed-in people was asked for without a live session: go and sign in,
    then come back to `back_to`."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to

    @property
    def location(self) -> str:
        return f"{SIGN_IN_PAGE}?next={quote(self.back_to, safe='/')}"


class CsrfRefused(Forbidden):
    """A state-changing form came without this session's CSRF token (or with a stale one):
    a 403 (services/api/errors.py), an HTML page on the pages."""

    def __init__(self) -> None:
        super().__init__("the form did not carry this session's security token: it may have "
                         "expired, or come from another site; go back, reload the page and "
                         "send it again")


class _CsrfForm(Form):
    class Meta:
        csrf = True
        csrf_class = SessionCSRF
        csrf_field_name = CSRF_FIELD


def install_sessions(app: FastAPI, settings: Settings) -> None:
    """The session cookie's middleware and the CSRF secret, from the settings."""
    # Unset (development, or no OpenID sign-in: Settings refuses the rest), a random secret:
    # sessions last as long as the process.
    secret = settings.session_secret or secrets.token_urlsafe(32)
    lifetime = settings.session_lifetime_seconds
    app.state.session_lifetime = lifetime
    app.state.csrf_secret = f"csrf:{secret}".encode()
    app.add_middleware(PageSessions, secret_key=secret, session_cookie=SESSION_COOKIE,
                       max_age=lifetime, same_site="lax", https_only=settings.secure_cookies)


class PageSessions:
    """Starlette's SessionMiddleware for everything but the JSON API under /v1, whose callers
    present bearer tokens: an API request pays nothing for the pages' sessions (the
    middleware costs about 13 us a request here, 1.3% of a core at 1,000 issuances/s)."""

    def __init__(self, app: ASGIApp, **options: Any) -> None:
        self.app = app
        self.sessions = SessionMiddleware(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            return await self.app(scope, receive, send)
        return await self.sessions(scope, receive, send)


# -- who is signed in ------------------------------------------------------------------------


def sign_in(request: Request, principal_id: str) -> None:
    """A new session for the principal (whatever the old one held is dropped)."""
    request.session.clear()
    request.session[PRINCIPAL] = principal_id
    request.session[SIGNED_IN_AT] = int(time.time())
    request.state.principal = None


def sign_out(request: Request) -> None:
    request.session.clear()
    request.state.principal = None


def signed_in_principal(request: Request) -> dict[str, Any] | None:
    """The signed-in principal (id, role, scope, name) if the session is live and the
    principal neither revoked nor expired; otherwise the session is cleared. One store
    lookup per request."""
    if "session" not in request.scope:
        return None
    if hasattr(request.state, "principal"):
        return request.state.principal
    principal = None
    principal_id = request.session.get(PRINCIPAL)
    if principal_id:
        started = request.session.get(SIGNED_IN_AT) or 0
        fresh = time.time() - started < request.app.state.session_lifetime
        if fresh:
            principal = request.app.state.ledger.principals.live(principal_id)
        if principal is None:
            request.session.clear()
    request.state.principal = principal
    return principal


def _back_to(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def signed_in_actor(request: Request) -> Actor:
    """The signed-in principal as an Actor (the same the API acts with), or SignInRequired:
    the pages answer it with a redirect to the sign-in page and back."""
    principal = None
    if "session" in request.scope and request.session.get(PRINCIPAL):
        principal = await asyncio.to_thread(signed_in_principal, request)
    if principal is None:
        raise SignInRequired(_back_to(request))
    return Actor(principal["id"], principal["role"], principal["scope"])


SignedIn = Annotated[Actor, Depends(signed_in_actor)]


# -- CSRF --------------------------------------------------------------------------------------


def _form(request: Request, formdata: Any = None) -> _CsrfForm:
    state = request.app.state
    return _CsrfForm(formdata=formdata, meta={
        "csrf_secret": state.csrf_secret, "csrf_context": request.session,
        "csrf_time_limit": timedelta(seconds=state.session_lifetime)})


def csrf_token(request: Request) -> str:
    """This session's current CSRF token (the session keeps the secret it is made from)."""
    return _form(request).csrf_token.current_token


def csrf_field(request: Request) -> Markup:
    """The hidden input every state-changing form carries: `{{ csrf_field() }}`."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, escape(csrf_token(request)))


async def csrf_checked(request: Request) -> None:
    """Refuses (CsrfRefused: a 403 page) a form without this session's valid token."""
    if "session" not in request.scope:
        raise CsrfRefused
    form = await request.form()
    checked = _form(request, formdata=form)
    if not checked.validate():
        raise CsrfRefused


CsrfChecked = Annotated[None, Depends(csrf_checked)]
