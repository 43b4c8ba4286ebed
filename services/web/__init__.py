"""The public website (HTML pages beside the JSON API), mounted by the API's app factory."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from services.web import shared
from services.web.pages import error_page, is_page, router
from services.web.templating import Templates

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Pages, their local static assets, and templates compiled once for the app's life."""
    app.state.templates = Templates()
    app.include_router(router)
    app.include_router(shared.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def page_errors(request: Request, status: int, title: str, detail: str) -> Response | None:
    """An error on a page is an HTML page (services.api.errors decides status and words)."""
    return error_page(request, status, title, detail) if is_page(request) else None
