"""Bitstring Status Lists served over HTTP (SQLite and PostgreSQL): a revocation sets its bit,
a suspension lifted clears its bit, and every list is signed by the ledger's own key."""

from urllib.parse import urlparse

from ledger.signing import data_integrity
from ledger.standards import Standards
from ledger.status_lists import StatusLists, bit_set, bitstring, decode
from ledger.status_permutation import LIST_SIZE
from tests.helpers import Api, World, build_world, created, problem
from tests.status_bits import INDEXES_7_8_127, ONLY_INDEX_0, decode_list, ones, served_bits


def status_entries(world: World, credential_id: str, position: int) -> dict[str, dict]:
    """The credential's status entries by purpose, as public verification reports them."""
    response = world.api.anonymous().get(f"/v1/verify/{credential_id}", min_position=position)
    assert response.status_code == 200, response.text
    return {e["statusPurpose"]: e for e in response.json()["credential_status"]}


def served_list(api: Api, entry: dict) -> dict:
    response = api.anonymous().get(urlparse(entry["statusListCredential"]).path)
    assert response.status_code == 200, response.text
    return response.json()


def bit(api: Api, entry: dict) -> bool:
    """The entry's bit in the served list, read by the specification (tests/status_bits.py),
    not by the ledger's own decoder, which could share a wrong bit order with its encoder."""
    bits = served_bits(api.anonymous(), entry)
    assert len(bits) * 8 == LIST_SIZE
    return int(entry["statusListIndex"]) in ones(bits)


def change(world: World, credential_id: str, action: str) -> int:
    response = world.provider.post(f"/v1/credentials/{credential_id}/{action}",
                                   {"reason": f"{action} for the test"})
    return created(response, 200)["position"]


def test_the_independent_decoder_gives_the_known_answers():
    assert decode_list(ONLY_INDEX_0)[:2] == b"\x80\x00"
    assert ones(decode_list(ONLY_INDEX_0)) == [0]
    assert ones(decode_list(INDEXES_7_8_127)) == [7, 8, 127]
    # The ledger's encoder and decoder agree with it.
    assert ones(decode(ONLY_INDEX_0)) == [0]
    assert decode_list(INDEXES_7_8_127) == bitstring([7, 8, 127], 128)
    assert [i for i in range(128) if bit_set(decode_list(INDEXES_7_8_127), i)] == [7, 8, 127]


def test_a_revocation_sets_its_bit_in_the_revocation_list(api: Api):
    world = build_world(api)
    kept, revoked = world.issue(), world.issue(awarded_on="2025-03-02")
    position = change(world, revoked["id"], "revoke")
    revoked_entries = status_entries(world, revoked["id"], position)
    kept_entries = status_entries(world, kept["id"], position)
    assert bit(api, revoked_entries["revocation"]) is True
    assert bit(api, kept_entries["revocation"]) is False
    assert bit(api, revoked_entries["suspension"]) is False
    # Exactly that bit, at the index recorded for the credential.
    index = api.ledger.read_models.get("status", revoked["id"])["status_index"]
    assert ones(served_bits(api.anonymous(), revoked_entries["revocation"])) == [
        index % LIST_SIZE]


def test_suspended_then_reinstated_ends_with_the_suspension_bit_clear(api: Api):
    world = build_world(api)
    issued = world.issue()
    entries = status_entries(world, issued["id"], change(world, issued["id"], "suspend"))
    assert bit(api, entries["suspension"]) is True
    assert ones(served_bits(api.anonymous(), entries["suspension"])) == [
        int(entries["suspension"]["statusListIndex"])]
    status_entries(world, issued["id"], change(world, issued["id"], "reinstate"))
    assert bit(api, entries["suspension"]) is False
    assert bit(api, entries["revocation"]) is False


def test_a_status_list_is_a_signed_bitstring_status_list_credential(api: Api):
    world = build_world(api)
    issued = world.issue()
    entry = status_entries(world, issued["id"], issued["position"])["revocation"]
    listed = served_list(api, entry)
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listed["id"] == entry["statusListCredential"]
    assert listed["credentialSubject"]["statusPurpose"] == "revocation"
    assert listed["credentialSubject"]["encodedList"].startswith("u")
    ledger_key = api.ledger.keys.current("ledger")
    assert listed["issuer"] == ledger_key.did == api.ledger.urls.did("ledger")
    [check] = data_integrity.verify(listed, api.ledger.standards)
    assert check.valid and check.verification_method == ledger_key.verification_method


def test_entries_point_at_the_index_recorded_for_the_credential(api: Api):
    world = build_world(api)
    issued = world.issue()
    entries = status_entries(world, issued["id"], issued["position"])
    index = api.ledger.read_models.get("status", issued["id"])["status_index"]
    transcript = api.ledger.read_models.get("transcripts", issued["id"])
    assert transcript["status_index"] == index
    for purpose, entry in entries.items():
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["statusPurpose"] == purpose
        assert entry["statusListIndex"] == str(index % LIST_SIZE)
        assert entry["statusListCredential"].endswith(
            f"/v1/status-lists/{purpose}-{index // LIST_SIZE}")
        assert entry["id"] == f"{entry['statusListCredential']}#{entry['statusListIndex']}"


def test_unknown_or_malformed_list_ids_are_not_found(api: Api):
    build_world(api).issue()
    for list_id in ("revocation-99", "suspension-7", "refresh-0", "revocation-01", "x"):
        problem(api.anonymous().get(f"/v1/status-lists/{list_id}"), 404)


def test_the_same_list_state_is_served_as_the_same_bytes(api: Api):
    world = build_world(api)
    issued = world.issue()
    entry = status_entries(world, issued["id"], change(world, issued["id"], "revoke"))[
        "revocation"]
    path = urlparse(entry["statusListCredential"]).path
    first = api.anonymous().get(path).content
    assert api.anonymous().get(path).content == first
    ledger = api.ledger
    uncached = StatusLists(ledger.read_models, ledger.keys, ledger.standards, ledger.urls)
    list_id = path.rsplit("/", 1)[1]
    assert uncached.credential(list_id) == served_list(api, entry)


def test_status_indexes_and_bits_are_the_same_after_a_rebuild(api: Api):
    world = build_world(api)
    issued = [world.issue(awarded_on=f"2025-03-0{day}") for day in (1, 2, 3)]
    change(world, issued[1]["id"], "revoke")
    entries = status_entries(world, issued[1]["id"], change(world, issued[2]["id"], "suspend"))
    before = {c["id"]: api.ledger.read_models.get("status", c["id"]) for c in issued}
    lists_before = [served_list(api, entries[purpose]) for purpose in ("revocation",
                                                                        "suspension")]
    api.ledger.runner.rebuild(["status"])
    after = {c["id"]: api.ledger.read_models.get("status", c["id"]) for c in issued}
    assert after == before
    assert [served_list(api, entries[purpose]) for purpose in ("revocation", "suspension")
            ] == lists_before
    # The indexes come from the issuing events, not from the store positions.
    assert [before[c["id"]]["status_index"] for c in issued] != [c["position"] for c in issued]


def test_a_missing_standards_cache_is_a_503_that_names_the_fix(api: Api, tmp_path, monkeypatch):
    world = build_world(api)
    issued = world.issue()
    status_entries(world, issued["id"], issued["position"])
    monkeypatch.setattr(api.ledger.status_lists, "standards", Standards(tmp_path / "empty"))
    body = problem(api.anonymous().get("/v1/status-lists/revocation-0"), 503)
    assert "ledger standards pull" in body["detail"]


def test_sharing_a_credential_leaves_its_status_list_as_it_was(api: Api):
    world = build_world(api)
    issued = world.issue()
    entry = status_entries(world, issued["id"], issued["position"])["revocation"]
    before = served_list(api, entry)
    shared = world.learner.post(f"/v1/credentials/{issued['id']}/share", {"shared": True})
    status_entries(world, issued["id"], created(shared, 200)["position"])
    assert served_list(api, entry) == before


def test_a_status_list_has_an_etag_and_answers_304_until_a_bit_changes(api: Api):
    world = build_world(api)
    issued = world.issue()
    entry = status_entries(world, issued["id"], issued["position"])["revocation"]
    path = urlparse(entry["statusListCredential"]).path
    first = api.http.get(path, headers={"Origin": "https://verifier.example"})
    etag = first.headers["ETag"]
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    again = api.http.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    position = change(world, issued["id"], "revoke")
    changed = api.http.get(path, params={"min_position": position},
                           headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert bit(api, entry) is True
