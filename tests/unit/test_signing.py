"""eddsa-rdfc-2022 Data Integrity proofs: 1EdTech's test vector, our own signatures checked by
the standards folder's check.py, and tamper detection on every leaf of a rich credential."""

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.signing import data_integrity, did_key
from ledger.standards import Standards
from ledger.urls import PublicUrls
from tests.conftest import STANDARDS
from tests.documents import achievement_credential

VECTOR = STANDARDS / "vectors" / "eddsa-rdfc-2022"
CREATED = "2025-03-01T09:30:00Z"


Key = did_key.EphemeralKey


@pytest.fixture(scope="module")
def standards() -> Standards:
    return Standards(STANDARDS)


def example() -> dict[str, Any]:
    """A credential shaped like the ledger's OB 3.0 export (Georgian names, alignment, result,
    a status entry)."""
    return achievement_credential(PublicUrls("https://ledger.example.ge"), "c-1", "p-1", 12345)


def onetech_example() -> dict[str, Any]:
    """1EdTech's own full OB 3.0 example."""
    return json.loads((STANDARDS / "examples" / "ob3-achievementcredential-full.json")
                      .read_text("utf-8"))


def test_canonical_nquads_reproduce_1edtechs_vector_byte_for_byte(standards):
    signed = json.loads((VECTOR / "signed-ob.json").read_text("utf-8"))
    document = {k: v for k, v in signed.items() if k != "proof"}
    expected = (VECTOR / "document-canon.txt").read_bytes()
    assert data_integrity.canonicalise(document, standards).encode() == expected


def test_1edtechs_signed_vector_verifies(standards):
    signed = json.loads((VECTOR / "signed-ob.json").read_text("utf-8"))
    [check] = data_integrity.verify(signed, standards)
    assert check.valid, check.reason
    assert check.verification_method.endswith("#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")


@pytest.mark.parametrize("document", [example, onetech_example])
def test_a_signed_credential_passes_check_py_proof_terms_and_ob3(document, standards,
                                                                  tmp_path: Path):
    key, unsigned = Key(), document()
    # Outside verifiers' rule: the key's controller is the issuer (here a did:key, offline).
    unsigned["issuer"]["id"] = did_key.controller_of(key.verification_method)
    signed = data_integrity.sign(unsigned, key, CREATED, standards)
    path = tmp_path / "signed.json"
    path.write_text(json.dumps(signed, ensure_ascii=False), "utf-8")
    checks = ("proof", "ob3", "terms") if document is example else ("proof", "ob3")
    for check in checks:
        done = subprocess.run([sys.executable, str(STANDARDS / "check.py"), check, str(path)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_proof_is_an_array_naming_a_did_key_and_the_callers_time(standards):
    key = Key()
    signed = data_integrity.sign(example(), key, CREATED, standards)
    [proof] = signed["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["verificationMethod"] == key.verification_method
    assert key.verification_method.startswith("did:key:z6Mk")
    assert proof["created"] == CREATED and proof["proofPurpose"] == "assertionMethod"
    assert proof["proofValue"].startswith("z")


def test_signing_the_same_document_at_the_same_time_gives_the_same_bytes(standards):
    key = Key()
    first = data_integrity.sign(example(), key, CREATED, standards)
    second = data_integrity.sign(example(), key, CREATED, standards)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_signing_leaves_the_callers_document_alone(standards):
    document = example()
    data_integrity.sign(document, Key(), CREATED, standards)
    assert document == example()


def _leaves(value: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() if k != "@context"
                for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return [path]


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if value.startswith(("http://", "https://", "urn:", "did:")):
        return value + "x"
    if value[:4].isdigit() and "T" in value:  # a timestamp stays a valid one
        return value.replace(value[:4], str(int(value[:4]) + 1), 1)
    return value + " "


def test_changing_any_leaf_value_makes_verification_fail(standards):
    signed = data_integrity.sign(example(), Key(), CREATED, standards)
    leaves = _leaves({k: v for k, v in signed.items() if k != "proof"})
    assert len(leaves) > 25
    for path in leaves:
        tampered = copy.deepcopy(signed)
        holder = tampered
        for step in path[:-1]:
            holder = holder[step]
        holder[path[-1]] = _changed(holder[path[-1]])
        [check] = data_integrity.verify(tampered, standards)
        assert not check.valid, f"changing {'/'.join(map(str, path))} went unnoticed"


def test_changing_the_proof_options_makes_verification_fail(standards):
    signed = data_integrity.sign(example(), Key(), CREATED, standards)
    for field, value in (("created", "2025-03-02T09:30:00Z"), ("proofPurpose", "authentication"),
                         ("verificationMethod", Key().verification_method)):
        tampered = copy.deepcopy(signed)
        tampered["proof"][0][field] = value
        [check] = data_integrity.verify(tampered, standards)
        assert not check.valid, field


def test_a_verification_method_that_is_not_an_ed25519_multikey_is_reported(standards):
    signed = data_integrity.sign(example(), Key(), CREATED, standards)
    for method in ("https://example.edu/keys/1", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKL"
                   "GpbnnEGta2doK#z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"):
        tampered = copy.deepcopy(signed)
        tampered["proof"][0]["verificationMethod"] = method
        [check] = data_integrity.verify(tampered, standards)
        assert not check.valid and check.reason


def test_a_context_without_data_integrity_terms_cannot_be_signed(standards):
    document = {"@context": ["https://www.w3.org/2018/credentials/v1"],
                "type": ["VerifiableCredential"], "issuer": "https://example.edu/i",
                "issuanceDate": "2025-01-01T00:00:00Z", "credentialSubject": {"id": "did:x:1"}}
    with pytest.raises(data_integrity.ProofError):
        data_integrity.sign(document, Key(), CREATED, standards)


def test_a_did_key_round_trips_to_its_public_key():
    key = Ed25519PrivateKey.generate().public_key()
    method = did_key.verification_method(key)
    did, fragment = method.split("#")
    assert did == f"did:key:{fragment}" and fragment.startswith("z6Mk")
    assert did_key.public_key_of(method).public_bytes_raw() == key.public_bytes_raw()
    assert did_key.public_key_of(did).public_bytes_raw() == key.public_bytes_raw()
