"""The register API: keyset pages over indexed columns, every filter, single entries and bad
input, on both stores over real HTTP."""

import base64
import itertools

import pytest

from tests.helpers import (
    accredited_provider,
    created,
    days_from_today,
    problem,
    programme_approved_between,
    submitted_programme,
)

IN_DATE = (days_from_today(-30), days_from_today(365))


def listed_programme(api, provider_id: str, **fields) -> str:
    return programme_approved_between(api, provider_id, *IN_DATE, **fields)


def head(api) -> int:
    return api.ledger.events.head()


def walk(api, path: str, limit: int, between_pages=None, **params) -> list[dict]:
    """Every page of a register listing, following `next` to its end."""
    items, cursor = [], None
    for page in itertools.count():
        query = {"limit": limit, "min_position": head(api), **params}
        if cursor:
            query["cursor"] = cursor
        response = api.anonymous().get(path, **query)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor = body["next"]
        if cursor is None:
            return items
        if between_pages:
            between_pages(page)


def test_pages_walk_every_entry_once_while_entries_are_added(api):
    provider = accredited_provider(api, name="Kutaisi International University")
    titles = [f"Course {n:02d}" for n in range(0, 30, 2)]  # even numbers, added first
    before = {listed_programme(api, provider, title=t) for t in titles}
    added = set()

    def add_two(page: int) -> None:  # one that sorts before the walk's place, one after
        for n in (2 * page + 1, 29 - 2 * page):
            added.add(listed_programme(api, provider, title=f"Course {n:02d} added"))

    items = walk(api, "/v1/register/microcredentials", 4, between_pages=add_two,
                 provider_id=provider)
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), "an entry came twice"
    assert before <= set(ids), "an entry that existed all along was skipped"
    assert set(ids) <= before | added
    keys = [item["title"].casefold() for item in items]
    assert keys == sorted(keys)
    # Walked again once quiet, pages hold exactly the register.
    again = walk(api, "/v1/register/microcredentials", 7, provider_id=provider)
    assert sorted(i["id"] for i in again) == sorted(before | added)


def test_the_last_page_says_next_is_null_and_a_full_page_walk_matches_one_big_page(api):
    provider = accredited_provider(api, name="Sokhumi State University")
    ids = {listed_programme(api, provider, title=f"Module {n}") for n in range(6)}
    big = api.anonymous().get("/v1/register/microcredentials", provider_id=provider, limit=100,
                              min_position=head(api)).json()
    assert big["next"] is None and {i["id"] for i in big["items"]} == ids
    exact = api.anonymous().get("/v1/register/microcredentials", provider_id=provider, limit=6)
    assert exact.json()["next"] is None  # no empty page after an exactly full one
    paged = walk(api, "/v1/register/microcredentials", 5, provider_id=provider)
    assert [i["id"] for i in paged] == [i["id"] for i in big["items"]]


def test_providers_are_paginated_and_searched(api):
    names = ["Alpha Academy", "Beta College", "Gamma Institute", "Delta School", "Epsilon Hub"]
    ids = {accredited_provider(api, name=n) for n in names}
    items = walk(api, "/v1/register/providers", 2)
    assert {i["id"] for i in items} == ids
    assert [i["name"] for i in items] == sorted(names)
    found = walk(api, "/v1/register/providers", 10, q="ColLeGe")
    assert [i["name"] for i in found] == ["Beta College"]


def ids_of(api, **params) -> set[str]:
    response = api.anonymous().get("/v1/register/microcredentials", limit=100,
                                   min_position=head(api), **params)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def test_every_programme_filter(api):
    first = accredited_provider(api, name="Tbilisi Open Academy")
    second = accredited_provider(api, name="Batumi Maritime School")
    ml = listed_programme(api, first, title="Applied Machine Learning", isced_f="0613",
                          eqf_level=6, ects=6.0, language="en", participation_form="blended")
    data = listed_programme(api, first, title="მონაცემთა ანალიზი", isced_f="0542",
                            eqf_level=5, ects=3.0, language="ka", participation_form="online")
    sea = listed_programme(api, second, title="Coastal Navigation", isced_f="1041",
                           eqf_level=4, ects=10.0, language="ka", participation_form="onsite")
    everything = {ml, data, sea}
    assert ids_of(api) >= everything
    assert ids_of(api, q="machine") == {ml}
    assert ids_of(api, q="ACHINE LEARN") == {ml}  # a substring across words, any case
    assert ids_of(api, q="ანალიზ") == {data}  # Georgian, through the trigram index
    assert ids_of(api, q="na") == {sea}  # two letters: too short for trigrams, still found
    assert ids_of(api, q="100%") == set()
    assert ids_of(api, provider_id=second) == {sea}
    assert ids_of(api, isced_f="0613") == {ml}
    assert ids_of(api, isced_f="06") == {ml}  # a broad field holds its detailed fields
    assert ids_of(api, isced_f="05") == {data}
    assert ids_of(api, eqf_level=5) == {data}
    assert ids_of(api, ects_min=5) & everything == {ml, sea}
    assert ids_of(api, ects_max=5) & everything == {data}
    assert ids_of(api, ects_min=4, ects_max=8) & everything == {ml}
    assert ids_of(api, language="ka") & everything == {data, sea}
    assert ids_of(api, participation_form="onsite") & everything == {sea}
    assert ids_of(api, provider_id=first, eqf_level=6, q="learn", language="en") == {ml}


def test_status_filters_approved_review_due_and_withdrawn(api):
    provider = accredited_provider(api, name="Gori State University")
    current = listed_programme(api, provider, title="Current")
    lapsed = programme_approved_between(api, provider, days_from_today(-800),
                                        days_from_today(-10), title="Lapsed")
    withdrawn = listed_programme(api, provider, title="Withdrawn")
    created(api.as_("qa_body").post(f"/v1/microcredentials/{withdrawn}/withdraw",
                                    {"reason": "Provider closed the course",
                                     "effective_on": days_from_today(-1)}), 200)
    submitted = submitted_programme(api, provider, title="Pending")
    assert ids_of(api, provider_id=provider) == {current}
    assert ids_of(api, provider_id=provider, status="review_due") == {lapsed}
    assert ids_of(api, provider_id=provider, status="withdrawn") == {withdrawn}
    response = api.anonymous().get("/v1/register/microcredentials", provider_id=provider,
                                   status=["approved", "review_due", "withdrawn"],
                                   include_history="true", limit=100)
    items = {i["id"]: i for i in response.json()["items"]}
    assert set(items) == {current, lapsed, withdrawn}  # never the submitted one
    assert submitted not in items
    assert {i["register_status"] for i in items.values()} == {"approved", "review_due",
                                                               "withdrawn"}
    events = [d["event"] for d in items[withdrawn]["decisions"]]
    assert events == ["Submitted", "Approved", "Withdrawn"]
    assert all("actor" not in d for d in items[withdrawn]["decisions"])
    plain = api.anonymous().get("/v1/register/microcredentials", provider_id=provider).json()
    assert "decisions" not in plain["items"][0] and "history" not in plain["items"][0]


def test_provider_statuses_accredited_lapsed_withdrawn(api):
    qa = api.as_("qa_body")
    now = accredited_provider(api, name="Current Provider")
    old = created(qa.post("/v1/providers", {"name": "Lapsed Provider", "country": "GE",
                                            "kind": "vocational"}))["id"]
    created(qa.post(f"/v1/providers/{old}/accreditations",
                    {"valid_from": "2015-01-01", "valid_until": "2019-12-31"}))
    gone = accredited_provider(api, name="Withdrawn Provider")
    created(qa.post(f"/v1/providers/{gone}/accreditations/withdraw",
                    {"reason": "QA failure", "effective_on": days_from_today(-1)}), 200)

    def providers(**params) -> set[str]:
        response = api.anonymous().get("/v1/register/providers", limit=100,
                                       min_position=head(api), **params)
        assert response.status_code == 200, response.text
        return {i["id"] for i in response.json()["items"]}

    assert providers() == {now}
    assert providers(status="lapsed") == {old}
    assert providers(status="withdrawn") == {gone}
    assert providers(status=["accredited", "withdrawn"]) == {now, gone}


def test_single_entries_programme_provider_and_pathway(api):
    provider = accredited_provider(api, name="Ilia State University")
    first = listed_programme(api, provider, title="Part One")
    second = listed_programme(api, provider, title="Part Two")
    pathway = created(api.as_("provider", provider).post("/v1/pathways", {
        "provider_id": provider, "title": "Certificate in Two Parts",
        "components": [first, second]}))["id"]
    anonymous = api.anonymous()
    entry = anonymous.get(f"/v1/register/microcredentials/{first}",
                          min_position=head(api)).json()
    assert entry["provider"] == {"id": provider, "name": "Ilia State University"}
    assert entry["review_due"] == IN_DATE[1]
    assert [d["event"] for d in entry["decisions"]] == ["Submitted", "Approved"]
    assert entry["decisions"][1]["review_due"] == IN_DATE[1]
    assert [p["id"] for p in entry["pathways"]] == [pathway]
    assert entry["register_status"] == "approved"

    org = anonymous.get(f"/v1/register/providers/{provider}").json()
    assert org["accreditations"][0]["decision_reference"] == "NCEQE-2020-17"
    assert org["accreditations"][0]["valid_until"] == "2030-12-31"
    assert {p["id"] for p in org["programmes"]} == {first, second}
    assert org["programmes_next"] is None
    assert [d["event"] for d in org["decisions"]] == ["Registered", "Accredited"]

    path = anonymous.get(f"/v1/pathways/{pathway}").json()
    assert [c["id"] for c in path["components"]] == [first, second]
    assert path["components"][0]["title"] == "Part One"

    pending = submitted_programme(api, provider, title="Not public yet")
    for url in (f"/v1/register/microcredentials/{pending}",
                f"/v1/register/microcredentials/{provider}",  # a provider is no programme
                "/v1/register/providers/no-such-provider", f"/v1/pathways/{first}"):
        problem(anonymous.get(url, min_position=head(api)), 404)


def bad_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("path, params, status", [
    ("microcredentials", {"limit": 0}, 422),
    ("microcredentials", {"limit": 101}, 422),
    ("microcredentials", {"limit": "many"}, 422),
    ("microcredentials", {"eqf_level": 9}, 422),
    ("microcredentials", {"eqf_level": 0}, 422),
    ("microcredentials", {"cursor": "!!not-base64!!"}, 422),
    ("microcredentials", {"cursor": bad_cursor('{"a": 1}')}, 422),
    ("microcredentials", {"cursor": bad_cursor('["only one"]')}, 422),
    ("microcredentials", {"cursor": bad_cursor("[1, 2]")}, 422),
    ("microcredentials", {"status": "lapsed"}, 422),
    ("microcredentials", {"isced_f": "6"}, 422),
    ("microcredentials", {"ects_min": 10, "ects_max": 5}, 422),
    ("microcredentials", {"ects_min": -1}, 422),
    ("microcredentials", {"participation_form": "by post"}, 422),
    ("microcredentials", {"language": "Georgian!"}, 422),
    ("providers", {"limit": 1000}, 422),
    ("providers", {"status": "approved"}, 422),
    ("providers", {"cursor": "%%%"}, 422),
])
def test_bad_input_is_a_problem(api, path, params, status):
    body = problem(api.anonymous().get(f"/v1/register/{path}", **params), status)
    assert body["detail"]
