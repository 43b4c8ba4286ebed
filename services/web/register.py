"""The register as the pages read it. Every read of the register goes through this module:
today it folds the register read model in Python; when the register use case (indexed SQL,
cursor pagination) lands, each function here becomes a call to it."""

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from ledger.application import Ledger
from ledger.commands import today
from ledger.domain.errors import InvalidRequest, NotFound
from ledger.projections.register import programme_approved_on, provider_accredited_on

Document = dict[str, Any]
PAGE_SIZE = 20
STATUSES = ("approved", "review_due", "withdrawn")
PUBLIC = ("approved", "withdrawn")  # programme states the register shows (not drafts)
FORMS = ("online", "onsite", "blended")
# ISCED-F 2013 broad fields: the register filters by the first two digits of a programme's code.
BROAD_FIELDS = ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10")


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    field: str | None = None
    eqf_level: int | None = None
    ects_min: float | None = None
    ects_max: float | None = None
    provider_id: str | None = None
    language: str | None = None
    participation_form: str | None = None
    status: str = "approved"

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> "Filters":
        """Filters from a query string; empty values mean "any" (a form's blank choice)."""
        given = {f.name: (query.get(f.name) or "").strip() or None for f in fields(cls)}
        try:
            eqf = int(given["eqf_level"]) if given["eqf_level"] else None
            low = float(given["ects_min"]) if given["ects_min"] else None
            high = float(given["ects_max"]) if given["ects_max"] else None
        except ValueError:
            raise InvalidRequest("eqf_level must be a whole number and the ECTS bounds "
                                 "numbers") from None
        if eqf is not None and not 1 <= eqf <= 8:
            raise InvalidRequest("eqf_level must be between 1 and 8")
        if any(v is not None and v < 0 for v in (low, high)):
            raise InvalidRequest("ECTS bounds cannot be negative")
        status = given["status"] or "approved"
        if status not in STATUSES:
            raise InvalidRequest(f"status must be one of {', '.join(STATUSES)}")
        if given["field"] and given["field"] not in BROAD_FIELDS:
            raise InvalidRequest("field must be a two-digit ISCED-F broad field")
        if given["participation_form"] and given["participation_form"] not in FORMS:
            raise InvalidRequest(f"participation_form must be one of {', '.join(FORMS)}")
        return cls(q=given["q"], field=given["field"], eqf_level=eqf, ects_min=low,
                   ects_max=high, provider_id=given["provider_id"], language=given["language"],
                   participation_form=given["participation_form"], status=status)

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as query parameters (for links to the next page)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)} | changes
        return {k: _plain(v) for k, v in values.items() if v not in (None, "")}


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class Page:
    items: list[Document]
    total: int
    next_cursor: str | None
    filters: Filters
    options: Document = field(default_factory=dict)


def programme_status(programme: Document, provider: Document | None, day: str) -> str:
    """approved (in date, provider accredited), review_due (its review date passed or its
    provider's accreditation lapsed), withdrawn, or the draft states."""
    if programme.get("status") != "approved":
        return programme.get("status", "submitted")
    if programme_approved_on(programme, day) and provider and provider_accredited_on(provider,
                                                                                      day):
        return "approved"
    return "review_due"


def _entries(ledger: Ledger) -> tuple[dict[str, Document], list[Document], list[Document]]:
    everything = ledger.read_models.all("register")
    providers = {d["id"]: d for d in everything if d["kind_of_entry"] == "provider"}
    programmes = [d for d in everything if d["kind_of_entry"] == "microcredential"]
    pathways = [d for d in everything if d["kind_of_entry"] == "pathway"]
    return providers, programmes, pathways


def _matches(doc: Document, f: Filters) -> bool:
    checks = (
        not f.q or f.q.casefold() in doc.get("title", "").casefold(),
        not f.field or (doc.get("isced_f") or "").startswith(f.field),
        f.eqf_level is None or doc.get("eqf_level") == f.eqf_level,
        f.ects_min is None or doc.get("ects", 0) >= f.ects_min,
        f.ects_max is None or doc.get("ects", 0) <= f.ects_max,
        not f.provider_id or doc.get("provider_id") == f.provider_id,
        not f.language or doc.get("language") == f.language,
        not f.participation_form or doc.get("participation_form") == f.participation_form,
    )
    return all(checks)


def _sort_key(doc: Document) -> tuple[str, str]:
    return (doc.get("title", "").casefold(), doc["id"])


def _encode(key: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode("\x1f".join(key).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_",
                               validate=True).decode()
    except ValueError:
        raw = ""
    title, separator, ident = raw.partition("\x1f")
    if not separator or not ident:
        raise InvalidRequest("cursor is not one this register gave out")
    return title, ident


def search_programmes(ledger: Ledger, filters: Filters, cursor: str | None = None,
                      limit: int = PAGE_SIZE) -> Page:
    day = today().isoformat()
    providers, programmes, _ = _entries(ledger)
    found = []
    for doc in programmes:
        status = programme_status(doc, providers.get(doc.get("provider_id")), day)
        if status == filters.status and _matches(doc, filters):
            found.append(_summary(doc, providers, status))
    found.sort(key=_sort_key)
    start = 0
    if cursor:
        after = _decode(cursor)
        start = next((i for i, d in enumerate(found) if _sort_key(d) > after), len(found))
    items = found[start:start + limit]
    more = start + limit < len(found)
    return Page(items=items, total=len(found), filters=filters,
                next_cursor=_encode(_sort_key(items[-1])) if more and items else None,
                options=_options(providers, programmes))


def _summary(doc: Document, providers: dict[str, Document], status: str) -> Document:
    provider = providers.get(doc.get("provider_id")) or {}
    return {**doc, "status_today": status, "provider_name": provider.get("name")}


def _options(providers: dict[str, Document], programmes: list[Document]) -> Document:
    """Choices for the search form's lists, from what the register holds."""
    return {
        "providers": sorted(({"id": p["id"], "name": p.get("name") or p["id"]}
                             for p in providers.values()), key=lambda p: p["name"].casefold()),
        "languages": sorted({d["language"] for d in programmes if d.get("language")}),
        "fields": BROAD_FIELDS, "forms": FORMS, "statuses": STATUSES,
    }


def programme_page(ledger: Ledger, programme_id: str) -> Document:
    """A programme with its provider, status today and the pathways it stacks into."""
    doc = ledger.read_models.get("register", programme_id)
    if not doc or doc.get("kind_of_entry") != "microcredential" or doc.get("status") not in PUBLIC:
        raise NotFound(f"programme {programme_id} is not in the register")
    provider = ledger.read_models.get("register", doc["provider_id"])
    _, _, pathways = _entries(ledger)
    stacks_into = [p for p in pathways if programme_id in (p.get("components") or [])]
    return {"programme": doc, "provider": provider,
            "status_today": programme_status(doc, provider, today().isoformat()),
            "pathways": sorted(stacks_into, key=lambda p: p.get("title", "").casefold())}


def providers_page(ledger: Ledger) -> list[Document]:
    day = today().isoformat()
    providers, programmes, _ = _entries(ledger)
    listed = []
    for provider in providers.values():
        approved = sum(1 for d in programmes if d.get("provider_id") == provider["id"]
                       and programme_status(d, provider, day) == "approved")
        listed.append({**provider, "accredited_today": provider_accredited_on(provider, day),
                       "approved_programmes": approved})
    return sorted(listed, key=lambda p: (p.get("name") or "").casefold())


def provider_page(ledger: Ledger, provider_id: str) -> Document:
    doc = ledger.read_models.get("register", provider_id)
    if not doc or doc.get("kind_of_entry") != "provider":
        raise NotFound(f"provider {provider_id} is not in the register")
    day = today().isoformat()
    _, programmes, _ = _entries(ledger)
    own = [{**d, "status_today": programme_status(d, doc, day)} for d in programmes
           if d.get("provider_id") == provider_id and d.get("status") in PUBLIC]
    return {"provider": doc, "accredited_today": provider_accredited_on(doc, day),
            "programmes": sorted(own, key=_sort_key)}


def counts(ledger: Ledger) -> Document:
    day = today().isoformat()
    providers, programmes, pathways = _entries(ledger)
    return {
        "providers": sum(1 for p in providers.values() if provider_accredited_on(p, day)),
        "programmes": sum(1 for d in programmes if programme_status(
            d, providers.get(d.get("provider_id")), day) == "approved"),
        "pathways": sum(1 for p in pathways if not p.get("retired")),
    }
