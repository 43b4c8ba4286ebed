"""Share links: a learner's link to chosen credentials (or the whole record) opens a public
page and its JSON form; 410 after expiry or revocation, 404 when unknown; the secret is
stored nowhere, only its keyed digest."""

from datetime import timedelta

import httpx

from tests.api.test_access_grants import NOW, at, two_providers
from tests.helpers import created, problem

HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}


def make_link(world, **body):
    path = f"/v1/learners/{world.learner_id}/share-links"
    body = {"audience": "Employer: Bank of Georgia",
            "expires_at": (NOW + timedelta(days=10)).isoformat(), **body}
    return created(world.learner.post(path, body))


def opened(api, secret: str, headers: dict, suffix: str = "") -> httpx.Response:
    return api.http.get(f"/shared/{secret}{suffix}", headers=headers)


def test_a_link_shows_only_the_chosen_credentials_as_a_page_and_as_json(api):
    world, own, other, _ = two_providers(api)
    link = make_link(world, credential_ids=[own])
    assert link["state"] == "active" and link["credential_ids"] == [own]
    assert link["url"].endswith(f"/shared/{link['secret']}")
    assert len(link["secret"]) >= 43  # 256 random bits, base64url

    page = opened(api, link["secret"], HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert own in page.text and other not in page.text
    assert "Employer: Bank of Georgia" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-robots-tag"] == "noindex"

    for response in (opened(api, link["secret"], {}, ".json"),
                     opened(api, link["secret"], JSON)):
        assert response.status_code == 200, response.text
        body = response.json()
        assert [c["id"] for c in body["credentials"]] == [own]
        shared = body["credentials"][0]
        assert shared["verification"]["credential_id"] == own
        assert "AchievementCredential" in shared["document"]["type"]
        assert shared["document"]["proof"]


def test_a_whole_record_link_shows_every_credential(api):
    world, own, other, _ = two_providers(api)
    link = make_link(world)  # no credential_ids: the whole record
    assert link["whole_record"] is True
    body = opened(api, link["secret"], JSON).json()
    assert {c["id"] for c in body["credentials"]} == {own, other}


def test_revoked_expired_and_unknown_links(api):
    world, own, *_ = two_providers(api)
    revoked, expiring = make_link(world, credential_ids=[own]), make_link(world)
    created(world.learner.post(
        f"/v1/learners/{world.learner_id}/share-links/{revoked['id']}/revoke", {}), 200)
    at(api, NOW + timedelta(days=10))
    for link in (revoked, expiring):
        page = opened(api, link["secret"], HTML)
        assert page.status_code == 410 and page.headers["content-type"].startswith("text/html")
        problem(opened(api, link["secret"], {}, ".json"), 410)
        problem(opened(api, link["secret"], JSON), 410)
    unknown = "A" * 43
    page = opened(api, unknown, HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    problem(opened(api, unknown, {}, ".json"), 404)
    listed = created(world.learner.get(f"/v1/learners/{world.learner_id}/share-links"), 200)
    assert {(l_["id"], l_["state"]) for l_ in listed["links"]} == {
        (revoked["id"], "revoked"), (expiring["id"], "expired")}
    assert all("secret" not in l_ or l_["secret"] is None for l_ in listed["links"])


def test_link_rules(api):
    world, *_ = two_providers(api)
    path = f"/v1/learners/{world.learner_id}/share-links"
    later = (NOW + timedelta(days=1)).isoformat()
    problem(world.learner.post(path, {"audience": "x", "expires_at": NOW.isoformat()}), 409)
    problem(world.learner.post(path, {"audience": "x", "expires_at":
                                      (NOW + timedelta(days=400)).isoformat()}), 409)
    problem(world.learner.post(path, {"audience": "", "expires_at": later}), 422)
    stranger = world.issue(learner_id=world.new_learner())["id"]
    problem(world.learner.post(path, {"audience": "x", "expires_at": later,
                                      "credential_ids": [stranger]}), 404)
    problem(world.provider.post(path, {"audience": "x", "expires_at": later}), 403)
    problem(world.provider.get(path), 403)
    link = make_link(world)
    other_learner = api.as_("learner", world.new_learner())
    problem(other_learner.post(f"{path}/{link['id']}/revoke", {}), 403)
    problem(world.learner.post(f"{path}/no-such-link/revoke", {}), 404)


def test_the_secret_and_the_audience_are_stored_nowhere_in_the_clear(api):
    world, *_ = two_providers(api)
    link = make_link(world, audience="for Giorgi Maisuradze at TSU")
    opened(api, link["secret"], JSON)
    table = api.ledger.app.recorder.events_table_name
    states = b"\n".join(bytes(r["state"]) for r in
                        api.ledger.database.query(f"SELECT state FROM {table}"))
    assert b"Giorgi" not in states and link["secret"].encode() not in states
    rows = api.ledger.database.query("SELECT * FROM share_links")
    assert len(rows) == 1
    stored = " ".join(str(value) for row in rows for value in dict(row).values())
    assert link["secret"] not in stored and "Giorgi" not in stored  # the label is sealed
    listed = created(world.learner.get(f"/v1/learners/{world.learner_id}/share-links"), 200)
    assert listed["links"][0]["audience"] == "for Giorgi Maisuradze at TSU"
    for table in ("disclosures", "idempotency_keys"):
        dumped = str([dict(r) for r in api.ledger.database.query(f"SELECT * FROM {table}")])
        assert link["secret"] not in dumped


def test_erasure_removes_the_learners_links_and_grant_notes(api):
    world, own, *_ = two_providers(api)
    link = make_link(world, credential_ids=[own])
    created(world.learner.post(f"/v1/learners/{world.learner_id}/grants", {
        "grantee_id": world.provider_id, "until": (NOW + timedelta(days=3)).isoformat(),
        "note": "a note"}))
    created(api.as_("admin").post(f"/v1/learners/{world.learner_id}/erase",
                                  {"reason": "data_subject_request"}), 200)
    for table in ("share_links", "access_grant_notes"):
        assert api.ledger.database.query(f"SELECT * FROM {table}") == [], table
    problem(opened(api, link["secret"], JSON), 404)
