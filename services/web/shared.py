"""The public page a share link opens (HTML, or JSON for a client that asks for it): only the
credentials the learner chose; 410 once the link expired or was revoked, 404 if unknown."""

from typing import Annotated

from fastapi import APIRouter, Path, Request

from services.api.deps import LedgerDep
from services.api.routers.shared import shared_json
from services.web.pages import render, wants_json

router = APIRouter(include_in_schema=False)


@router.get("/shared/{secret}")
def shared_page(request: Request, secret: Annotated[str, Path(max_length=100)],
                ledger: LedgerDep):
    if wants_json(request):
        return shared_json(ledger, secret)
    response = render(request, "shared.html", shared=ledger.sharing.open_link(secret,
                                                                              documents=False))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
