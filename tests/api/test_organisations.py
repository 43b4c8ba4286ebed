"""Providers, accreditations, programmes, pathways and the public register, over real HTTP."""

import uuid

import pytest

from tests.helpers import (
    PROGRAMME,
    accredited_provider,
    build_world,
    created,
    days_from_today,
    problem,
    programme_approved_between,
    submitted_programme,
)

GTU = {"name": "Georgian Technical University", "country": "GE", "kind": "higher_education"}


def accredit(api, provider_id: str, valid_from: str = "2020-01-01",
             valid_until: str = "2030-12-31"):
    return api.as_("qa_body").post(f"/v1/providers/{provider_id}/accreditations",
                                   {"valid_from": valid_from, "valid_until": valid_until})


def withdraw(api, provider_id: str, effective_on: str) -> dict:
    return created(api.as_("qa_body").post(
        f"/v1/providers/{provider_id}/accreditations/withdraw",
        {"reason": "QA review found systemic assessment failures",
         "effective_on": effective_on}), 200)


def approve(api, programme_id: str, approved_on: str, review_due: str, role: str = "qa_body",
            scope: str | None = None):
    return api.as_(role, scope).post(f"/v1/microcredentials/{programme_id}/approve",
                                     {"approved_on": approved_on, "review_due": review_due})


def award(world, awarded_on: str, programme_id: str | None = None):
    body = {"learner_id": world.learner_id,
            "microcredential_id": programme_id or world.programme_id, "awarded_on": awarded_on}
    return world.provider.post("/v1/credentials", body)


# -- providers and accreditation -----------------------------------------------------------

@pytest.mark.parametrize("role", ["admin", "qa_body"])
def test_admin_and_qa_body_register_providers(api, role):
    body = created(api.as_(role).post("/v1/providers", {**GTU, "legal_identifier": "211349619"}))
    assert body["id"]
    assert (body["name"], body["country"], body["kind"]) == (GTU["name"], "GE",
                                                             "higher_education")


def test_a_provider_cannot_register_providers(api):
    provider_id = accredited_provider(api)
    problem(api.as_("provider", provider_id).post("/v1/providers", GTU), 403)


def test_only_the_qa_body_accredits_providers(api):
    provider_id = created(api.as_("admin").post("/v1/providers", GTU))["id"]
    body = {"valid_from": "2020-01-01", "valid_until": "2030-12-31"}
    path = f"/v1/providers/{provider_id}/accreditations"
    problem(api.as_("admin").post(path, body), 403)
    problem(api.as_("provider", provider_id).post(path, body), 403)
    accreditation = created(api.as_("qa_body").post(path, body))
    assert accreditation["valid_until"] == "2030-12-31"


@pytest.mark.parametrize("valid_until", ["2019-12-31", "2020-01-01"])
def test_an_accreditation_ending_before_it_starts_is_refused(api, valid_until):
    provider_id = created(api.as_("qa_body").post("/v1/providers", GTU))["id"]
    problem(accredit(api, provider_id, "2020-01-01", valid_until), 409)


def test_no_award_on_or_after_a_withdrawal_but_earlier_awards_stay_verifiable(api):
    world = build_world(api)
    earlier = world.issue(awarded_on="2025-03-01")
    withdrawn = withdraw(api, world.provider_id, "2025-06-01")
    problem(award(world, "2025-06-01"), 409)
    problem(award(world, "2025-09-01"), 409)
    late_report = created(award(world, "2025-05-31"))
    verified = api.anonymous().get(f"/v1/verify/{earlier['id']}",
                                   min_position=max(withdrawn["position"],
                                                    late_report["position"]))
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["status"] == "active"
    assert body["provider_accredited_on_award"] is True
    assert body["programme_approved_on_award"] is True


def test_only_the_qa_body_withdraws_an_accreditation(api):
    world = build_world(api)
    path = f"/v1/providers/{world.provider_id}/accreditations/withdraw"
    body = {"reason": "x", "effective_on": "2025-06-01"}
    problem(api.as_("admin").post(path, body), 403)
    problem(world.provider.post(path, body), 403)
    created(award(world, "2025-07-01"))


# -- programmes -----------------------------------------------------------------------------

def test_a_provider_submits_its_own_programme(api):
    provider_id = accredited_provider(api)
    body = created(api.as_("provider", provider_id).post(
        "/v1/microcredentials", {**PROGRAMME, "provider_id": provider_id}))
    assert body["id"]
    assert body["status"] == "submitted"


def test_a_submitted_programme_cannot_be_awarded(api):
    world = build_world(api)
    problem(award(world, "2025-03-01", submitted_programme(api, world.provider_id)), 409)


@pytest.mark.parametrize(("role", "own"), [("admin", False), ("provider", True),
                                           ("auditor", False)])
def test_only_the_qa_body_approves_programmes(api, role, own):
    provider_id = accredited_provider(api)
    programme_id = submitted_programme(api, provider_id)
    scope = provider_id if own else None
    problem(approve(api, programme_id, "2024-01-15", "2026-12-31", role, scope), 403)
    approved = created(approve(api, programme_id, "2024-01-15", "2026-12-31"), 200)
    assert approved["status"] == "approved"


@pytest.mark.parametrize("review_due", [
    "2024-01-15",  # the same day
    "2024-01-14",  # before the approval
    "2027-06-01",  # more than three years later
])
def test_review_due_falls_after_the_approval_and_within_three_years(api, review_due):
    provider_id = accredited_provider(api)
    programme_id = submitted_programme(api, provider_id)
    problem(approve(api, programme_id, "2024-01-15", review_due), 409)
    accepted = created(approve(api, programme_id, "2024-01-15", "2027-01-15"), 200)
    assert accepted["status"] == "approved"


def test_an_approval_cannot_be_dated_in_the_future(api):
    provider_id = accredited_provider(api)
    programme_id = submitted_programme(api, provider_id)
    problem(approve(api, programme_id, days_from_today(30), days_from_today(400)), 409)


def test_a_rejected_programme_can_be_neither_approved_nor_awarded(api):
    world = build_world(api)
    programme_id = submitted_programme(api, world.provider_id)
    rejected = created(api.as_("qa_body").post(f"/v1/microcredentials/{programme_id}/reject",
                                               {"reason": "Outcomes are not assessable"}), 200)
    assert rejected["status"] == "rejected"
    problem(approve(api, programme_id, "2024-01-15", "2026-12-31"), 409)
    problem(award(world, "2025-03-01", programme_id), 409)


def test_only_the_qa_body_rejects_programmes(api):
    provider_id = accredited_provider(api)
    programme_id = submitted_programme(api, provider_id)
    problem(api.as_("provider", provider_id).post(
        f"/v1/microcredentials/{programme_id}/reject", {"reason": "changed our mind"}), 403)


def test_a_programme_past_its_review_date_cannot_be_awarded(api):
    world = build_world(api)
    programme_id = programme_approved_between(api, world.provider_id, days_from_today(-800),
                                              days_from_today(-30))
    problem(award(world, days_from_today(-10), programme_id), 409)
    problem(award(world, days_from_today(-29), programme_id), 409)
    # An award made while the approval held may still be reported late.
    created(award(world, days_from_today(-30), programme_id))


def test_an_award_dated_before_the_programmes_approval_is_refused(api):
    world = build_world(api)  # approved on 2024-01-15
    problem(award(world, "2024-01-14"), 409)
    created(award(world, "2024-01-15"))


# -- pathways -------------------------------------------------------------------------------

def pathway_body(provider_id: str, components: list[str]) -> dict:
    return {"provider_id": provider_id, "title": "Certificate in Public Data Practice",
            "components": components, "min_components": 1}


def test_a_provider_defines_a_pathway_over_its_own_programmes(api):
    world = build_world(api)
    second = world.programme(title="Open Data Publishing")
    body = created(world.provider.post("/v1/pathways",
                                       pathway_body(world.provider_id,
                                                    [world.programme_id, second])))
    assert body["id"]
    assert body["components"] == [world.programme_id, second]


def test_a_pathway_cannot_include_another_providers_programme(api):
    # The code answers 404: the programme is "not found for this provider", so a provider
    # cannot learn whether another provider's (possibly unapproved) programme exists.
    world = build_world(api)
    other_id = accredited_provider(api, name="Ilia State University")
    theirs = world.api.as_("provider", other_id)
    other_programme = created(theirs.post("/v1/microcredentials",
                                          {**PROGRAMME, "provider_id": other_id}))["id"]
    body = pathway_body(world.provider_id, [world.programme_id, other_programme])
    problem(world.provider.post("/v1/pathways", body), 404)


def test_a_provider_cannot_define_a_pathway_for_another_provider(api):
    world = build_world(api)
    other_id = accredited_provider(api, name="Ilia State University")
    other_programme = world.api.as_("provider", other_id).post(
        "/v1/microcredentials", {**PROGRAMME, "provider_id": other_id}).json()["id"]
    problem(world.provider.post("/v1/pathways", pathway_body(other_id, [other_programme])), 403)


@pytest.mark.parametrize("which", ["programme", "malformed programme", "provider"])
def test_a_pathway_over_unknown_ids_is_not_found(api, which):
    world = build_world(api)
    provider_id, components = world.provider_id, [world.programme_id]
    if which == "programme":
        components = [world.programme_id, str(uuid.uuid4())]
    elif which == "malformed programme":
        components = ["not-a-programme"]
    else:
        provider_id = str(uuid.uuid4())
    caller = world.api.as_("provider", provider_id)
    problem(caller.post("/v1/pathways", pathway_body(provider_id, components)), 404)


# -- the public register --------------------------------------------------------------------

def registered(api, name: str) -> str:
    return created(api.as_("admin").post("/v1/providers", {**GTU, "name": name}))["id"]


def test_the_register_lists_only_currently_accredited_providers(api):
    accredited_id = accredited_provider(api, name="Accredited Academy")
    unaccredited_id = registered(api, "Unaccredited Institute")
    expired_id = registered(api, "Expired College")
    created(accredit(api, expired_id, "2018-01-01", days_from_today(-1)))
    withdrawn_id = accredited_provider(api, name="Withdrawn School")
    last = withdraw(api, withdrawn_id, days_from_today(0))
    response = api.anonymous().get("/v1/register/providers", min_position=last["position"])
    assert response.status_code == 200, response.text
    ids = {item["id"] for item in response.json()["items"]}
    assert accredited_id in ids
    assert ids.isdisjoint({unaccredited_id, expired_id, withdrawn_id})


def test_programmes_leave_the_register_when_their_provider_loses_accreditation(api):
    provider_id = accredited_provider(api, name="Closing Institute")
    programme_id = programme_approved_between(api, provider_id, days_from_today(-30),
                                              days_from_today(365), title="Orphaned")
    last = withdraw(api, provider_id, days_from_today(0))
    response = api.anonymous().get("/v1/register/microcredentials",
                                   min_position=last["position"])
    assert response.status_code == 200, response.text
    assert programme_id not in {item["id"] for item in response.json()["items"]}


def test_the_register_lists_only_approved_programmes_in_date(api):
    provider_id = accredited_provider(api)
    qa = api.as_("qa_body")
    in_date = programme_approved_between(api, provider_id, days_from_today(-30),
                                         days_from_today(365), title="In Date")
    lapsed = programme_approved_between(api, provider_id, days_from_today(-800),
                                        days_from_today(-1), title="Lapsed")
    pending = submitted_programme(api, provider_id, title="Pending")
    rejected = submitted_programme(api, provider_id, title="Rejected")
    last = created(qa.post(f"/v1/microcredentials/{rejected}/reject", {"reason": "no"}), 200)
    response = api.anonymous().get("/v1/register/microcredentials",
                                   min_position=last["position"])
    assert response.status_code == 200, response.text
    items = {item["id"]: item for item in response.json()["items"]}
    assert set(items) == {in_date}
    assert items[in_date]["title"] == "In Date"
    assert items[in_date]["eqf_level"] == PROGRAMME["eqf_level"]
    assert items[in_date]["provider_id"] == provider_id
    assert {lapsed, pending, rejected}.isdisjoint(items)


def register_world(api) -> tuple[dict[str, str], int]:
    """Two accredited providers with in-date programmes at different levels and titles."""
    first = accredited_provider(api, name="Tbilisi Open Academy")
    second = accredited_provider(api, name="Batumi Maritime School")
    approved_on, review_due = days_from_today(-30), days_from_today(365)
    ids = {
        "first": first, "second": second,
        "data": programme_approved_between(api, first, approved_on, review_due,
                                           title="Data Literacy", eqf_level=5),
        "cloud": programme_approved_between(api, first, approved_on, review_due,
                                            title="Cloud Security Essentials", eqf_level=6),
        "navigation": programme_approved_between(api, second, approved_on, review_due,
                                                 title="Coastal Navigation", eqf_level=4),
    }
    # One more write whose position covers everything above.
    last = created(api.as_("admin").post("/v1/providers", {**GTU, "name": "Unlisted"}))
    return ids, last["position"]


def listed(api, kind: str, position: int, **params) -> set[str]:
    response = api.anonymous().get(f"/v1/register/{kind}", min_position=position, **params)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def test_the_programme_register_filters_by_text_provider_and_level(api):
    ids, position = register_world(api)
    assert listed(api, "microcredentials", position) == {ids["data"], ids["cloud"],
                                                         ids["navigation"]}
    assert listed(api, "microcredentials", position, q="cLoUd") == {ids["cloud"]}
    assert listed(api, "microcredentials", position, provider_id=ids["second"]) == {
        ids["navigation"]}
    assert listed(api, "microcredentials", position, eqf_level=6) == {ids["cloud"]}
    assert listed(api, "microcredentials", position, provider_id=ids["first"],
                  eqf_level=4) == set()


def test_the_provider_register_filters_by_text_and_provider(api):
    ids, position = register_world(api)
    assert listed(api, "providers", position) == {ids["first"], ids["second"]}
    assert listed(api, "providers", position, q="maritime") == {ids["second"]}
    assert listed(api, "providers", position, provider_id=ids["first"]) == {ids["first"]}


def test_the_register_is_public_and_reveals_no_personal_data(api):
    world = build_world(api)
    programme_approved_between(api, world.provider_id, days_from_today(-30),
                               days_from_today(365))
    learner_id = world.new_learner(given_name="Tamar", family_name="Kvaratskhelia",
                                   national_id="01019081234")
    issued = world.issue(learner_id=learner_id)
    for kind in ("providers", "microcredentials"):
        response = api.anonymous().get(f"/v1/register/{kind}", min_position=issued["position"])
        assert response.status_code == 200, response.text
        assert response.json()["items"]
        for personal in ("Tamar", "Kvaratskhelia", "01019081234", learner_id):
            assert personal not in response.text
