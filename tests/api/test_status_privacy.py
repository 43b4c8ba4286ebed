"""Status lists that reveal nothing: a credential's index is a keyed pseudo-random slot recorded
in its issuing event, not its issuance order; the lists decode as the W3C specification says
(index 0 is the left-most bit); credentials issued before the change keep their old
(store-position) indexes and still resolve."""

from itertools import pairwise

from ledger.status_lists import bitstring
from ledger.status_permutation import LIST_SIZE
from tests import status_bits
from tests.helpers import Api, build_world, created
from tests.status_bits import ones


def entries_of(api: Api, credential_id: str, position: int) -> dict[str, dict]:
    response = api.anonymous().get(f"/v1/verify/{credential_id}", min_position=position)
    assert response.status_code == 200, response.text
    return {e["statusPurpose"]: e for e in response.json()["credential_status"]}


def served_bits(api: Api, entry: dict) -> bytes:
    """The list's bits, decoded here by the specification (multibase base64url, GZIP) rather
    than by the ledger's own decoder."""
    return status_bits.served_bits(api.anonymous(), entry)


def test_bitstring_known_answers():
    assert bitstring([0], 16) == b"\x80\x00"
    assert bitstring([7, 8], 16) == b"\x01\x80"
    assert bitstring([15], 16) == b"\x00\x01"
    assert ones(bitstring([3, 200, LIST_SIZE - 1])) == [3, 200, LIST_SIZE - 1]


def test_a_revoked_credential_is_the_only_bit_set_at_its_index(api: Api):
    world = build_world(api)
    issued = [world.issue(awarded_on=f"2025-03-0{day}") for day in range(1, 6)]
    revoked = issued[3]
    position = created(world.provider.post(f"/v1/credentials/{revoked['id']}/revoke",
                                           {"reason": "assessment malpractice"}), 200)["position"]
    entry = entries_of(api, revoked["id"], position)["revocation"]
    bits = served_bits(api, entry)
    assert len(bits) == LIST_SIZE // 8
    assert ones(bits) == [int(entry["statusListIndex"])]
    assert ones(served_bits(api, entries_of(api, revoked["id"], position)["suspension"])) == []


def test_consecutive_issuances_do_not_reveal_their_order(api: Api):
    world = build_world(api)
    issued = [world.issue(awarded_on=f"2025-03-{day:02d}") for day in range(1, 13)]
    indexes = [int(entries_of(api, c["id"], c["position"])["revocation"]["statusListIndex"])
               for c in issued]
    assert len(set(indexes)) == len(indexes)
    assert indexes != sorted(indexes) and indexes != sorted(indexes, reverse=True)
    gaps = {b - a for a, b in pairwise(indexes)}
    assert len(gaps) > 1  # not a constant stride either
    assert indexes != [c["position"] % LIST_SIZE for c in issued]


def test_a_credential_issued_before_the_change_keeps_its_position_index(api: Api, monkeypatch):
    world = build_world(api)
    # The code before this change: no index recorded in the event.
    monkeypatch.setattr(api.ledger.committer, "status_indexes", None)
    old = world.issue()
    monkeypatch.undo()
    new = world.issue(awarded_on="2025-03-02")

    old_entry = entries_of(api, old["id"], new["position"])["revocation"]
    assert old_entry["statusListIndex"] == str(old["position"] % LIST_SIZE)
    assert old_entry["statusListCredential"].endswith(
        f"/v1/status-lists/revocation-{old['position'] // LIST_SIZE}")
    # Allocation starts past every old index's list: the two kinds never share a slot.
    new_entry = entries_of(api, new["id"], new["position"])["revocation"]
    assert new_entry["statusListCredential"].endswith(
        f"/v1/status-lists/revocation-{old['position'] // LIST_SIZE + 1}")

    # The old credential's exports and its status still resolve at its old place.
    [exported] = [c for c in world.learner.get(f"/v1/learners/{world.learner_id}/exports/ob3",
                                                min_position=new["position"]).json()
                  if c["id"].endswith(old["id"])]
    status = exported["credentialStatus"]
    assert old_entry in (status if isinstance(status, list) else [status])
    position = created(world.provider.post(f"/v1/credentials/{old['id']}/revoke",
                                           {"reason": "assessment malpractice"}), 200)["position"]
    verdict = api.anonymous().get(f"/v1/verify/{old['id']}", min_position=position).json()
    assert verdict["status"] == "revoked"
    assert ones(served_bits(api, old_entry)) == [old["position"] % LIST_SIZE]
    assert ones(served_bits(api, new_entry)) == []
