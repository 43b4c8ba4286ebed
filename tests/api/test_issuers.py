"""Issuers as outside verifiers see them (public): a did:web DID document per signer (the
ledger at /.well-known/did.json, the QA body and every provider at /issuers/{id}/did.json)
listing every key it has had, retired ones too, and a profile per issuer with its DID; CORS on
the public documents only; ETag and 304 on DID documents."""

from urllib.parse import urlparse

import pytest

from ledger.urls import QA_BODY
from tests.helpers import Api, accredited_provider, problem

DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]


def test_an_issuer_profile_names_its_did_and_lists_current_and_retired_keys(api: Api):
    provider_id = accredited_provider(api)
    old = api.ledger.keys.current(provider_id)
    new = api.ledger.keys.rotate(provider_id)
    response = api.anonymous().get(f"/v1/issuers/{provider_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == api.ledger.urls.issuer(provider_id)
    assert body["did"] == api.ledger.urls.did(provider_id) == old.did == new.did
    assert body["type"] == ["Profile"]
    assert body["name"] == "Ivane Javakhishvili Tbilisi State University"
    methods = {m["id"]: m for m in body["verificationMethod"]}
    assert set(methods) == {old.verification_method, new.verification_method}
    assert methods[old.verification_method]["retired"] is not None
    assert methods[new.verification_method]["retired"] is None
    assert methods[new.verification_method]["type"] == "Multikey"
    assert methods[new.verification_method]["controller"] == new.did
    assert methods[new.verification_method]["publicKeyMultibase"] == new.multikey
    assert body["assertionMethod"] == [new.verification_method]


def test_the_ledger_has_a_profile_of_its_own(api: Api):
    key = api.ledger.keys.current("ledger")
    body = api.anonymous().get("/v1/issuers/ledger").json()
    assert body["id"].endswith("/v1/issuers/ledger")
    assert body["did"] == api.ledger.urls.did("ledger")
    assert [m["id"] for m in body["verificationMethod"]] == [key.verification_method]


def test_an_unknown_issuer_is_not_found(api: Api):
    problem(api.anonymous().get("/v1/issuers/no-such-provider"), 404)


def _did_document_path(api: Api, owner: str) -> str:
    return urlparse(api.ledger.urls.did_document(owner)).path


def test_a_providers_did_document_lists_every_key_it_has_had(api: Api):
    provider_id = accredited_provider(api)
    old = api.ledger.keys.current(provider_id)
    new = api.ledger.keys.rotate(provider_id)
    path = _did_document_path(api, provider_id)
    assert path == f"/issuers/{provider_id}/did.json"
    response = api.anonymous().get(path)
    assert response.status_code == 200, response.text
    document = response.json()
    did = api.ledger.urls.did(provider_id)
    assert did.startswith("did:web:127.0.0.1%3A") and did.endswith(f":issuers:{provider_id}")
    assert document["@context"] == DID_CONTEXT
    assert document["id"] == did
    assert document["verificationMethod"] == [
        {"id": f"{did}#{key.multikey}", "type": "Multikey", "controller": did,
         "publicKeyMultibase": key.multikey} for key in (old, new)]
    # Retired keys still assert: credentials signed with them before the rotation verify.
    assert document["assertionMethod"] == [old.verification_method, new.verification_method]


@pytest.mark.parametrize("owner", ["ledger", QA_BODY])
def test_the_ledger_and_the_qa_body_have_did_documents(api: Api, owner: str):
    key = api.ledger.keys.current(owner)
    path = _did_document_path(api, owner)
    assert path == ("/.well-known/did.json" if owner == "ledger" else "/issuers/qa-body/did.json")
    document = api.anonymous().get(path).json()
    assert document["id"] == api.ledger.urls.did(owner) == key.did
    assert document["assertionMethod"] == [key.verification_method]
    assert api.ledger.urls.owner_of_did(document["id"]) == owner


@pytest.mark.parametrize("path", ["/issuers/no-such-provider/did.json",
                                  "/issuers/ledger/did.json"])
def test_a_did_document_of_no_signer_is_not_found(api: Api, path: str):
    problem(api.anonymous().get(path), 404)


def test_a_programme_is_not_a_signer(api: Api):
    from tests.helpers import build_world

    world = build_world(api)
    problem(api.anonymous().get(f"/issuers/{world.programme_id}/did.json"), 404)


def test_did_documents_carry_an_etag_and_answer_304_while_unchanged(api: Api):
    provider_id = accredited_provider(api)
    api.ledger.keys.current(provider_id)
    path = _did_document_path(api, provider_id)
    first = api.http.get(path)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Cache-Control"].startswith("public")
    unchanged = api.http.get(path, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["ETag"] == etag
    assert api.http.get(path, headers={"If-None-Match": f'W/{etag}, "x"'}).status_code == 304
    api.ledger.keys.rotate(provider_id)  # a new key: a new document, a new tag
    changed = api.http.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert len(changed.json()["verificationMethod"]) == 2


ORIGIN = "https://wallet.example"


@pytest.mark.parametrize("path", ["/.well-known/did.json", "/v1/issuers/ledger"])
def test_public_documents_are_readable_from_any_origin(api: Api, path: str):
    api.ledger.keys.current("ledger")
    response = api.http.get(path, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "etag" in response.headers["Access-Control-Expose-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_a_browser_may_post_a_document_to_verify(api: Api):
    preflight = api.http.options("/v1/verify", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    answered = api.http.post("/v1/verify", json={}, headers={"Origin": ORIGIN})
    assert answered.headers["Access-Control-Allow-Origin"] == "*"


def test_authenticated_routes_get_no_cors_headers(api: Api):
    provider_id = accredited_provider(api)
    token = api.token("qa_body")
    for path in ("/v1/audit/checkpoints", f"/v1/learners/{provider_id}/transcript"):
        response = api.http.get(path, headers={"Origin": ORIGIN,
                                               "Authorization": f"Bearer {token}"})
        assert "Access-Control-Allow-Origin" not in response.headers, path
    preflight = api.http.options("/v1/credentials", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    # A GET route of the public kind cannot be reached by another method through CORS.
    preflight = api.http.options("/v1/status-lists/revocation-0", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"})
    assert preflight.status_code == 400


def test_a_key_row_planted_in_the_database_is_not_published_in_the_did_document(api: Api):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger.signing import did_key

    provider_id = accredited_provider(api)
    real = api.ledger.keys.current(provider_id)
    forged = Ed25519PrivateKey.generate().public_key()
    with api.ledger.database.transaction() as cursor:
        cursor.execute("INSERT INTO signing_keys (key_id, owner, public_key, sealed_private_key, "
                       "created_at, retired_at) VALUES (?, ?, ?, ?, '2025-01-01T00:00:00Z', "
                       "'2025-06-01T00:00:00Z')",
                       (did_key.verification_method(forged), provider_id,
                        did_key.multikey(forged), b"\0" * 60))
    document = api.anonymous().get(_did_document_path(api, provider_id)).json()
    assert [m["id"] for m in document["verificationMethod"]] == [real.verification_method]
    assert document["assertionMethod"] == [real.verification_method]
