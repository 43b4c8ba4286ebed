"""The register as the pages read it: the search form's filters, and thin calls of the
register's use cases (ledger.register_search, through `ledger.public_register`)."""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from ledger.application import Ledger
from ledger.domain.errors import InvalidRequest, NotFound
from ledger.register_search import ProgrammeFilters, ProviderFilters

Document = dict[str, Any]
PAGE_SIZE = 20
PROVIDERS_PAGE_SIZE = 50
# The search page counts matches up to this many and says "more than" beyond: an exact count
# of a country's register grows with it, a capped one costs the same on any register.
COUNTED_UP_TO = 1000
STATUSES = ("approved", "review_due", "withdrawn")
FORMS = ("online", "onsite", "blended")
# Languages the search form offers (any other tag still works in the query string).
LANGUAGES = ("ka", "en", "ru", "de", "fr", "hy", "az", "tr", "uk")
# ISCED-F 2013 broad fields: the form filters by a programme's first two digits.
BROAD_FIELDS = ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10")


@dataclass(frozen=True)
class Filters:
    """The search form's fields; empty values mean "any" (a form's blank choice)."""

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
        given = {f.name: (query.get(f.name) or "").strip() or None for f in fields(cls)}
        try:
            eqf = int(given["eqf_level"]) if given["eqf_level"] else None
            low = float(given["ects_min"]) if given["ects_min"] else None
            high = float(given["ects_max"]) if given["ects_max"] else None
        except ValueError:
            raise InvalidRequest("eqf_level must be a whole number and the ECTS bounds "
                                 "numbers") from None
        if any(v is not None and not 0 <= v < 1000 for v in (low, high)):
            raise InvalidRequest("ECTS bounds must be between 0 and 1000")
        status = given["status"] or "approved"
        if status not in STATUSES:
            raise InvalidRequest(f"status must be one of {', '.join(STATUSES)}")
        if given["field"] and given["field"] not in BROAD_FIELDS:
            raise InvalidRequest("field must be a two-digit ISCED-F broad field")
        if given["participation_form"] and given["participation_form"] not in FORMS:
            raise InvalidRequest(f"participation_form must be one of {', '.join(FORMS)}")
        if len(given["q"] or "") > 200:
            raise InvalidRequest("the search text may be at most 200 characters")
        return cls(q=given["q"], field=given["field"], eqf_level=eqf, ects_min=low,
                   ects_max=high, provider_id=given["provider_id"], language=given["language"],
                   participation_form=given["participation_form"], status=status)

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as query parameters (for links to the next page)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)} | changes
        return {k: _plain(v) for k, v in values.items() if v not in (None, "")}

    def for_register(self) -> ProgrammeFilters:
        return ProgrammeFilters(
            q=self.q, provider_id=self.provider_id, isced_f=self.field,
            eqf_level=self.eqf_level, ects_min=self.ects_min, ects_max=self.ects_max,
            language=self.language, participation_form=self.participation_form,
            status=(self.status,))


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def search_programmes(ledger: Ledger, filters: Filters, cursor: str | None = None) -> Document:
    """One page of programmes, how many match in all, and the form's choices."""
    register = ledger.public_register
    wanted = filters.for_register()
    page = register.programmes(wanted, limit=PAGE_SIZE, cursor=cursor)
    providers = register.provider_choices()
    total = register.count_programmes(wanted, at_most=COUNTED_UP_TO)
    return {"items": page["items"], "next": page["next"], "filters": filters,
            "total": min(total, COUNTED_UP_TO), "more": total > COUNTED_UP_TO,
            "options": {"providers": providers,
                        "languages": LANGUAGES, "fields": BROAD_FIELDS, "forms": FORMS}}


def programme_page(ledger: Ledger, programme_id: str) -> Document:
    entry = ledger.public_register.programme(programme_id)
    if entry is None:
        raise NotFound(f"programme {programme_id} is not in the register")
    return {"programme": entry}


def providers_page(ledger: Ledger, cursor: str | None = None) -> Document:
    """Every provider ever accredited (accredited today, lapsed or withdrawn), by name."""
    return ledger.public_register.providers(ProviderFilters(status=()),
                                            limit=PROVIDERS_PAGE_SIZE, cursor=cursor)


def provider_page(ledger: Ledger, provider_id: str) -> Document:
    entry = ledger.public_register.provider(provider_id)
    if entry is None:
        raise NotFound(f"provider {provider_id} is not in the register")
    return {"provider": entry}


def counts(ledger: Ledger) -> Document:
    register = ledger.public_register
    return {"providers": register.count_providers(ProviderFilters()),
            "programmes": register.count_programmes(ProgrammeFilters())}
