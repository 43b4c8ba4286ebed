"""The public pages: the register, programmes, providers and verification, as HTML in
Georgian or English. Routes parse, call one read, and hand its result to a template."""

import asyncio
from functools import partial
from typing import Annotated
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ledger.domain.errors import InvalidRequest
from ledger.verification import DocumentVerifier
from services.api.deps import LedgerDep, MinPosition
from services.api.responses import FastJSONResponse
from services.web import credentials, register
from services.web.i18n import COOKIE, LANGUAGES, choose
from services.web.session import csrf_field, signed_in_principal
from services.web.templating import Templates

router = APIRouter(include_in_schema=False)

MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # as POST /v1/verify
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and headers around the document
PAGE_PATHS = ("/register", "/programmes", "/providers", "/verify", "/signin", "/signout", "/me/",
              "/shared/")
COOKIE_MAX_AGE = 365 * 24 * 3600


def is_page(request: Request) -> bool:
    """A request for a page (not the JSON API): errors on it are answered in HTML."""
    path = request.url.path
    on_page = path in ("/", "/me") or path.startswith(PAGE_PATHS)
    return on_page and not path.endswith(".json") and not wants_json(request)


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def render(request: Request, name: str, status: int = 200, **context: object) -> HTMLResponse:
    choice = choose(request.query_params.get("lang"), request.cookies.get(COOKIE),
                    request.headers.get("accept-language"))
    templates: Templates = request.app.state.templates
    here = request.url.path
    switch = {lang: f"{here}?{urlencode({**request.query_params, 'lang': lang})}"
              for lang in LANGUAGES}
    signed_in = signed_in_principal(request)
    body = templates.render(choice.language, name, path=here, switch=switch,
                            signed_in=signed_in, csrf_field=partial(csrf_field, request),
                            **context)
    response = HTMLResponse(body, status_code=status, headers={
        "Content-Language": choice.language, "Vary": "Accept, Accept-Language, Cookie"})
    if signed_in is not None:  # the page names who is signed in: no cache may keep it
        response.headers["Cache-Control"] = "no-store"
    if choice.remember:
        response.set_cookie(COOKIE, choice.language, max_age=COOKIE_MAX_AGE, samesite="lax")
    return response


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return render(request, "error.html", status=status, status_code=status, title=title,
                  detail=detail)


@router.get("/")
def home(request: Request, ledger: LedgerDep):
    return render(request, "home.html", counts=register.counts(ledger))


@router.get("/register")
def register_search(request: Request, ledger: LedgerDep,
                    cursor: Annotated[str | None, Query(max_length=400)] = None):
    filters = register.Filters.parse(request.query_params)
    page = register.search_programmes(ledger, filters, cursor or None)
    next_url = (f"/register?{urlencode(filters.query(cursor=page['next']))}"
                if page["next"] else None)
    first_url = f"/register?{urlencode(filters.query())}" if cursor else None
    return render(request, "register.html", page=page, next_url=next_url, first_url=first_url)


@router.get("/programmes/{programme_id}")
def programme(request: Request, programme_id: str, ledger: LedgerDep):
    return render(request, "programme.html", **register.programme_page(ledger, programme_id))


@router.get("/providers")
def providers(request: Request, ledger: LedgerDep,
              cursor: Annotated[str | None, Query(max_length=400)] = None):
    page = register.providers_page(ledger, cursor or None)
    next_url = f"/providers?{urlencode({'cursor': page['next']})}" if page["next"] else None
    return render(request, "providers.html", page=page, next_url=next_url,
                  first_url="/providers" if cursor else None)


@router.get("/providers/{provider_id}")
def provider(request: Request, provider_id: str, ledger: LedgerDep):
    return render(request, "provider.html", **register.provider_page(ledger, provider_id))


@router.get("/verify/{credential_id}")
def credential(request: Request, credential_id: str, ledger: LedgerDep,
               min_position: MinPosition = None):
    """The QR target: a page for people, GET /v1/verify/{id}'s JSON for programs."""
    if wants_json(request):
        return FastJSONResponse(ledger.verify(credential_id))
    return render(request, "credential.html", **credentials.credential_page(ledger,
                                                                            credential_id))


@router.get("/verify")
def verify_form(request: Request):
    return render(request, "verify.html", report=None, errors=[], pasted="")


@router.post("/verify")
async def verify_upload(request: Request, ledger: LedgerDep):
    """A file or pasted text (multipart or urlencoded form) checked by POST /v1/verify's
    verifier; unreadable input re-shows the form with what is wrong."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + FORM_OVERHEAD:
        return render(request, "verify.html", status=413, report=None, pasted="",
                      errors=[{"field": "document", "code": "too_large", "detail": ""}])
    async with request.form(max_files=1, max_fields=4, max_part_size=MAX_UPLOAD_BYTES) as form:
        upload, pasted = form.get("document"), form.get("text")
        content = await upload.read(MAX_UPLOAD_BYTES + 1) if hasattr(upload, "read") else b""
    pasted = pasted if isinstance(pasted, str) else ""
    raw = content or pasted.encode()
    field = "document" if content else "text"
    problem, document = _document(raw)
    if problem is None:
        try:
            report = await asyncio.to_thread(DocumentVerifier(ledger).verify, document)
        except InvalidRequest as error:
            problem = {"code": "not_credential", "detail": error.detail}
    if problem is not None:
        return render(request, "verify.html", status=422, report=None, pasted=pasted,
                      errors=[{"field": field, **problem}])
    return render(request, "verify.html", report=report, checks=credentials.checks(report),
                  errors=[], pasted="")


def _document(raw: bytes) -> tuple[dict | None, object]:
    """The uploaded JSON, or what is wrong with the upload (a code the page words)."""
    if not raw.strip():
        return {"code": "empty", "detail": ""}, None
    if len(raw) > MAX_UPLOAD_BYTES:
        return {"code": "too_large", "detail": ""}, None
    try:
        return None, orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return {"code": "not_json", "detail": str(error)}, None

