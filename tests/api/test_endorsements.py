"""Accreditation travels with the credential: the QA body's signed EndorsementCredential inside
each OB 3.0 credential verifies on its own, a withdrawal ends it, and the signed registry of
accredited providers lists exactly those accredited today."""

import base64
import copy
import json

import pytest
from joserfc import jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import OKPKey

from ledger.signing import did_key
from ledger.urls import QA_BODY
from tests.documents import endorsement_schema_errors
from tests.helpers import accredited_provider, build_world, created, days_from_today, problem
from tests.outside_verifier import verify_all

DECISION = "NCEQE-2020-17"  # tests.helpers.accredited_provider's decision


def shared_ob3(world, credential_id: str, position: int) -> dict:
    shared = created(world.learner.post(f"/v1/credentials/{credential_id}/share", {}), 200)
    response = world.api.anonymous().get(f"/v1/credentials/{credential_id}/ob3",
                                         min_position=max(position, shared["position"]))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def awarded(api):
    world = build_world(api)
    issued = world.issue(awarded_on="2025-03-01")
    world.extra["credential"] = shared_ob3(world, issued["id"], issued["position"])
    return world


def test_a_credential_carries_the_qa_bodys_endorsement_which_verifies_alone(awarded, standards):
    api, credential = awarded.api, awarded.extra["credential"]
    assert standards.check_ob3(credential) == []
    assert standards.check_terms(credential) == []
    [endorsement] = credential["issuer"]["endorsement"]
    urls = api.ledger.urls
    assert endorsement["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert endorsement["issuer"]["id"] == urls.did(QA_BODY)
    assert endorsement["issuer"]["name"] == api.ledger.portability.operator.qa_name
    subject = endorsement["credentialSubject"]
    assert subject["type"] == ["EndorsementSubject"]
    assert subject["id"] == urls.did(awarded.provider_id)
    assert DECISION in subject["endorsementComment"]
    assert (endorsement["validFrom"], endorsement["validUntil"]) == (
        "2020-01-01T00:00:00Z", "2030-12-31T23:59:59Z")
    [proof] = endorsement["proof"]
    assert proof["verificationMethod"].split("#")[0] == urls.did(QA_BODY)
    alone = json.loads(json.dumps(endorsement))
    assert standards.check_proof(alone) == []
    assert standards.check_vc2(alone) == []
    assert standards.check_terms(alone) == []
    assert endorsement_schema_errors(alone) == []
    # Dereferencing its id gives the same signed document.
    fetched = api.anonymous().get(endorsement["id"].removeprefix(urls.base))
    assert fetched.status_code == 200, fetched.text
    assert fetched.json() == endorsement


def test_digital_bazaars_verifier_accepts_the_endorsement_alone_and_inside(awarded):
    """What a wallet or an employer's verifier runs (@digitalbazaar/vc, eddsa-rdfc-2022,
    resolving the QA body's did:web from the served ledger)."""
    credential = awarded.extra["credential"]
    endorsement = credential["issuer"]["endorsement"][0]
    forged = copy.deepcopy(endorsement)
    forged["credentialSubject"]["id"] = awarded.api.ledger.urls.did("another-provider")
    results = verify_all({"credential": credential, "endorsement": endorsement,
                          "forged": forged}, awarded.api.base_url)
    assert results["credential"]["verified"] is True, results["credential"]
    assert results["endorsement"]["verified"] is True, results["endorsement"]
    assert results["forged"]["verified"] is False


def test_the_endorsement_is_the_same_bytes_every_time(awarded):
    world, credential = awarded, awarded.extra["credential"]
    again = world.api.anonymous().get(f"/v1/credentials/{credential['id'].rsplit('/', 1)[1]}/ob3")
    assert again.json() == credential
    listed = world.api.anonymous().get(f"/v1/issuers/{world.provider_id}/endorsements").json()
    assert listed == credential["issuer"]["endorsement"]
    problem(world.api.anonymous().get("/v1/issuers/no-such-provider/endorsements"), 404)
    problem(world.api.anonymous().get(f"/v1/issuers/{world.provider_id}/endorsements/2"), 404)
    # Dated by the decision, not by the clock of whoever regenerated it.
    [endorsement] = listed
    decided = world.qa.get(f"/v1/register/providers?provider_id={world.provider_id}")
    assert endorsement["proof"][0]["created"] <= credential["validFrom"]
    assert decided.status_code == 200


def test_a_tampered_endorsement_fails_alone_and_inside_the_credential(awarded, standards):
    credential = awarded.extra["credential"]
    endorsement = credential["issuer"]["endorsement"][0]
    assert standards.check_proof(endorsement) == [] and standards.check_proof(credential) == []
    for change in (("validUntil", "2099-12-31T23:59:59Z"),
                   ("credentialSubject", {**endorsement["credentialSubject"],
                                          "id": "did:web:elsewhere.example"})):
        forged = {**copy.deepcopy(endorsement), change[0]: change[1]}
        assert standards.check_proof(forged) != [], change[0]
    forged_credential = copy.deepcopy(credential)
    forged_credential["issuer"]["endorsement"][0]["validUntil"] = "2099-12-31T23:59:59Z"
    assert standards.check_proof(forged_credential) != []


def test_a_withdrawal_ends_the_endorsement_and_no_later_award_can_be_made(api, standards):
    world = build_world(api)
    earlier = world.issue(awarded_on="2025-03-01")
    withdrawn = created(world.qa.post(
        f"/v1/providers/{world.provider_id}/accreditations/withdraw",
        {"reason": "QA review found systemic assessment failures",
         "effective_on": "2025-06-01"}), 200)
    # The domain refuses an award on or after the withdrawal: no credential, no endorsement.
    later = {"learner_id": world.learner_id, "microcredential_id": world.programme_id,
             "awarded_on": "2025-06-01"}
    problem(world.provider.post("/v1/credentials", later), 409)
    credential = shared_ob3(world, earlier["id"], withdrawn["position"])
    [endorsement] = credential["issuer"]["endorsement"]
    assert endorsement["validUntil"] == "2025-05-31T23:59:59Z"
    assert "withdrawn with effect from 2025-06-01" in \
        endorsement["credentialSubject"]["endorsementComment"]
    assert standards.check_proof(endorsement) == []
    assert standards.check_ob3(credential) == []


def test_an_award_outside_every_accreditation_window_carries_no_endorsement(api):
    """A backdated withdrawal can void a window after the fact: the credential then carries
    nothing the QA body no longer stands behind."""
    world = build_world(api)
    issued = world.issue(awarded_on="2025-03-01")
    withdrawn = created(world.qa.post(
        f"/v1/providers/{world.provider_id}/accreditations/withdraw",
        {"reason": "accreditation obtained by misrepresentation", "effective_on": "2019-06-01"}),
        200)
    credential = shared_ob3(world, issued["id"], withdrawn["position"])
    assert "endorsement" not in credential["issuer"]
    listed = api.anonymous().get(f"/v1/issuers/{world.provider_id}/endorsements")
    assert listed.json() == []


# -- the issuer registry ---------------------------------------------------------------------

def qa_public_keys(api) -> dict[str, OKPKey]:
    """The QA body's keys by verification method, as its DID document publishes them."""
    urls = api.ledger.urls
    response = api.anonymous().get(urls.did_document(QA_BODY).removeprefix(urls.base))
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["id"] == urls.did(QA_BODY)
    return {vm["id"]: OKPKey.import_key(did_key.public_key_of(vm["publicKeyMultibase"]))
            for vm in document["verificationMethod"]}


def signed_registry(api, position: int) -> tuple[dict, dict]:
    plain = api.anonymous().get("/v1/issuer-registry", min_position=position)
    assert plain.status_code == 200, plain.text
    assert plain.headers["content-type"] == "application/json"
    assert api.anonymous().http.get("/v1/issuer-registry", headers={
        "Origin": "https://verifier.example"}).headers["access-control-allow-origin"] == "*"
    token = api.anonymous().get("/v1/issuer-registry.jws", min_position=position)
    assert token.status_code == 200 and token.headers["content-type"] == "application/jose"
    header = jws.extract_compact(token.content).headers()
    keys = qa_public_keys(api)
    assert header["kid"] in keys and header["alg"] == "Ed25519"
    verified = jws.deserialize_compact(token.content, keys[header["kid"]],
                                       algorithms=["Ed25519"])
    assert verified.payload == plain.content
    return plain.json(), {"token": token.text, "key": keys[header["kid"]]}


def test_the_registry_lists_exactly_the_providers_accredited_today(api):
    qa, urls = api.as_("qa_body"), api.ledger.urls
    first = accredited_provider(api, "Kutaisi Community College", "vocational")
    second = accredited_provider(api, "Bank of Georgia Academy", "employer")
    unaccredited = created(qa.post("/v1/providers", {"name": "ENIC-NARIC Georgia", "country": "GE",
                                                     "kind": "recognition_body"}))["id"]
    lapsed = created(qa.post("/v1/providers", {"name": "Old Academy", "country": "GE",
                                               "kind": "vocational"}))["id"]
    done = created(qa.post(f"/v1/providers/{lapsed}/accreditations",
                           {"valid_from": "2015-01-01", "valid_until": "2019-12-31"}))
    body, _ = signed_registry(api, done["position"])
    assert set(body["registry"]) == {urls.did(first), urls.did(second)}
    assert urls.did(unaccredited) not in body["registry"]
    entry = body["registry"][urls.did(first)]
    assert entry == {"name": "Kutaisi Community College", "location": "Georgia",
                     "url": urls.issuer(first)}
    assert body["meta"]["created"] <= body["meta"]["updated"]

    withdrawn = created(qa.post(f"/v1/providers/{second}/accreditations/withdraw",
                                {"reason": "closed", "effective_on": days_from_today(0)}), 200)
    body, _ = signed_registry(api, withdrawn["position"])
    assert set(body["registry"]) == {urls.did(first)}


def test_a_forged_registry_does_not_verify(api):
    qa = api.as_("qa_body")
    provider = created(qa.post("/v1/providers", {"name": "Kutaisi Community College",
                                                 "country": "GE", "kind": "vocational"}))
    done = created(qa.post(f"/v1/providers/{provider['id']}/accreditations",
                           {"valid_from": "2020-01-01", "valid_until": "2030-12-31"}))
    body, signed = signed_registry(api, done["position"])
    assert list(body["registry"]) == [api.ledger.urls.did(provider["id"])]
    header, payload, signature = signed["token"].split(".")

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    registry = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    registry["registry"]["did:web:impostor.example"] = {"name": "Diploma Mill", "url": "x"}
    forged = ".".join([header, b64(json.dumps(registry).encode()), signature])
    with pytest.raises(BadSignatureError):
        jws.deserialize_compact(forged, signed["key"], algorithms=["Ed25519"])
