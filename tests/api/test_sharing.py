"""A learner decides which credentials anyone may fetch: sharing is recorded as events."""

from tests.helpers import build_world, count_events, created, credential_in, problem, transcript_of


def test_learner_shares_and_unshares_a_credential(api):
    world = build_world(api)
    credential_id = world.issue()["id"]
    shared = created(world.learner.post(f"/v1/credentials/{credential_id}/share",
                                        {"shared": True}), 200)
    assert shared["shared"] is True
    transcript = transcript_of(world.learner, world.learner_id, shared["position"])
    assert credential_in(transcript, credential_id)["shared"] is True

    unshared = created(world.learner.post(f"/v1/credentials/{credential_id}/share",
                                          {"shared": False}), 200)
    transcript = transcript_of(world.learner, world.learner_id, unshared["position"])
    assert credential_in(transcript, credential_id)["shared"] is False


def test_sharing_twice_records_one_event(api):
    world = build_world(api)
    credential_id = world.issue()["id"]
    for _ in range(2):
        created(world.learner.post(f"/v1/credentials/{credential_id}/share", {}), 200)
    assert count_events(api.ledger, "CredentialShared") == 1


def test_only_the_learner_may_share(api):
    world = build_world(api)
    credential_id = world.issue()["id"]
    problem(world.provider.post(f"/v1/credentials/{credential_id}/share", {}), 403)
    other = api.as_("learner", world.new_learner())
    problem(other.post(f"/v1/credentials/{credential_id}/share", {}), 403)
    problem(world.learner.post("/v1/credentials/no-such-credential/share", {}), 404)
