"""Verification over HTTP (SQLite and PostgreSQL): of a credential the ledger holds, judged on
its award date from history; and of a credential document anyone posts (proof, signing key
against the issuer, status in the ledger's lists, accreditation), never valid on a guess."""

import copy
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.signing import data_integrity, did_key
from ledger.status_lists import bitstring, encode
from ledger.urls import LEDGER_ISSUER
from ledger.verification import verify_record
from tests.documents import achievement_credential
from tests.helpers import (
    Api,
    World,
    accredited_provider,
    build_world,
    created,
    post_raw,
    problem,
)

CREATED = "2025-03-01T12:00:00Z"


# -- GET /v1/verify/{id}: accreditation and approval on the award date ----------------------

def withdraw(world: World, effective_on: str) -> None:
    created(world.qa.post(f"/v1/providers/{world.provider_id}/accreditations/withdraw",
                          {"reason": "QA review failed", "effective_on": effective_on}), 200)


def test_an_award_made_while_accredited_stays_verified_after_the_withdrawal(api: Api):
    world = build_world(api)
    issued = world.issue(awarded_on="2025-03-01")
    withdraw(world, "2025-06-01")
    later = world.issue(awarded_on="2025-05-31")  # still accredited that day
    report = api.anonymous().get(f"/v1/verify/{issued['id']}", min_position=later["position"])
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["provider_accredited_on_award"] is True
    assert body["programme_approved_on_award"] is True
    assert body["status"] == "active" and body["awarded_on"] == "2025-03-01"


def test_an_award_dated_after_the_withdrawal_is_refused(api: Api):
    world = build_world(api)
    withdraw(world, "2025-06-01")
    body = {"learner_id": world.learner_id, "microcredential_id": world.programme_id,
            "awarded_on": "2025-06-01"}
    problem(world.provider.post("/v1/credentials", body), 409)


def status_row(awarded_on: str) -> dict[str, Any]:
    return {"credential_id": "c-1", "status": "active", "issuer": "p-1", "title": "Data",
            "awarded_on": awarded_on, "kind": "credential", "programme_id": "m-1"}


PROVIDER = {"name": "Tbilisi State University",
            "accreditations": [{"valid_from": "2020-01-01", "valid_until": "2030-12-31"}],
            "withdrawals": [{"effective_on": "2025-06-01", "windows_before": 1}]}
PROGRAMME = {"approvals": [{"valid_from": "2024-01-15", "valid_until": "2026-12-31"}],
             "endings": [{"effective_on": "2025-09-01", "windows_before": 1}]}


@pytest.mark.parametrize(("awarded_on", "accredited", "approved"), [
    ("2025-05-31", True, True), ("2025-06-01", False, True), ("2025-09-01", False, False),
    ("2019-12-31", False, False)])
def test_verification_judges_the_award_date_against_history(awarded_on, accredited, approved):
    report = verify_record(status_row(awarded_on), PROVIDER, PROGRAMME)
    assert report["provider_accredited_on_award"] is accredited
    assert report["programme_approved_on_award"] is approved


def test_an_unknown_credential_is_not_found(api: Api):
    problem(api.anonymous().get("/v1/verify/no-such-credential"), 404)


# -- POST /v1/verify: documents ---------------------------------------------------------------

def signed_credential(world: World, issued: dict[str, Any], owner: str | None = None,
                      **options: Any) -> dict[str, Any]:
    """The credential as an OB 3.0 document, signed by `owner`'s key (its issuer's)."""
    ledger = world.api.ledger
    row = wait_for_row(world, issued)
    options.setdefault("learner_id", world.learner_id)
    document = achievement_credential(ledger.urls, issued["id"], world.provider_id,
                                      row["status_index"], **options)
    key = ledger.keys.current(owner or world.provider_id)
    return data_integrity.sign(document, key, CREATED, ledger.standards)


def wait_for_row(world: World, issued: dict[str, Any]) -> dict[str, Any]:
    world.api.ledger.wait_for(issued["position"])
    return world.api.ledger.read_models.get("status", issued["id"])


def verify(api: Api, document: Any, position: int | None = None) -> dict[str, Any]:
    params = f"?min_position={position}" if position else ""
    response = api.anonymous().post(f"/v1/verify{params}", document)
    assert response.status_code == 200, response.text
    return response.json()


def change(world: World, credential_id: str, action: str) -> int:
    response = world.provider.post(f"/v1/credentials/{credential_id}/{action}",
                                   {"reason": f"{action} for the test"})
    return created(response, 200)["position"]


def test_a_credential_signed_by_its_issuer_verifies(api: Api):
    world = build_world(api)
    issued = world.issue()
    report = verify(api, signed_credential(world, issued))
    assert report["verdict"] == "valid", report
    assert report["status"] == {"revocation": "active", "suspension": "active"}
    [proof] = report["proofs"]
    assert proof["valid"] and proof["key"]["owner"] == world.provider_id
    assert proof["key"]["belongs_to_issuer"] is True
    assert report["ledger_record"]["provider_accredited_on_award"] is True


def test_a_changed_byte_makes_the_verdict_invalid(api: Api):
    world = build_world(api)
    document = signed_credential(world, world.issue())
    document["credentialSubject"]["result"][0]["value"] = "B"
    report = verify(api, document)
    assert report["verdict"] == "invalid" and not report["proofs"][0]["valid"]


def test_a_revoked_credential_is_invalid(api: Api):
    world = build_world(api)
    issued = world.issue()
    document = signed_credential(world, issued)
    report = verify(api, document, change(world, issued["id"], "revoke"))
    assert report["verdict"] == "invalid"
    assert report["status"]["revocation"] == "revoked"


def test_suspension_invalidates_until_reinstated(api: Api):
    world = build_world(api)
    issued = world.issue()
    document = signed_credential(world, issued, both_entries=True)
    suspended = verify(api, document, change(world, issued["id"], "suspend"))
    assert suspended["verdict"] == "invalid"
    assert suspended["status"] == {"revocation": "active", "suspension": "suspended"}
    reinstated = verify(api, document, change(world, issued["id"], "reinstate"))
    assert reinstated["verdict"] == "valid", reinstated


def test_a_credential_signed_before_a_key_rotation_still_verifies(api: Api):
    world = build_world(api)
    document = signed_credential(world, world.issue())
    api.ledger.keys.rotate(world.provider_id)
    report = verify(api, document)
    assert report["verdict"] == "valid", report
    assert report["proofs"][0]["key"]["retired"] is not None


def test_a_key_of_another_issuer_is_invalid(api: Api):
    world = build_world(api)
    other = accredited_provider(api, name="Georgian Technical University")
    report = verify(api, signed_credential(world, world.issue(), owner=other))
    assert report["verdict"] == "invalid"
    assert report["proofs"][0]["key"] == {"known": True, "owner": other, "retired": None,
                                          "belongs_to_issuer": False}


def test_a_status_that_cannot_be_determined_is_unknown_never_valid(api: Api):
    world = build_world(api)
    issued = world.issue()
    ledger = api.ledger
    row = wait_for_row(world, issued)
    key = ledger.keys.current(world.provider_id)
    entry = {"id": "https://elsewhere.example/status/1#5", "type": "BitstringStatusListEntry",
             "statusPurpose": "revocation", "statusListIndex": "5",
             "statusListCredential": "https://elsewhere.example/status/1"}
    out_of_range = {**achievement_credential(ledger.urls, issued["id"], world.provider_id,
                                             row["status_index"])["credentialStatus"],
                    "statusListIndex": "131072"}
    for status in (entry, out_of_range):
        document = achievement_credential(ledger.urls, issued["id"], world.provider_id)
        document["credentialStatus"] = status
        report = verify(api, data_integrity.sign(document, key, CREATED, ledger.standards))
        assert report["verdict"] == "unknown", report
        assert report["status"]["revocation"] == "unknown"


def test_a_credential_the_ledger_does_not_hold_is_unknown(api: Api):
    world = build_world(api)
    ledger = api.ledger
    document = achievement_credential(ledger.urls, "never-issued", world.provider_id)
    key = ledger.keys.current(world.provider_id)
    report = verify(api, data_integrity.sign(document, key, CREATED, ledger.standards))
    assert report["verdict"] == "unknown"
    assert report["status"] == {"revocation": "unknown", "suspension": "unknown"}


def test_the_ledgers_own_status_list_verifies_and_a_forged_one_does_not(api: Api):
    world = build_world(api)
    issued = world.issue()
    response = api.anonymous().get("/v1/status-lists/revocation-0",
                                   min_position=issued["position"])
    assert response.status_code == 200, response.text
    listed = response.json()
    report = verify(api, listed)
    assert report["verdict"] == "valid", report
    assert report["proofs"][0]["key"]["owner"] == LEDGER_ISSUER
    forged = copy.deepcopy(listed)
    forged["credentialSubject"]["encodedList"] = encode(bitstring([0, 1, 2]))
    assert verify(api, forged)["verdict"] == "invalid"


def clr(world: World, nested: list[dict[str, Any]], learner_id: str | None = None
        ) -> dict[str, Any]:
    ledger = world.api.ledger
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": f"{ledger.urls.base}/v1/learners/{world.learner_id}/exports/clr",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": ledger.urls.did(LEDGER_ISSUER), "type": ["Profile"],
                   "name": "Learner Record Ledger"},
        "name": "ნინო ბერიძე: learner record",
        "validFrom": CREATED,
        "credentialSubject": {"id": ledger.urls.learner(learner_id or world.learner_id),
                              "type": ["ClrSubject"], "verifiableCredential": nested},
    }
    return data_integrity.sign(document, ledger.keys.current(LEDGER_ISSUER), CREATED,
                               ledger.standards)


def test_a_clr_verifies_with_every_nested_credential(api: Api):
    world = build_world(api)
    nested = [signed_credential(world, world.issue(awarded_on=day))
              for day in ("2025-03-01", "2025-03-02")]
    report = verify(api, clr(world, nested))
    assert report["verdict"] == "valid", report
    assert [c["verdict"] for c in report["credentials"]] == ["valid", "valid"]


def test_a_clr_with_one_altered_nested_credential_is_invalid(api: Api):
    world = build_world(api)
    nested = [signed_credential(world, world.issue(awarded_on=day))
              for day in ("2025-03-01", "2025-03-02")]
    nested[1]["validFrom"] = "2025-01-01T00:00:00Z"  # altered before the CLR was signed
    report = verify(api, clr(world, nested))
    assert report["verdict"] == "invalid"
    assert report["proofs"][0]["valid"] is True
    assert [c["verdict"] for c in report["credentials"]] == ["valid", "invalid"]


def test_input_that_is_not_a_credential_is_422(api: Api):
    caller = api.anonymous()
    problem(post_raw(caller, "/v1/verify", b"{not json"), 422)
    for body in ([1, 2], "text", {"type": ["VerifiableCredential"]},
                 {"@context": [], "type": "Thing"}):
        problem(caller.post("/v1/verify", body), 422)


MALFORMED = [
    {"proof": 5}, {"proof": [None, "x"]}, {"proof": {"type": "DataIntegrityProof"}},
    {"issuer": []}, {"issuer": {"id": 7}}, {"credentialStatus": "x"},
    {"credentialStatus": [{"statusPurpose": "revocation", "statusListIndex": -1}]},
    {"credentialSubject": 7}, {"@context": 12}, {"@context": ["https://example.org/ctx"]},
    {"@context": [{"@version": 99}]}, {"id": {"a": 1}}, {"validFrom": "yesterday"},
]


def test_malformed_credentials_get_a_verdict_not_a_crash(api: Api):
    world = build_world(api)
    signed = signed_credential(world, world.issue())
    for change in MALFORMED:
        response = api.anonymous().post("/v1/verify", {**signed, **change})
        assert response.status_code in (200, 422), (change, response.text)
        if response.status_code == 200:
            assert response.json()["verdict"] in ("invalid", "unknown"), change


# -- a verifier that cannot be fooled ---------------------------------------------------------

@dataclass(frozen=True)
class ForeignKey:
    """A key the ledger never made: whoever holds it can sign anything, naming anyone."""

    verification_method: str
    private_key: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return self.verification_method

    @property
    def did(self) -> str:
        return self.verification_method.split("#", 1)[0]

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def foreign_key(controller: str | None = None) -> ForeignKey:
    """A fresh key, as its own did:key or as a key of `controller` (a DID it claims)."""
    private = Ed25519PrivateKey.generate()
    multikey = did_key.multikey(private.public_key())
    method = f"{controller}#{multikey}" if controller else \
        did_key.verification_method(private.public_key())
    return ForeignKey(method, private)


def self_signed(document: dict[str, Any], issuer_id: str, key: ForeignKey,
                ledger: Any) -> dict[str, Any]:
    document = {**{k: v for k, v in document.items() if k != "proof"},
                "issuer": {**document["issuer"], "id": issuer_id}}
    return data_integrity.sign(document, key, CREATED, ledger.standards)


def test_a_self_signed_credential_naming_a_ledger_organisation_is_never_valid(api: Api):
    world = build_world(api)
    ledger = api.ledger
    genuine = signed_credential(world, world.issue())
    provider_did = ledger.urls.did(world.provider_id)
    own = foreign_key()
    forgeries = {
        # its own did:key as the issuer, the provider's name and credential id in the document
        "own did:key": self_signed(genuine, own.did, own, ledger),
        # its own did:web, elsewhere
        "own did:web": self_signed(genuine, "did:web:evil.example",
                                   foreign_key("did:web:evil.example"), ledger),
        # the provider's DID, signed by a key the ledger never published for it
        "provider's DID": self_signed(genuine, provider_did, foreign_key(provider_did), ledger),
        "provider's DID, did:key": self_signed(genuine, provider_did, own, ledger),
        # the provider's profile URL (the pre-DID form), signed by a stranger's did:key
        "provider's profile URL": self_signed(genuine, ledger.urls.issuer(world.provider_id),
                                              own, ledger),
    }
    for name, document in forgeries.items():
        report = verify(api, document)
        assert report["verdict"] != "valid", (name, report)
        assert report["proofs"][0]["valid"] is True, name  # well signed, by the wrong key


def test_a_well_signed_document_from_an_unknown_issuer_is_unknown(api: Api):
    world = build_world(api)
    theirs = {k: v for k, v in signed_credential(world, world.issue()).items()
              if k != "credentialStatus"}
    theirs["id"] = "https://elsewhere.example/credentials/1"  # claims nothing of the ledger's
    stranger = foreign_key("did:web:elsewhere.example")
    report = verify(api, self_signed(theirs, "did:web:elsewhere.example", stranger,
                                     api.ledger))
    assert report["verdict"] == "unknown", report
    assert report["proofs"][0]["key"]["belongs_to_issuer"] is None


def test_a_self_signed_clr_naming_the_ledger_is_never_valid(api: Api):
    world = build_world(api)
    ledger = api.ledger
    genuine = clr(world, [signed_credential(world, world.issue())])
    ledger_did = ledger.urls.did(LEDGER_ISSUER)
    own = foreign_key()
    for issuer_id, key in ((ledger_did, foreign_key(ledger_did)), (ledger_did, own),
                           (own.did, own), (ledger.urls.ledger, own)):
        report = verify(api, self_signed(genuine, issuer_id, key, ledger))
        assert report["verdict"] != "valid", (issuer_id, report)
        assert report["credentials"][0]["verdict"] == "valid"  # the nested one is genuine


def test_a_clr_signed_by_a_provider_is_not_the_ledgers(api: Api):
    world = build_world(api)
    ledger = api.ledger
    document = clr(world, [signed_credential(world, world.issue())])
    document = {k: v for k, v in document.items() if k != "proof"}
    document["issuer"] = {**document["issuer"], "id": ledger.urls.did(world.provider_id)}
    signed = data_integrity.sign(document, ledger.keys.current(world.provider_id), CREATED,
                                 ledger.standards)
    report = verify(api, signed)
    assert report["verdict"] == "invalid", report


def test_a_clr_nesting_another_learners_credential_is_invalid(api: Api):
    world = build_world(api)
    mine = signed_credential(world, world.issue())
    other = world.new_learner(given_name="Giorgi", national_id="01024059999")
    theirs = signed_credential(world, world.issue(learner_id=other), learner_id=other)
    report = verify(api, clr(world, [mine, theirs]))
    assert report["verdict"] == "invalid", report
    assert [c["verdict"] for c in report["credentials"]] == ["valid", "invalid"]
    # Claiming it for this learner breaks its provider's signature; the ledger's record of
    # whom it was issued to catches a credential whose subject was never signed.
    claimed = signed_credential(world, world.issue(learner_id=other))
    report = verify(api, clr(world, [mine, claimed]))
    assert report["verdict"] == "invalid", report
    assert "another learner" in " ".join(report["credentials"][1]["problems"])


def test_a_clr_whose_nested_credential_was_revoked_is_invalid(api: Api):
    world = build_world(api)
    kept, revoked = world.issue(awarded_on="2025-03-01"), world.issue(awarded_on="2025-03-02")
    document = clr(world, [signed_credential(world, kept), signed_credential(world, revoked)])
    assert verify(api, document)["verdict"] == "valid"
    report = verify(api, document, change(world, revoked["id"], "revoke"))
    assert report["verdict"] == "invalid", report
    assert report["credentials"][1]["status"]["revocation"] == "revoked"


def test_a_clr_without_credentials_or_subject_is_invalid(api: Api):
    world = build_world(api)
    empty = clr(world, [])
    assert verify(api, empty)["verdict"] == "invalid"


def test_a_key_row_planted_in_the_database_is_not_the_issuers(api: Api):
    world = build_world(api)
    ledger = api.ledger
    planted = foreign_key()
    multikey = planted.verification_method.split("#", 1)[1]
    with ledger.database.transaction() as cursor:  # written without the master key
        cursor.execute(
            "INSERT INTO signing_keys (key_id, owner, public_key, sealed_private_key, "
            "created_at, retired_at) VALUES (?, ?, ?, ?, ?, ?)",
            (planted.verification_method, world.provider_id, multikey, b"\0" * 60,
             "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z"))
    genuine = signed_credential(world, world.issue())
    provider_did = ledger.urls.did(world.provider_id)
    as_did = ForeignKey(f"{provider_did}#{multikey}", planted.private_key)
    for issuer_id, key in ((ledger.urls.issuer(world.provider_id), planted),
                           (provider_did, as_did)):
        report = verify(api, self_signed(genuine, issuer_id, key, ledger))
        assert report["verdict"] == "invalid", (issuer_id, report)


def test_the_ledgers_own_exports_verify_until_a_credential_in_them_is_revoked(api: Api):
    world = build_world(api)
    issued = [world.issue(awarded_on=day) for day in ("2025-03-01", "2025-03-02")]
    exported = world.learner.get(f"/v1/learners/{world.learner_id}/exports/clr",
                                 min_position=issued[-1]["position"])
    assert exported.status_code == 200, exported.text
    document = exported.json()
    assert document["issuer"]["id"] == api.ledger.urls.did(LEDGER_ISSUER)
    report = verify(api, document)
    assert report["verdict"] == "valid", report
    assert [c["verdict"] for c in report["credentials"]] == ["valid", "valid"]
    for credential in document["credentialSubject"]["verifiableCredential"]:
        assert verify(api, credential)["verdict"] == "valid"
    report = verify(api, document, change(world, issued[0]["id"], "revoke"))
    assert report["verdict"] == "invalid", report
    assert sorted(c["verdict"] for c in report["credentials"]) == ["invalid", "valid"]
