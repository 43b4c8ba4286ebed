"""Pathways, stacks of component credentials and the revocation cascade over real HTTP."""

import pytest

from tests.helpers import (
    build_world,
    created,
    credential_in,
    define_pathway,
    problem,
    transcript_of,
)
from tests.status_bits import served_bit, status_entries


def _programmes(world, count: int) -> list[str]:
    titles = ["Open Data Publishing", "Statistical Disclosure Control"]
    return [world.programme_id] + [world.programme(title=t) for t in titles[:count - 1]]


def _components(world, programmes: list[str], learner_id: str | None = None) -> list[str]:
    return [world.issue(programme_id=p, learner_id=learner_id)["id"] for p in programmes]


def _stack(world, pathway_id: str, component_ids: list[str], learner_id: str | None = None):
    return world.provider.post("/v1/stacks", {
        "learner_id": learner_id or world.learner_id, "pathway_id": pathway_id,
        "component_ids": component_ids, "awarded_on": "2025-06-01"})


def _stacked_world(api):
    """A learner holding an active stack of two components along an all-of pathway."""
    world = build_world(api)
    programmes = _programmes(world, 2)
    pathway_id = define_pathway(world, programmes)
    components = _components(world, programmes)
    stack = created(_stack(world, pathway_id, components))
    return world, components, {**stack, "pathway_id": pathway_id}


def test_components_along_an_all_of_pathway_stack_into_an_active_credential(api):
    world, components, stack = _stacked_world(api)
    assert stack["status"] == "active"
    assert stack["components"] == components
    assert isinstance(stack["position"], int) and stack["position"] > 0
    transcript = transcript_of(world.learner, world.learner_id, stack["position"])
    stacked = credential_in(transcript, stack["id"])
    assert stacked["status"] == "active"
    assert stacked["components"] == components
    assert stacked["ects"] == 10.0
    assert stacked["provider_id"] == world.provider_id
    assert [h["event"] for h in stacked["history"]] == ["CredentialStacked"]
    for component_id in components:
        assert credential_in(transcript, component_id)["part_of"] == [stack["id"]]


def test_pathway_may_list_three_programmes_of_one_provider(api):
    world = build_world(api)
    programmes = _programmes(world, 3)
    pathway_id = define_pathway(world, programmes)
    stack = created(_stack(world, pathway_id, _components(world, programmes)))
    assert len(stack["components"]) == 3


def test_revoked_component_cannot_be_stacked(api):
    world = build_world(api)
    programmes = _programmes(world, 2)
    pathway_id = define_pathway(world, programmes)
    components = _components(world, programmes)
    created(world.provider.post(f"/v1/credentials/{components[0]}/revoke", {"reason": "Fraud"}),
            200)
    problem(_stack(world, pathway_id, components), 409)


def test_suspended_component_cannot_be_stacked(api):
    world = build_world(api)
    programmes = _programmes(world, 2)
    pathway_id = define_pathway(world, programmes)
    components = _components(world, programmes)
    created(world.provider.post(f"/v1/credentials/{components[1]}/suspend",
                                {"reason": "Under investigation"}), 200)
    problem(_stack(world, pathway_id, components), 409)


def test_another_learners_credential_cannot_be_stacked(api):
    world = build_world(api)
    programmes = _programmes(world, 2)
    pathway_id = define_pathway(world, programmes)
    other_learner = world.new_learner(given_name="გიორგი")
    mine = world.issue(programme_id=programmes[0])["id"]
    theirs = world.issue(programme_id=programmes[1], learner_id=other_learner)["id"]
    problem(_stack(world, pathway_id, [mine, theirs]), 409)


def test_component_already_in_a_stack_of_the_same_pathway_cannot_be_stacked_again(api):
    world, components, stack = _stacked_world(api)
    problem(_stack(world, stack["pathway_id"], components), 409)
    # The exclusivity is per pathway: another pathway may use the same components.
    other_pathway = define_pathway(world, _programmes(world, 1))
    created(_stack(world, other_pathway, components[:1]))


def test_pathway_minimum_ects_must_be_met(api):
    world = build_world(api)
    programmes = _programmes(world, 3)  # 5 ECTS each
    pathway_id = define_pathway(world, programmes, min_ects=12.0)
    components = _components(world, programmes)
    problem(_stack(world, pathway_id, components[:2]), 409)
    created(_stack(world, pathway_id, components))


def test_pathway_minimum_number_of_components_must_be_met(api):
    world = build_world(api)
    programmes = _programmes(world, 3)
    pathway_id = define_pathway(world, programmes, min_components=2)
    components = _components(world, programmes)
    problem(_stack(world, pathway_id, components[:1]), 409)
    created(_stack(world, pathway_id, components[:2]))


def test_all_of_pathway_needs_a_component_for_each_programme(api):
    world = build_world(api)
    programmes = _programmes(world, 3)
    pathway_id = define_pathway(world, programmes)
    components = _components(world, programmes)
    problem(_stack(world, pathway_id, components[:2]), 409)


def test_revoking_a_component_puts_its_stack_under_review_in_the_same_save(api):
    world, components, stack = _stacked_world(api)
    revoked = created(world.provider.post(f"/v1/credentials/{components[0]}/revoke",
                                          {"reason": "Assessment malpractice"}), 200)
    assert revoked["status"] == "revoked"
    transcript = transcript_of(world.learner, world.learner_id, revoked["position"])
    stacked = credential_in(transcript, stack["id"])
    assert stacked["status"] == "under_review"
    review = stacked["history"][-1]
    assert review["event"] == "StackPutUnderReview"
    assert review["cause"] == components[0]
    revocation = credential_in(transcript, components[0])["history"][-1]
    assert revocation["event"] == "CredentialRevoked"
    # Observed: positions are per event. The revocation and the cascade are two consecutive
    # events of one save (one transaction); the response's position is the last of them,
    # the stack's StackPutUnderReview, and the revocation sits just before it.
    assert review["position"] == revoked["position"]
    assert revocation["position"] == revoked["position"] - 1
    assert credential_in(transcript, components[1])["status"] == "active"


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)  # the lists' bits, not the store
def test_a_stack_under_review_has_its_suspension_bit_set_until_the_review_ends(api):
    world, components, stack = _stacked_world(api)
    public = api.anonymous()
    entries = status_entries(public, stack["id"], stack["position"])
    assert not served_bit(public, entries["suspension"])
    revoked = created(world.provider.post(f"/v1/credentials/{components[0]}/revoke",
                                          {"reason": "Assessment malpractice"}), 200)
    entries = status_entries(public, stack["id"], revoked["position"])
    assert served_bit(public, entries["suspension"]), "a stack under review is not to be relied on"
    assert not served_bit(public, entries["revocation"])
    # The issuer ends the review by reinstating the stack: its suspension bit is cleared.
    reinstated = created(world.provider.post(f"/v1/credentials/{stack['id']}/reinstate",
                                             {"reason": "Outcomes met by other evidence"}), 200)
    entries = status_entries(public, stack["id"], reinstated["position"])
    assert not served_bit(public, entries["suspension"])
    assert not served_bit(public, entries["revocation"])


def test_issuer_may_revoke_a_stack_under_review(api):
    world, components, stack = _stacked_world(api)
    created(world.provider.post(f"/v1/credentials/{components[0]}/revoke",
                                {"reason": "Assessment malpractice"}), 200)
    revoked = created(world.provider.post(f"/v1/credentials/{stack['id']}/revoke",
                                          {"reason": "A component was revoked"}), 200)
    assert revoked["status"] == "revoked"
    stacked = credential_in(transcript_of(world.learner, world.learner_id, revoked["position"]),
                            stack["id"])
    assert stacked["status"] == "revoked"
    assert [h["event"] for h in stacked["history"]] == [
        "CredentialStacked", "StackPutUnderReview", "CredentialRevoked"]


def test_issuer_may_reinstate_a_stack_under_review(api):
    world, components, stack = _stacked_world(api)
    created(world.provider.post(f"/v1/credentials/{components[0]}/revoke",
                                {"reason": "Assessment malpractice"}), 200)
    reinstated = created(world.provider.post(f"/v1/credentials/{stack['id']}/reinstate",
                                             {"reason": "Outcomes met by other evidence"}), 200)
    assert reinstated["status"] == "active"
    transcript = transcript_of(world.learner, world.learner_id, reinstated["position"])
    assert credential_in(transcript, stack["id"])["status"] == "active"
    assert credential_in(transcript, components[0])["status"] == "revoked"
