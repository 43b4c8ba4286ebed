"""The public website (HTML pages beside the JSON API), mounted by the API's app factory."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from ledger.config import Settings
from services.web import me, me_sharing, shared, wallet
from services.web.pages import error_page, is_page, router
from services.web.session import SignInRequired, install_sessions
from services.web.signin import install_signin
from services.web.templating import Templates

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI, settings: Settings) -> None:
    """Pages, their local static assets, templates compiled once for the app's life, and the
    sessions of people signed in."""
    app.state.templates = Templates()
    app.include_router(router)
    app.include_router(shared.router)
    app.include_router(me_sharing.router)
    install_signin(app, settings)
    app.include_router(me.router)
    app.include_router(wallet.router)
    install_sessions(app, settings)
    app.add_exception_handler(SignInRequired, _to_signin)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def page_errors(request: Request, status: int, title: str, detail: str) -> Response | None:
    """An error on a page is an HTML page (services.api.errors decides status and words)."""
    return error_page(request, status, title, detail) if is_page(request) else None


async def _to_signin(request: Request, error: Exception) -> Response:
    """Not an error but the way to a page for signed-in people: sign in, then come back."""
    assert isinstance(error, SignInRequired)
    return RedirectResponse(error.location, status_code=303)
