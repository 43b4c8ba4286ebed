"""The public register's reads: keyset pages of programmes and providers filtered and searched
in indexed SQL (one query per page, whatever the register's size), and single entries."""

import base64
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from ledger.calendar import Calendar
from ledger.domain.errors import InvalidRequest
from ledger.projections.register import (
    normalise,
    programme_approved_on,
    provider_accredited_on,
)
from ledger.store.database import Database

PROGRAMME_STATUSES = ("approved", "review_due", "withdrawn")
PROVIDER_STATUSES = ("accredited", "lapsed", "withdrawn")
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
RARE_MATCHES = 500  # a search term matching at most this many entries is rare
TABLE = "rm_register"
# Fields of a document that only serve the search (or are internal to the projection).
INTERNAL = {"kind_of_entry", "sort_key", "search", "window_from", "window_until",
            "window_ended", "history", "endings", "withdrawals", "pathways"}
DECISIONS = {"Submitted", "Approved", "Rejected", "Withdrawn", "Registered", "Accredited",
             "AccreditationRenewed", "AccreditationWithdrawn", "Defined", "Retired"}

Page = dict[str, Any]  # {"items": [...], "next": cursor or None}


@dataclass(frozen=True)
class ProgrammeFilters:
    """Filters of the programme register. `status` is any of PROGRAMME_STATUSES (empty: every
    public entry); `isced_f` is a 2-4 digit ISCED-F code matched as a prefix (broad, narrow or
    detailed field); `q` a case-insensitive substring of the title."""

    q: str | None = None
    provider_id: str | None = None
    isced_f: str | None = None
    eqf_level: int | None = None
    ects_min: float | None = None
    ects_max: float | None = None
    language: str | None = None
    participation_form: str | None = None
    status: tuple[str, ...] = ("approved",)
    include_history: bool = False


@dataclass(frozen=True)
class ProviderFilters:
    """Filters of the provider register: `status` any of PROVIDER_STATUSES (empty: every
    provider that was ever accredited)."""

    q: str | None = None
    provider_id: str | None = None
    status: tuple[str, ...] = ("accredited",)
    include_history: bool = False


@dataclass
class _Query:
    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    search: str | None = None  # the LIKE pattern of a text search (PostgreSQL), for _page

    def add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)


class PublicRegister:
    """Reads of the register read model (rm_register) for the API, the pages and open data."""

    def __init__(self, database: Database, calendar: Calendar | None = None) -> None:
        self.database = database
        # "today" is the operator's date (LEDGER_TIME_ZONE), as for the writes.
        self.calendar = calendar or Calendar()

    # -- pages -------------------------------------------------------------------------------

    def programmes(self, filters: ProgrammeFilters = ProgrammeFilters(), *,
                   limit: int = DEFAULT_LIMIT, cursor: str | None = None,
                   on: str | None = None) -> Page:
        """One page of programmes in title order: `{items, next}`."""
        on = on or self.calendar.today().isoformat()
        check_limit(limit)
        query = self._programme_query(filters, on)
        rows = self._page(query, "microcredential", limit, cursor, provider_join=True)
        items = [public_programme(r["doc"], r["provider"], on, filters.include_history)
                 for r in rows[:limit]]
        return {"items": items, "next": _next(rows, limit)}

    def providers(self, filters: ProviderFilters = ProviderFilters(), *,
                  limit: int = DEFAULT_LIMIT, cursor: str | None = None,
                  on: str | None = None) -> Page:
        """One page of providers in name order: `{items, next}`."""
        on = on or self.calendar.today().isoformat()
        check_limit(limit)
        query = self._provider_query(filters, on)
        rows = self._page(query, "provider", limit, cursor, provider_join=False)
        items = [public_provider(r["doc"], on, filters.include_history) for r in rows[:limit]]
        return {"items": items, "next": _next(rows, limit)}

    def count_programmes(self, filters: ProgrammeFilters = ProgrammeFilters(),
                         on: str | None = None, at_most: int | None = None) -> int:
        """How many programmes match; with `at_most`, counting stops past it (a page that
        says "more than 1,000" costs the same on any register), so at most `at_most + 1`."""
        query = self._programme_query(filters, on or self.calendar.today().isoformat())
        return self._count(query, "microcredential", provider_join=True, at_most=at_most)

    def count_providers(self, filters: ProviderFilters = ProviderFilters(),
                        on: str | None = None) -> int:
        query = self._provider_query(filters, on or self.calendar.today().isoformat())
        return self._count(query, "provider", provider_join=False)

    def all_programmes(self, filters: ProgrammeFilters = ProgrammeFilters(),
                       on: str | None = None, batch: int = MAX_LIMIT) -> Iterator[dict]:
        """Every matching programme, page by page (open data streams this)."""
        yield from self._walk(self.programmes, filters, on, batch)

    def all_providers(self, filters: ProviderFilters = ProviderFilters(),
                      on: str | None = None, batch: int = MAX_LIMIT) -> Iterator[dict]:
        yield from self._walk(self.providers, filters, on, batch)

    def provider_choices(self, filters: ProviderFilters = ProviderFilters(),
                         on: str | None = None) -> list[dict[str, str]]:
        """Each matching provider's id and name, in name order (a search form's choices): one
        read, without building every provider's public entry."""
        query = self._provider_query(filters, on or self.calendar.today().isoformat())
        source, params = self._from("provider", provider_join=False)
        where = "".join(f" AND {c}" for c in query.clauses)
        rows = self.database.read(f"SELECT r.key, r.doc {source}{where} "
                                  "ORDER BY r.sort_key, r.key", [*params, *query.params])
        return [{"id": r["key"], "name": orjson.loads(r["doc"])["name"]} for r in rows]

    def version(self) -> int:
        """The position of the register's latest change (0: empty); dates open-data ETags."""
        rows = self.database.read(f"SELECT max(position) AS p FROM {TABLE}")
        return int(rows[0]["p"] or 0) if rows else 0

    # -- single entries ----------------------------------------------------------------------

    def programme(self, programme_id: str, on: str | None = None) -> dict | None:
        """A public programme (one that was ever approved) with its QA decisions, review due
        date, provider and the pathways it stacks into; None if there is none."""
        on = on or self.calendar.today().isoformat()
        doc = self._doc(programme_id)
        if doc is None or doc["kind_of_entry"] != "microcredential" or not doc["approvals"]:
            return None
        provider = self._doc(doc["provider_id"])
        entry = public_programme(doc, provider, on, include_history=True)
        pathways = self._docs(set(doc.get("pathways", [])))
        entry["pathways"] = [public_pathway(pathways[p]) for p in doc.get("pathways", [])
                             if p in pathways]
        return entry

    def provider(self, provider_id: str, on: str | None = None,
                 programmes_limit: int = MAX_LIMIT) -> dict | None:
        """A provider with its accreditation history (windows, scope, decision references,
        withdrawals) and the first page of its public programmes (`programmes_next`: the
        cursor of the rest, for `programmes(ProgrammeFilters(provider_id=..., status=()))`)."""
        on = on or self.calendar.today().isoformat()
        doc = self._doc(provider_id)
        if doc is None or doc["kind_of_entry"] != "provider":
            return None
        entry = public_provider(doc, on, include_history=True)
        page = self.programmes(ProgrammeFilters(provider_id=provider_id, status=()),
                               limit=programmes_limit, on=on)
        entry["programmes"], entry["programmes_next"] = page["items"], page["next"]
        return entry

    def provider_entry(self, provider_id: str, on: str | None = None) -> dict | None:
        """A provider's public entry alone (no programmes): one indexed lookup."""
        doc = self._doc(provider_id)
        if doc is None or doc["kind_of_entry"] != "provider":
            return None
        return public_provider(doc, on or self.calendar.today().isoformat())

    def pathway(self, pathway_id: str) -> dict | None:
        """A pathway: its title, provider, component programmes and rule."""
        doc = self._doc(pathway_id)
        if doc is None or doc["kind_of_entry"] != "pathway":
            return None
        components = self._docs(set(doc["components"]))
        entry = public_pathway(doc)
        entry["components"] = [
            {"id": c, "title": components[c].get("title") if c in components else None}
            for c in doc["components"]]
        entry["history"] = doc["history"]
        return entry

    # -- SQL ---------------------------------------------------------------------------------

    def _programme_query(self, f: ProgrammeFilters, on: str) -> _Query:
        check_statuses(f.status, PROGRAMME_STATUSES)
        if f.eqf_level is not None and not 1 <= f.eqf_level <= 8:
            raise InvalidRequest("eqf_level must be between 1 and 8")
        if f.ects_min is not None and f.ects_max is not None and f.ects_min > f.ects_max:
            raise InvalidRequest("ects_min must not exceed ects_max")
        if f.isced_f is not None and not (f.isced_f.isdigit() and 2 <= len(f.isced_f) <= 4):
            raise InvalidRequest("isced_f must be an ISCED-F code of 2 to 4 digits")
        query = _Query()
        statuses = {
            "approved": "(r.window_from <= ? AND r.window_until >= ? "
                        "AND p.window_from <= ? AND p.window_until >= ?)",
            "review_due": "(r.status = 'approved' AND r.window_until < ?)",
            "withdrawn": "(r.status = 'withdrawn')",
        }
        _status_filter(query, statuses, f.status, on, default="('approved', 'withdrawn')")
        if f.provider_id:
            query.add("r.provider_id = ?", f.provider_id)
        if f.isced_f:
            upper = f.isced_f[:-1] + chr(ord(f.isced_f[-1]) + 1)
            query.add("r.isced_f >= ? AND r.isced_f < ?", f.isced_f, upper)
        if f.eqf_level is not None:
            query.add("r.eqf_level = ?", f.eqf_level)
        if f.ects_min is not None:
            query.add("r.ects >= ?", f.ects_min)
        if f.ects_max is not None:
            query.add("r.ects <= ?", f.ects_max)
        if f.language:
            query.add("r.language = ?", f.language)
        if f.participation_form:
            query.add("r.participation_form = ?", f.participation_form)
        self._search(query, f.q)
        return query

    def _provider_query(self, f: ProviderFilters, on: str) -> _Query:
        check_statuses(f.status, PROVIDER_STATUSES)
        query = _Query()
        statuses = {
            "accredited": "(r.window_from <= ? AND r.window_until >= ?)",
            "lapsed": "(r.status = 'accredited' AND r.window_until < ?)",
            "withdrawn": "(r.status = 'withdrawn')",
        }
        _status_filter(query, statuses, f.status, on, default="('accredited', 'withdrawn')")
        if f.provider_id:
            query.add("r.key = ?", f.provider_id)
        self._search(query, f.q)
        return query

    def _search(self, query: _Query, q: str | None) -> None:
        """A case-insensitive substring of the title, through the trigram index. LIKE's and
        GLOB's wildcard characters in `q` are taken as spaces."""
        needle = normalise("".join(" " if c in "%_*?[]\\" else c for c in q or ""))
        if not needle:
            return
        pattern = f"%{needle}%"
        if self.database.postgres:
            query.search = pattern
            query.add("r.search LIKE ?", pattern)
        else:
            query.add(f"r.rowid IN (SELECT rowid FROM {TABLE}_fts WHERE search LIKE ?)",
                      pattern)

    def _from(self, kind: str, provider_join: bool) -> tuple[str, list[Any]]:
        join = f" JOIN {TABLE} p ON p.key = r.provider_id" if provider_join else ""
        return f"FROM {TABLE} r{join} WHERE r.kind_of_entry = ?", [kind]

    def _first_match(self, pattern: str) -> tuple[str, str] | None:
        """Pages walk the title order and filter, which is fast for a common term but slow for
        a rare one whose titles sort together far down (a Georgian word among mostly Latin
        titles): for a rare term (a bounded look through the trigram index finds all its
        entries), the (sort_key, key) the walk can start at; None for a common one."""
        found = self.database.read(f"SELECT sort_key, key FROM {TABLE} WHERE search LIKE ? "
                                   "LIMIT ?", (pattern, RARE_MATCHES + 1))
        if 0 < len(found) <= RARE_MATCHES:
            return min((row["sort_key"], row["key"]) for row in found)
        return None

    def _page(self, query: _Query, kind: str, limit: int, cursor: str | None,
              provider_join: bool) -> list[Any]:
        source, params = self._from(kind, provider_join)
        clauses, params = list(query.clauses), [*params, *query.params]
        first = self._first_match(query.search) if query.search else None
        if first is not None:  # only pages walk; a count reads the trigram index alone
            clauses.append("(r.sort_key, r.key) >= (?, ?)")
            params += list(first)
        if cursor is not None:
            sort_key, key = decode_cursor(cursor)
            clauses.append("(r.sort_key, r.key) > (?, ?)")
            params += [sort_key, key]
        where = "".join(f" AND {c}" for c in clauses)
        provider = ", p.doc AS provider" if provider_join else ""
        rows = self.database.read(
            f"SELECT r.key, r.sort_key, r.doc{provider} {source}{where} "
            "ORDER BY r.sort_key, r.key LIMIT ?", [*params, limit + 1])
        return [{"key": r["key"], "sort_key": r["sort_key"], "doc": orjson.loads(r["doc"]),
                 "provider": orjson.loads(r["provider"]) if provider_join else None}
                for r in rows]

    def _count(self, query: _Query, kind: str, provider_join: bool,
               at_most: int | None = None) -> int:
        source, params = self._from(kind, provider_join)
        where = "".join(f" AND {c}" for c in query.clauses)
        params = [*params, *query.params]
        if at_most is None:
            rows = self.database.read(f"SELECT count(*) AS n {source}{where}", params)
        else:
            rows = self.database.read(f"SELECT count(*) AS n FROM (SELECT 1 {source}{where} "
                                      "LIMIT ?) AS capped", [*params, at_most + 1])
        return int(rows[0]["n"])

    def _walk(self, read: Any, filters: Any, on: str | None, batch: int) -> Iterator[dict]:
        cursor = None
        while True:
            page = read(filters, limit=batch, cursor=cursor, on=on)
            yield from page["items"]
            cursor = page["next"]
            if cursor is None:
                return

    def _doc(self, key: str) -> dict | None:
        rows = self.database.read(f"SELECT doc FROM {TABLE} WHERE key = ?", (key,))
        return orjson.loads(rows[0]["doc"]) if rows else None

    def _docs(self, keys: set[str]) -> dict[str, dict]:
        if not keys:
            return {}
        ordered = sorted(keys)
        marks = ", ".join("?" * len(ordered))
        rows = self.database.read(f"SELECT key, doc FROM {TABLE} WHERE key IN ({marks})",
                                  ordered)
        return {r["key"]: orjson.loads(r["doc"]) for r in rows}


# -- input -----------------------------------------------------------------------------------

def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}")


def check_statuses(chosen: Sequence[str], allowed: Sequence[str]) -> None:
    unknown = [s for s in chosen if s not in allowed]
    if unknown:
        raise InvalidRequest(f"unknown status {unknown[0]!r}: one of {', '.join(allowed)}")


def encode_cursor(sort_key: str, key: str) -> str:
    """Opaque to callers: the last entry's sort key and id, base64url-encoded JSON."""
    return base64.urlsafe_b64encode(orjson.dumps([sort_key, key])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = orjson.loads(raw)
        if (isinstance(value, list) and len(value) == 2
                and all(isinstance(v, str) for v in value)):
            return value[0], value[1]
    except (ValueError, orjson.JSONDecodeError):
        pass
    raise InvalidRequest("cursor is not one this register issued")


def _next(rows: list[Any], limit: int) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor(last["sort_key"], last["key"])


# -- output ----------------------------------------------------------------------------------

def programme_status(doc: dict, provider: dict | None, on: str) -> str:
    """Where a programme stands on a day: approved (listed), review_due (its approval ran
    past its review date), withdrawn, provider_not_accredited, submitted or rejected."""
    if doc["status"] == "withdrawn":
        return "withdrawn"
    if doc["status"] != "approved":
        return doc["status"]
    if not programme_approved_on(doc, on):
        return "review_due" if (doc.get("window_until") or "") < on else "not_yet_approved"
    if provider is None or not provider_accredited_on(provider, on):
        return "provider_not_accredited"
    return "approved"


def provider_status(doc: dict, on: str) -> str:
    """accredited, lapsed, withdrawn or registered (never accredited)."""
    if provider_accredited_on(doc, on):
        return "accredited"
    if doc.get("status") == "accredited" and (doc.get("window_until") or "") < on:
        return "lapsed"
    return doc.get("status", "registered")


def decisions(doc: dict) -> list[dict]:
    """The QA decisions and lifecycle events, without who recorded them (a principal id)."""
    return [{k: v for k, v in h.items() if k != "actor"}
            for h in doc["history"] if h["event"] in DECISIONS]


def public_programme(doc: dict, provider: dict | None, on: str,
                     include_history: bool = False) -> dict:
    entry = {k: v for k, v in doc.items() if k not in INTERNAL}
    entry["register_status"] = programme_status(doc, provider, on)
    entry["provider"] = ({"id": provider["id"], "name": provider.get("name")}
                         if provider else {"id": doc["provider_id"], "name": None})
    if include_history:
        entry["decisions"] = decisions(doc)
        entry["endings"] = doc["endings"]
    return entry


def public_provider(doc: dict, on: str, include_history: bool = False) -> dict:
    entry = {k: doc.get(k) for k in ("id", "name", "country", "kind", "legal_identifier",
                                     "accreditations", "status")}
    entry["register_status"] = provider_status(doc, on)
    if include_history:
        entry["withdrawals"] = doc["withdrawals"]
        entry["decisions"] = decisions(doc)
    return entry


def public_pathway(doc: dict) -> dict:
    return {k: doc.get(k) for k in ("id", "title", "provider_id", "components", "min_ects",
                                    "min_components", "status")}


def _status_filter(query: _Query, conditions: dict[str, str], chosen: tuple[str, ...] | None,
                   on: str, default: str) -> None:
    """Entries in any of the chosen statuses on the date `on` (each condition's placeholders all
    take that date); without a choice, every recorded status in `default`."""
    if chosen:
        params = [on] * sum(conditions[status].count("?") for status in chosen)
        query.add("(" + " OR ".join(conditions[status] for status in chosen) + ")", *params)
    else:
        query.add(f"r.status IN {default}")
