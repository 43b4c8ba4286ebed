"""CLR 2.0 exports: the learner's signed credentials nested, stacking as associations."""

import pytest
from pyld import jsonld

from ledger.projections.exports import clr, ob3
from ledger.projections.exports.formatting import serialise
from ledger.projections.exports.model import NothingToExport
from tests.unit.exports_samples import (
    FAMILY,
    GIVEN,
    georgian_record,
    record,
    records,
    relative_iris,
    run_check,
)

# The CLR 2.0.1 context types these ClrSubject terms with non-@id types, so compaction can never
# give their node values back to them: `terms` reports everything under them, for 1EdTech's own
# example too (44 problems). Their content is checked through the N-Quads instead.
COERCED = tuple(f"/credentialSubject/{t}" for t in ("verifiableCredential", "association",
                                                     "identifier", "achievement"))


def signed(record_):
    """Stand-in for the caller's signing: the OB 3.0 credentials as built, with a proof-shaped
    member, which CLR carries untouched."""
    proof = [{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
              "created": "2025-03-01T10:15:30Z", "proofPurpose": "assertionMethod",
              "verificationMethod": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
                                    "#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
              "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9czhSePTFehP8c3PGf"}]
    return [{**document, "proof": proof} for document in ob3.credentials(record_)]


def test_every_learners_clr_passes_the_clr_and_vc_schemas(standards):
    for record_ in records():
        document = clr.credential(record_, signed(record_))
        assert standards.check_clr(document) == []
        assert relative_iris(standards, document) == set()


def test_terms_outside_the_clr_contexts_coerced_members_are_all_defined(standards):
    document = clr.credential(georgian_record(), signed(georgian_record()))
    problems = standards.check_terms(document)
    assert problems, "if check.py stops reporting these, drop COERCED"
    assert [p for p in problems if not p.split(": ", 1)[1].startswith(COERCED)] == []


def test_nested_credentials_and_associations_survive_json_ld_processing(standards):
    record_ = georgian_record()
    jsonld.set_document_loader(standards._document_loader())
    quads = jsonld.to_rdf(clr.credential(record_, signed(record_)),
                          {"format": "application/n-quads"})
    assert f'"{GIVEN} {FAMILY}"' in quads
    for item in record_.credentials:
        assert f"<{record_.urls.credential(item.id)}>" in quads
    assert quads.count("vocab.html#AssociationType") == 3


def test_check_py_passes_an_exported_file_in_its_own_process(standards, tmp_path):
    path = tmp_path / "clr.json"
    path.write_bytes(serialise(clr.credential(georgian_record(), signed(georgian_record()))))
    result = run_check(standards, "clr", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_component_is_part_of_its_stack():
    record_ = georgian_record()
    stack = next(c for c in record_.credentials if c.is_stack)
    links = clr.credential(record_, signed(record_))["credentialSubject"]["association"]
    assert {(a["associationType"], a["sourceId"], a["targetId"]) for a in links} == {
        ("isPartOf", ob3.achievement_id(record_, part), ob3.achievement_id(record_, stack))
        for part in record_.components(stack)}


def test_the_signed_credentials_are_carried_untouched_with_the_learners_name():
    record_ = georgian_record()
    credentials = signed(record_)
    document = clr.credential(record_, credentials)
    assert document["credentialSubject"]["verifiableCredential"] == credentials
    assert f"{GIVEN} {FAMILY}".encode() in serialise(document)
    assert "association" not in clr.credential(records()[1], signed(records()[1]))[
        "credentialSubject"]


def test_a_learner_without_credentials_has_no_clr():
    empty = record(georgian_record().learner, [])
    with pytest.raises(NothingToExport):
        clr.credential(empty, [])
