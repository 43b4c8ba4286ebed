"""The acceptance test of "verifiable anywhere": Digital Bazaar's @digitalbazaar/vc (with the
eddsa-rdfc-2022 cryptosuite, as wallets and the DCC verifier use it) verifies every OB 3.0
credential and CLR of demo learners with stacks, suspended, revoked and corrected credentials,
and every status list their credentials name, fetched over HTTP from the served demo, whose
did:web DIDs it resolves there. A copy with one changed byte fails. check.py proof passes on
each status list (test_demo_exports runs check.py ob3/clr/proof on every demo export)."""

import time
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from ledger.projections.transcripts import assemble
from tests.conftest import ServedDemo
from tests.documents import endorsement_schema_errors
from tests.outside_verifier import one_byte_changed, verify_all

LEARNERS = 24
TRAITS = ("stack", "suspended", "revoked", "corrected", "under_review")


def traits_of(served: ServedDemo, learner_id: str) -> set[str]:
    doc = assemble(served.ledger.read_models.owned("transcripts", learner_id)) or {}
    found = set()
    for row in (doc.get("credentials") or {}).values():
        if row["kind"] == "stack":
            found.add("stack")
        if row["status"] in TRAITS:
            found.add(row["status"])
        if any(e["event"] == "CredentialCorrected" for e in row["history"]):
            found.add("corrected")
    return found


def chosen(served: ServedDemo) -> tuple[list[str], dict[str, set[str]]]:
    """At least LEARNERS learners holding credentials: first one per trait, then the rest in
    id order."""
    traits = {learner: traits_of(served, learner) for learner in served.learners}
    holders = [learner for learner in served.learners
               if assemble(served.ledger.read_models.owned("transcripts", learner))
               .get("credentials")]
    picked = []
    for trait in TRAITS:
        picked += [next(learner for learner in holders if trait in traits[learner])]
    picked += [learner for learner in holders if learner not in picked]
    picked = list(dict.fromkeys(picked))[:LEARNERS]
    return picked, {learner: traits[learner] for learner in picked}


@pytest.fixture(scope="module")
def documents(served_demo: ServedDemo) -> dict[str, Any]:
    """The chosen learners' OB 3.0 credentials and CLRs, and the status lists they name, as
    a verifier gets them (over HTTP: an auditor's exports, the public lists)."""
    learners, traits = chosen(served_demo)
    assert len(learners) >= 20
    assert set().union(*traits.values()) >= set(TRAITS)
    _, token = served_demo.ledger.principals.create("auditor", None, "outside verifier")
    out: dict[str, Any] = {}
    with httpx.Client(base_url=served_demo.base_url, timeout=120,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        for learner in learners:
            for kind in ("ob3", "clr"):
                response = http.get(f"/v1/learners/{learner}/exports/{kind}")
                assert response.status_code == 200, response.text
                if kind == "clr":
                    out[f"{learner} clr"] = response.json()
                else:
                    for credential in response.json():
                        out[f"{learner} ob3 {urlparse(credential['id']).path}"] = credential
        # OB 3.0 carries the revocation entry; the suspension list of the same number too.
        named = {urlparse(d["credentialStatus"]["statusListCredential"]).path
                 for d in out.values() if "credentialStatus" in d}
        lists = sorted(named | {p.replace("/revocation-", "/suspension-") for p in named})
        for path in lists:
            response = httpx.get(served_demo.base_url + path)  # anonymous, as anyone
            assert response.status_code == 200, response.text
            out[f"list {path}"] = response.json()
    return out


def test_digital_bazaars_verifier_accepts_every_document_and_rejects_a_changed_byte(
        documents: dict[str, Any], served_demo: ServedDemo, standards):
    assert sum(n.endswith(" clr") for n in documents) >= 20
    assert sum(" ob3 " in n for n in documents) >= 60
    # Every status list, and the first few CLRs and credentials, with one byte changed.
    clrs = [n for n in documents if n.endswith(" clr")][:3]
    ob3s = [n for n in documents if " ob3 " in n][:3]
    tampered = {f"tampered {name}": one_byte_changed(document)
                for name, document in documents.items()
                if name.startswith("list ") or name in clrs or name in ob3s}
    started = time.perf_counter()
    results = verify_all({**documents, **tampered}, served_demo.base_url)
    counts = {kind: sum(test(n) for n in documents) for kind, test in (
        ("OB 3.0", lambda n: " ob3 " in n), ("CLRs", lambda n: n.endswith(" clr")),
        ("status lists", lambda n: n.startswith("list ")))}
    print("@digitalbazaar/vc verified", ", ".join(f"{v} {k}" for k, v in counts.items()),
          f"and {len(tampered)} tampered copies in {time.perf_counter() - started:.1f} s")

    refused = {n: r for n, r in results.items() if n in documents and not r["verified"]}
    assert refused == {}
    accepted = [n for n, r in results.items() if n in tampered and r["verified"]]
    assert accepted == []
    # Each credential's revocation bit, read by the verifier from the signed list, is the
    # ledger's own status for it.
    for name, document in documents.items():
        if " ob3 " not in name:
            continue
        row = served_demo.ledger.read_models.get("status", urlparse(document["id"]).path
                                                 .rsplit("/", 1)[-1])
        assert results[name]["status"]["revocation"] is (row["status"] == "revoked"), name


def test_every_status_list_passes_check_py_proof(documents: dict[str, Any], standards):
    lists = {name: document for name, document in documents.items()
             if name.startswith("list ")}
    assert any("/revocation-" in name for name in lists)
    assert any("/suspension-" in name for name in lists)
    for name, document in lists.items():
        assert standards.check_proof(document) == [], name


def test_every_demo_credential_carries_an_endorsement_that_verifies_alone(
        documents: dict[str, Any], served_demo: ServedDemo, standards):
    """Accreditation travels with the credential: each OB 3.0 credential's issuer carries the
    QA body's EndorsementCredential in force on its award date; extracted, each one verifies
    on its own (Digital Bazaar's verifier, check.py proof, the OB 3.0 schemas' definition)."""
    endorsements = {}
    for name, credential in documents.items():
        if " ob3 " not in name:
            continue
        [endorsement] = credential["issuer"]["endorsement"]
        assert endorsement["credentialSubject"]["id"] == credential["issuer"]["id"], name
        assert endorsement["validFrom"] <= credential["awardedDate"] <= \
            endorsement["validUntil"], name
        endorsements[f"endorsement {endorsement['id']}"] = endorsement
    assert len(endorsements) >= 2  # several providers among the chosen learners
    tampered = {f"tampered {name}": {**e, "validUntil": "2099-12-31T23:59:59Z"}
                for name, e in endorsements.items()}
    results = verify_all({**endorsements, **tampered}, served_demo.base_url)
    for name, endorsement in endorsements.items():
        assert results[name]["verified"] is True, results[name]
        assert standards.check_proof(endorsement) == [], name
        assert endorsement_schema_errors(endorsement) == [], name
    for name, endorsement in tampered.items():
        assert results[name]["verified"] is False, name
        assert standards.check_proof(endorsement) != [], name
