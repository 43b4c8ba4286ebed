"""The walking skeleton over real HTTP, on SQLite and PostgreSQL."""

from tests.helpers import build_world


def test_issued_credential_appears_in_the_learners_transcript(api):
    world = build_world(api)
    issued = world.issue()
    transcript = world.learner.get(f"/v1/learners/{world.learner_id}/transcript",
                                   min_position=issued["position"])
    assert transcript.status_code == 200, transcript.text
    body = transcript.json()
    assert [c["id"] for c in body["credentials"]] == [issued["id"]]
    assert body["credentials"][0]["status"] == "active"
    assert body["learner"]["given_name"] == "ნინო"
    assert body["position"] >= issued["position"]
