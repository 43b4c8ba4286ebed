"""Access grants: the learner lets a provider or a recognition body read the whole record for a
while; expiry is decided at read time by the ledger's clock (moved here, never waited for)."""

from datetime import UTC, datetime, timedelta

from tests.helpers import (
    Api,
    World,
    accredited_provider,
    approved_programme,
    build_world,
    count_events,
    created,
    problem,
    transcript_of,
)

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def at(api: Api, moment: datetime) -> None:
    """Set the ledger's clock (the calendar the committer and the reads share)."""
    api.ledger.calendar.clock = lambda: moment


def two_providers(api: Api) -> tuple[World, str, str, str]:
    """A learner holding a credential from provider A (the world's) and one from B."""
    at(api, NOW)
    world = build_world(api)
    own = world.issue()["id"]
    other_provider = accredited_provider(api, name="Georgian Technical University")
    other_programme = approved_programme(api, other_provider)
    body = {"learner_id": world.learner_id, "microcredential_id": other_programme,
            "awarded_on": "2025-04-01"}
    other = created(api.as_("provider", other_provider).post("/v1/credentials", body))
    return world, own, other["id"], other_provider


def ids(transcript: dict) -> set[str]:
    return {c["id"] for c in transcript["credentials"]}


def test_a_grant_widens_the_providers_view_until_it_expires(api):
    world, own, other, _ = two_providers(api)
    provider_a = world.provider
    seen = transcript_of(provider_a, world.learner_id, 0)
    assert ids(seen) == {own}

    grant = created(world.learner.post(f"/v1/learners/{world.learner_id}/grants", {
        "grantee_id": world.provider_id, "until": (NOW + timedelta(days=7)).isoformat(),
        "note": "for my master's application"}))
    assert grant["state"] == "active" and grant["grantee_kind"] == "provider"
    assert ids(transcript_of(provider_a, world.learner_id, grant["position"])) == {own, other}

    at(api, NOW + timedelta(days=7))  # `until` is exclusive: expired at that instant
    assert ids(transcript_of(provider_a, world.learner_id, 0)) == {own}
    listed = created(world.learner.get(f"/v1/learners/{world.learner_id}/grants"), 200)
    assert [(g["id"], g["state"], g["note"]) for g in listed["grants"]] == [
        (grant["id"], "expired", "for my master's application")]


def test_revoking_a_grant_ends_it_at_once_and_twice_records_once(api):
    world, own, other, _ = two_providers(api)
    path = f"/v1/learners/{world.learner_id}/grants"
    grant = created(world.learner.post(path, {
        "grantee_id": world.provider_id, "until": (NOW + timedelta(days=30)).isoformat()}))
    assert ids(transcript_of(world.provider, world.learner_id, grant["position"])) == {
        own, other}
    for _ in range(2):
        revoked = created(world.learner.post(f"{path}/{grant['id']}/revoke", {}), 200)
        assert revoked["state"] == "revoked"
    assert count_events(api.ledger, "AccessRevoked") == 1
    assert ids(transcript_of(world.provider, world.learner_id, revoked["position"])) == {own}
    listed = created(world.learner.get(path), 200)["grants"]
    assert [g["state"] for g in listed] == ["revoked"]


def test_a_recognition_body_reads_the_transcript_only_under_a_grant(api):
    world, own, other, _ = two_providers(api)
    centre = created(world.qa.post("/v1/providers", {
        "name": "ENIC-NARIC Georgia", "country": "GE", "kind": "recognition_body"}))["id"]
    officer = api.as_("recognition_body", centre)
    problem(officer.get(f"/v1/learners/{world.learner_id}/transcript"), 403)
    grant = created(world.learner.post(f"/v1/learners/{world.learner_id}/grants", {
        "grantee_id": centre, "until": (NOW + timedelta(days=14)).isoformat()}))
    assert grant["grantee_kind"] == "recognition_body"
    assert ids(transcript_of(officer, world.learner_id, grant["position"])) == {own, other}
    at(api, NOW + timedelta(days=15))
    problem(officer.get(f"/v1/learners/{world.learner_id}/transcript"), 403)


def test_grant_rules(api):
    world, *_ = two_providers(api)
    path = f"/v1/learners/{world.learner_id}/grants"
    soon = (NOW + timedelta(days=1)).isoformat()
    problem(world.learner.post(path, {"grantee_id": world.provider_id,
                                      "until": (NOW - timedelta(minutes=1)).isoformat()}), 409)
    problem(world.learner.post(path, {"grantee_id": world.provider_id,
                                      "until": (NOW + timedelta(days=400)).isoformat()}), 409)
    problem(world.learner.post(path, {"grantee_id": world.provider_id,
                                      "until": "2026-06-02T10:00:00"}), 422)  # no offset
    problem(world.learner.post(path, {"grantee_id": "no-such-organisation", "until": soon}),
            404)
    problem(world.provider.post(path, {"grantee_id": world.provider_id, "until": soon}), 403)
    other = api.as_("learner", world.new_learner())
    problem(other.post(path, {"grantee_id": world.provider_id, "until": soon}), 403)
    problem(world.provider.get(path), 403)
    problem(world.learner.post(f"{path}/no-such-grant/revoke", {}), 404)
    assert count_events(api.ledger, "AccessGranted") == 0


def test_the_grant_note_stays_out_of_the_events_and_is_stored_sealed(api):
    world, *_ = two_providers(api)
    note = "ნინო ბერიძე asks for recognition"
    grant = created(world.learner.post(f"/v1/learners/{world.learner_id}/grants", {
        "grantee_id": world.provider_id, "until": (NOW + timedelta(days=3)).isoformat(),
        "note": note}))
    table = api.ledger.app.recorder.events_table_name
    states = b"\n".join(bytes(r["state"]) for r in
                        api.ledger.database.query(f"SELECT state FROM {table}"))
    assert note.encode() not in states and "ნინო".encode() not in states
    assert count_events(api.ledger, "AccessGranted") == 1
    stored = str([dict(r) for r in api.ledger.database.query("SELECT * FROM access_grant_notes")])
    assert "ნინო" not in stored and "recognition" not in stored  # sealed
    listed = created(world.learner.get(f"/v1/learners/{world.learner_id}/grants",
                                       min_position=grant["position"]), 200)
    assert listed["grants"][0]["note"] == note
