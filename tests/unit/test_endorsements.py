"""Accreditation decisions as the QA body's EndorsementCredentials: windows cut by withdrawals
by the domain's own rule, the documents' conformance, their signatures, and the endorsement a
credential carries on its award date."""

import copy
from dataclasses import replace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.domain.accreditation import held_on
from ledger.projections.exports import endorsement, ob3
from ledger.projections.exports.model import Endorsement
from ledger.signing import data_integrity, did_key
from ledger.standards import Standards
from ledger.urls import QA_BODY
from tests.conftest import STANDARDS
from tests.documents import endorsement_schema_errors
from tests.unit.exports_samples import OPERATOR, URLS, georgian_record, relative_iris


class QaKey:
    """The QA body's key named by a verification method of its did:web DID."""

    def __init__(self) -> None:
        self.private_key = Ed25519PrivateKey.generate()
        multikey = did_key.multikey(self.private_key.public_key())
        self.verification_method = URLS.verification_method(QA_BODY, multikey)
        self.key_id = self.verification_method

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


@pytest.fixture(scope="module")
def signing_standards() -> Standards:
    return Standards(STANDARDS)


def history(event: str, day: str, position: int) -> dict[str, Any]:
    return {"event": event, "recorded_at": f"{day}T09:00:00.000001+00:00", "position": position}


def entry(windows: list[tuple[str, str, str]], withdrawals: list[tuple[str, int, str]] = ()
          ) -> dict[str, Any]:
    """A register entry: windows (from, until, decision) and withdrawals (effective on, windows
    before, recorded on), in the order given."""
    events = [history("Registered", "2019-01-01", 1)]
    events += [history("Accredited" if n == 0 else "AccreditationRenewed", start, 10 + n)
               for n, (start, _, _) in enumerate(windows)]
    events += [history("AccreditationWithdrawn", recorded, 20 + n)
               for n, (_, _, recorded) in enumerate(withdrawals)]
    return {"id": "p-1", "kind_of_entry": "provider", "name": "Kutaisi Community College",
            "country": "GE", "kind": "vocational",
            "accreditations": [{"valid_from": a, "valid_until": b, "scope": "VET, EQF 3-5",
                                "decision_reference": ref} for a, b, ref in windows],
            "withdrawals": [{"effective_on": on, "reason": "QA review failed",
                             "windows_before": before} for on, before, _ in withdrawals],
            "history": events}


def test_a_withdrawal_ends_earlier_windows_the_day_before_it_takes_effect():
    doc = entry([("2020-01-01", "2025-12-31", "D-1")], [("2024-06-01", 1, "2024-05-20")])
    [found] = endorsement.accreditations(doc)
    assert (found.valid_from, found.last_day, found.withdrawn_on) == (
        "2020-01-01", "2024-05-31", "2024-06-01")
    assert found.decided_at == "2020-01-01T09:00:00Z"
    assert found.signed_at == "2024-05-20T09:00:00Z"  # re-signed when the withdrawal came


def test_windows_agree_with_the_domains_rule_on_every_day():
    doc = entry([("2020-01-01", "2022-12-31", "D-1"), ("2022-06-01", "2027-12-31", "D-2"),
                 ("2028-01-01", "2030-12-31", "D-3")],
                [("2024-03-01", 2, "2024-02-01"), ("2019-01-01", 1, "2024-02-02")])
    found = endorsement.accreditations(doc)
    # The second withdrawal (backdated) voids the first window; the first cuts the second.
    assert [(a.number, a.valid_from, a.last_day) for a in found] == [
        (2, "2022-06-01", "2024-02-29"), (3, "2028-01-01", "2030-12-31")]
    for day in ("2019-12-31", "2020-06-01", "2022-07-01", "2024-02-29", "2024-03-01",
                "2027-06-01", "2028-01-01", "2030-12-31", "2031-01-01"):
        in_force = endorsement.in_force_on(found, day)
        assert (in_force is not None) == held_on(day, doc["accreditations"],
                                                 doc["withdrawals"]), day


def test_overlapping_renewal_the_latest_decision_is_in_force():
    doc = entry([("2020-01-01", "2025-12-31", "D-1"), ("2025-01-01", "2030-12-31", "D-2")])
    found = endorsement.accreditations(doc)
    assert endorsement.in_force_on(found, "2025-06-01").decision_reference == "D-2"
    assert endorsement.in_force_on(found, "2024-06-01").decision_reference == "D-1"


def signed(accreditation: endorsement.Accreditation, key: QaKey,
           standards: Standards) -> dict[str, Any]:
    document = endorsement.credential(accreditation, "Kutaisi Community College", URLS,
                                      OPERATOR.qa_name, OPERATOR.country)
    return data_integrity.sign(document, key, accreditation.signed_at, standards)


def test_the_endorsement_conforms_and_its_signature_covers_every_claim(signing_standards,
                                                                        standards):
    key = QaKey()
    [accreditation] = endorsement.accreditations(entry([("2020-01-01", "2025-12-31", "D-1")]))
    document = signed(accreditation, key, signing_standards)
    assert document["issuer"]["id"] == URLS.did(QA_BODY)
    assert document["credentialSubject"]["id"] == URLS.did("p-1")
    assert "decision D-1" in document["credentialSubject"]["endorsementComment"]
    assert "VET, EQF 3-5" in document["credentialSubject"]["endorsementComment"]
    assert endorsement_schema_errors(document) == []
    assert standards.check_vc2(document) == []
    assert standards.check_terms(document) == []
    assert relative_iris(standards, document) == set()  # JSON-LD safe mode would refuse it
    [check] = data_integrity.verify(document, signing_standards)
    assert check.valid, check.reason
    assert signed(accreditation, key, signing_standards) == document  # the same bytes again
    for path, value in ((("validUntil",), "2099-12-31T23:59:59Z"),
                        (("credentialSubject", "id"), URLS.did("p-2")),
                        (("issuer", "name"), "Diploma Mill Accreditation Agency")):
        forged = copy.deepcopy(document)
        target = forged
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        [check] = data_integrity.verify(forged, signing_standards)
        assert not check.valid, path


def test_a_credential_carries_only_the_endorsement_in_force_on_its_award_date(
        signing_standards, standards):
    key = QaKey()
    record = georgian_record()
    item = record.credentials[0]
    provider = record.provider_of(item)
    windows = endorsement.accreditations(entry([("2020-01-01", "2024-12-31", "D-1"),
                                                ("2025-01-01", "2030-12-31", "D-2")]))
    endorsed = replace(provider, endorsements=tuple(
        Endorsement(a.valid_from, a.last_day, signed(a, key, signing_standards))
        for a in windows))
    record = replace(record, providers={**record.providers, provider.id: endorsed})
    document = ob3.credential(record, item)
    [carried] = document["issuer"]["endorsement"]
    assert item.awarded_on < "2025-01-01"
    assert "decision D-1" in carried["credentialSubject"]["endorsementComment"]
    assert "endorsement" not in document["credentialSubject"]["achievement"]["creator"]
    assert standards.check_ob3(document) == []
    assert standards.check_terms(document) == []
    lapsed = replace(endorsed, endorsements=endorsed.endorsements[1:])
    record = replace(record, providers={**record.providers, provider.id: lapsed})
    assert "endorsement" not in ob3.credential(record, item)["issuer"]
