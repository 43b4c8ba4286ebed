"""Issuer profiles (public): a provider's id is a stable URL whose profile lists every key it
signed with, current and retired, so a did:key in a proof can be tied to its issuer."""

from tests.helpers import Api, accredited_provider, problem


def test_an_issuer_profile_lists_current_and_retired_keys(api: Api):
    provider_id = accredited_provider(api)
    old = api.ledger.keys.current(provider_id)
    new = api.ledger.keys.rotate(provider_id)
    response = api.anonymous().get(f"/v1/issuers/{provider_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == api.ledger.urls.issuer(provider_id)
    assert body["type"] == ["Profile"]
    assert body["name"] == "Ivane Javakhishvili Tbilisi State University"
    methods = {m["id"]: m for m in body["verificationMethod"]}
    assert set(methods) == {old.key_id, new.key_id}
    assert methods[old.key_id]["retired"] is not None and methods[new.key_id]["retired"] is None
    assert methods[new.key_id]["type"] == "Multikey"
    assert methods[new.key_id]["controller"] == new.did
    assert methods[new.key_id]["publicKeyMultibase"] == new.key_id.split("#")[1]
    assert body["assertionMethod"] == [new.key_id]


def test_the_ledger_has_a_profile_of_its_own(api: Api):
    key = api.ledger.keys.current("ledger")
    body = api.anonymous().get("/v1/issuers/ledger").json()
    assert body["id"].endswith("/v1/issuers/ledger")
    assert [m["id"] for m in body["verificationMethod"]] == [key.key_id]


def test_an_unknown_issuer_is_not_found(api: Api):
    problem(api.anonymous().get("/v1/issuers/no-such-provider"), 404)
