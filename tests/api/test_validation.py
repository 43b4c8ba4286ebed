"""Request shapes the API refuses (422), and the problem+json it answers with for 401 and 404."""

import uuid

import pytest

from tests.helpers import (
    PROGRAMME,
    accredited_provider,
    build_world,
    created,
    days_from_today,
    post_raw,
    problem,
)

# (field, value or MISSING) -> the micro-credential body with that one defect
MISSING = object()


def programme_with(provider_id: str, field: str, value: object) -> dict:
    body = {**PROGRAMME, "provider_id": provider_id}
    if value is MISSING:
        del body[field]
    else:
        body[field] = value
    return body


PROGRAMME_DEFECTS = {
    "eqf_level zero": ("eqf_level", 0),
    "eqf_level nine": ("eqf_level", 9),
    "eqf_level as a string": ("eqf_level", "5"),
    "zero ects": ("ects", 0),
    "negative ects": ("ects", -5.0),
    "ects as a string": ("ects", "5"),
    "no learning outcomes": ("learning_outcomes", []),
    "an empty learning outcome": ("learning_outcomes", [""]),
    "learning outcomes as a string": ("learning_outcomes", "Interpret statistics"),
    "empty title": ("title", ""),
    "blank title": ("title", "   "),
    "title as a list": ("title", ["Data Literacy"]),
    "title as a number": ("title", 42),
    "unknown participation form": ("participation_form", "hybrid"),
    "missing title": ("title", MISSING),
    "missing ects": ("ects", MISSING),
    "missing quality assurance": ("quality_assurance", MISSING),
    "an unknown field": ("colour", "blue"),
}


def assert_invalid(response, field: str) -> None:
    body = problem(response, 422)
    assert field in response.text, body


def test_the_valid_programme_body_is_accepted(api):
    # The control for the cases below: each differs from this body in one field only.
    provider_id = accredited_provider(api)
    response = api.as_("provider", provider_id).post("/v1/microcredentials",
                                                     {**PROGRAMME, "provider_id": provider_id})
    assert created(response)["status"] == "submitted"


def test_a_programme_body_failing_validation_is_422(api, subtests):
    provider_id = accredited_provider(api)
    caller = api.as_("provider", provider_id)
    for defect, (field, value) in PROGRAMME_DEFECTS.items():
        with subtests.test(defect):
            body = programme_with(provider_id, field, value)
            assert_invalid(caller.post("/v1/microcredentials", body), field)


PROVIDER = {"name": "Georgian Technical University", "country": "GE", "kind": "higher_education"}
PROVIDER_DEFECTS = {
    "country name": ("country", "Georgia"),
    "lower-case country": ("country", "ge"),
    "one-letter country": ("country", "G"),
    "numeric country": ("country", "268"),
    "unknown kind": ("kind", "university"),
    "empty name": ("name", ""),
    "missing name": ("name", MISSING),
    "an unknown field": ("website", "https://gtu.ge"),
}


def test_a_provider_body_failing_validation_is_422(api, subtests):
    for defect, (field, value) in PROVIDER_DEFECTS.items():
        with subtests.test(defect):
            body = {k: v for k, v in PROVIDER.items() if k != field}
            if value is not MISSING:
                body[field] = value
            assert_invalid(api.as_("admin").post("/v1/providers", body), field)


def test_a_provider_country_must_be_an_assigned_iso_3166_code(api):
    # "ZZ" and "XX" match [A-Z]{2} but are user-assigned, not ISO 3166-1 countries.
    for country in ("ZZ", "XX"):
        assert_invalid(api.as_("admin").post("/v1/providers", {**PROVIDER, "country": country}),
                       "country")


def test_a_bad_date_is_422(api, subtests):
    world = build_world(api)
    for bad_date in ("2024-13-01", "2024-02-30", "yesterday", "", 20240101):
        with subtests.test(bad_date=bad_date):
            accreditation = {"valid_from": bad_date, "valid_until": "2030-12-31"}
            assert_invalid(world.qa.post(f"/v1/providers/{world.provider_id}/accreditations",
                                         accreditation), "valid_from")
            award = {"learner_id": world.learner_id, "microcredential_id": world.programme_id,
                     "awarded_on": bad_date}
            assert_invalid(world.provider.post("/v1/credentials", award), "awarded_on")
            approval = {"review_due": bad_date}
            assert_invalid(world.qa.post(f"/v1/microcredentials/{world.programme_id}/approve",
                                         approval), "review_due")


OTHER_DEFECTS = [
    ("/v1/credentials", {"microcredential_id": "x", "awarded_on": "2025-03-01"}, "learner_id"),
    ("/v1/credentials", {"learner_id": "x", "microcredential_id": "x",
                         "awarded_on": "2025-03-01", "grade": ["A"]}, "grade"),
    ("/v1/credentials", {"learner_id": "x", "microcredential_id": "x",
                         "awarded_on": "2025-03-01", "signature": "x"}, "signature"),
    ("/v1/learners", {"given_name": "Nino", "family_name": "Beridze"}, "birth_date"),
    ("/v1/learners", {"given_name": "", "family_name": "Beridze",
                      "birth_date": "2001-05-17"}, "given_name"),
    ("/v1/learners", {"given_name": "Nino", "family_name": "Beridze",
                      "birth_date": "2001-05-17", "email": "not-an-address"}, "email"),
    ("/v1/pathways", {"provider_id": "x", "title": "P", "components": []}, "components"),
    ("/v1/pathways", {"provider_id": "x", "title": "P", "components": ["a"],
                      "min_components": 0}, "min_components"),
    ("/v1/recognitions", {"credential_id": "x", "decision": "maybe", "toward": "BSc"},
     "decision"),
    ("/v1/stacks", {"learner_id": "x", "pathway_id": "x", "component_ids": "a",
                    "awarded_on": "2025-03-01"}, "component_ids"),
]


def test_other_bodies_failing_validation_are_422(api, subtests):
    caller = api.as_("provider", str(uuid.uuid4()))
    for path, body, field in OTHER_DEFECTS:
        with subtests.test(path=path, field=field):
            assert_invalid(caller.post(path, body), field)


@pytest.mark.parametrize("path", [
    "/v1/microcredentials/{programme}/reject",
    "/v1/credentials/{credential}/revoke",
])
def test_a_missing_or_empty_reason_is_422(api, path):
    world = build_world(api)
    issued = world.issue()
    url = path.format(programme=world.programme_id, credential=issued["id"])
    caller = world.qa
    assert_invalid(caller.post(url, {}), "reason")
    assert_invalid(caller.post(url, {"reason": "  "}), "reason")


def test_an_award_dated_in_the_future_breaks_a_rule_rather_than_the_shape(api):
    world = build_world(api)
    body = {"learner_id": world.learner_id, "microcredential_id": world.programme_id,
            "awarded_on": days_from_today(1)}
    detail = problem(world.provider.post("/v1/credentials", body), 409)["detail"]
    assert "future" in detail


def test_a_malformed_json_body_is_422(api):
    provider_id = accredited_provider(api)
    caller = api.as_("provider", provider_id)
    problem(post_raw(caller, "/v1/microcredentials", b'{"title": "Data Literacy",'), 422)
    problem(post_raw(api.as_("admin"), "/v1/providers", b"not json at all"), 422)


def test_a_body_that_is_not_an_object_is_422(api):
    problem(api.as_("admin").post("/v1/providers", ["Georgian Technical University"]), 422)


# -- unknown ids, missing and bad tokens ----------------------------------------------------

UNKNOWN = str(uuid.uuid4())


UNKNOWN_WRITES = [
    ("qa_body", f"/v1/providers/{UNKNOWN}/accreditations",
     {"valid_from": "2020-01-01", "valid_until": "2030-12-31"}),
    ("qa_body", f"/v1/providers/{UNKNOWN}/accreditations/withdraw",
     {"reason": "x", "effective_on": "2025-01-01"}),
    ("qa_body", "/v1/providers/not-a-uuid/accreditations",
     {"valid_from": "2020-01-01", "valid_until": "2030-12-31"}),
    ("qa_body", f"/v1/microcredentials/{UNKNOWN}/approve", {"review_due": "2026-12-31"}),
    ("qa_body", f"/v1/microcredentials/{UNKNOWN}/reject", {"reason": "x"}),
    ("qa_body", f"/v1/credentials/{UNKNOWN}/revoke", {"reason": "x"}),
    ("qa_body", f"/v1/credentials/{UNKNOWN}/suspend", {"reason": "x"}),
    ("qa_body", "/v1/credentials/not-a-uuid/reinstate", {"reason": "x"}),
]


def test_an_unknown_id_in_the_path_of_a_write_is_404(api, subtests):
    for role, path, body in UNKNOWN_WRITES:
        with subtests.test(path=path):
            problem(api.as_(role).post(path, body), 404)


def test_an_unknown_id_in_the_path_of_a_read_is_404(api):
    problem(api.as_("auditor").get(f"/v1/learners/{UNKNOWN}/transcript"), 404)
    problem(api.as_("auditor").get("/v1/learners/not-a-uuid/transcript"), 404)
    problem(api.anonymous().get(f"/v1/verify/{UNKNOWN}"), 404)


def test_an_unknown_id_in_a_body_is_404(api):
    world = build_world(api)
    body = {"learner_id": world.learner_id, "microcredential_id": UNKNOWN,
            "awarded_on": "2025-03-01"}
    problem(world.provider.post("/v1/credentials", body), 404)
    problem(world.provider.post("/v1/credentials", {**body, "learner_id": UNKNOWN,
                                                    "microcredential_id": world.programme_id}),
            404)


def test_a_missing_token_is_401(api, subtests):
    for method, path in (("POST", "/v1/providers"), ("POST", "/v1/credentials"),
                         ("GET", f"/v1/learners/{UNKNOWN}/transcript")):
        with subtests.test(method=method, path=path):
            response = api.http.request(method, path,
                                        json=PROVIDER if method == "POST" else None)
            problem(response, 401)
            assert response.headers["www-authenticate"].lower().startswith("bearer")


def test_a_garbage_token_is_401(api, subtests):
    for authorization in ("Bearer not-a-real-token", "Bearer", "Basic dXNlcjpwYXNz",
                          "not-even-a-scheme"):
        with subtests.test(authorization=authorization):
            response = api.http.post("/v1/providers", json=PROVIDER,
                                     headers={"Authorization": authorization})
            problem(response, 401)


def test_a_token_is_checked_before_the_body(api):
    problem(api.http.post("/v1/providers", json={"country": "nowhere"}), 401)
