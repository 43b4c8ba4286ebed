"""Outside verifiers accept the ledger's signed documents (SQLite and PostgreSQL): Digital
Bazaar's @digitalbazaar/vc (eddsa-rdfc-2022; the issuer must control the proof key) and
check.py proof, both resolving the issuers' did:web DIDs from the served ledger. Key rotation
keeps each issuer's DID, so exports signed before it still verify."""

from urllib.parse import urlparse

from tests.helpers import Api, build_world
from tests.outside_verifier import one_byte_changed, verify_all


def _exports(world, position):
    out = {}
    for kind in ("ob3", "clr"):
        response = world.learner.get(f"/v1/learners/{world.learner_id}/exports/{kind}",
                                     min_position=position)
        assert response.status_code == 200, response.text
        out[kind] = response.json()
    return out


def _documents(api: Api, exports, label: str) -> dict:
    documents = {f"{label} ob3 {i}": c for i, c in enumerate(exports["ob3"])}
    documents[f"{label} clr"] = exports["clr"]
    lists = {urlparse(c["credentialStatus"]["statusListCredential"]).path
             for c in exports["ob3"]}
    for path in sorted(lists):
        response = api.anonymous().get(path)
        assert response.status_code == 200, response.text
        documents[f"{label} list {path}"] = response.json()
    return documents


def test_exports_verify_outside_before_and_after_key_rotation(api: Api, standards):
    world = build_world(api)
    issued = world.issue()
    before = _exports(world, issued["position"])
    ledger = api.ledger
    assert before["ob3"][0]["issuer"]["id"] == ledger.urls.did(world.provider_id)
    assert before["ob3"][0]["issuer"]["url"] == ledger.urls.issuer(world.provider_id)
    assert before["clr"]["issuer"]["id"] == ledger.urls.did("ledger")
    old_provider_key = ledger.keys.current(world.provider_id)
    assert before["ob3"][0]["proof"][0]["verificationMethod"] == \
        old_provider_key.verification_method

    # Rotate both signers, then change the record so that everything is signed anew.
    ledger.keys.rotate(world.provider_id)
    ledger.keys.rotate("ledger")
    revoked = world.provider.post(f"/v1/credentials/{issued['id']}/revoke",
                                  {"reason": "issued in error"})
    assert revoked.status_code == 200, revoked.text
    second = world.issue(awarded_on="2025-03-02")
    after = _exports(world, second["position"])
    new_method = ledger.keys.current(world.provider_id).verification_method
    assert after["ob3"][-1]["proof"][0]["verificationMethod"] == new_method != \
        old_provider_key.verification_method
    assert after["ob3"][-1]["issuer"]["id"] == before["ob3"][0]["issuer"]["id"]  # same DID

    documents = {**_documents(api, before, "before"), **_documents(api, after, "after")}
    documents["tampered clr"] = one_byte_changed(before["clr"])
    documents["tampered ob3"] = one_byte_changed(before["ob3"][0])
    results = verify_all(documents, api.base_url)
    for name, document in documents.items():
        if name.startswith("tampered"):
            assert results[name]["verified"] is False, name
            assert standards.check_proof(document) != [], name
        else:
            assert results[name]["verified"] is True, (name, results[name])
            assert standards.check_proof(document) == [], name
    # The verifier read the bits from the signed lists: revoked after, not before (the list
    # a verifier fetches today says revoked for the old export too).
    assert results["before ob3 0"]["status"] == {"revocation": True}
    assert results["after ob3 1"]["status"] == {"revocation": False}
