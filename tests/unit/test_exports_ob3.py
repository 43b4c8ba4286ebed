"""Open Badges 3.0 exports against 1EdTech's schemas, the VC 2.0 schema and the JSON-LD contexts."""

from ledger.projections.exports import ob3
from ledger.projections.exports.formatting import serialise
from tests.unit.exports_samples import (
    FAMILY,
    GIVEN,
    georgian_record,
    records,
    relative_iris,
    run_check,
)

ANNEX_I_ALIGNMENTS = {"ext:EQFLevel", "ext:ECTSCredits", "ext:ParticipationForm",
                      "ext:AssessmentType", "ext:QualityAssurance", "ext:LearningOutcome"}


def test_every_credential_passes_the_schemas_and_defines_every_term(standards):
    for record in records():
        for document in ob3.credentials(record):
            assert standards.check_ob3(document) == []
            assert standards.check_terms(document) == []
            assert relative_iris(standards, document) == set()


def test_check_py_passes_an_exported_file_in_its_own_process(standards, tmp_path):
    record = georgian_record()
    path = tmp_path / "ob3.json"
    path.write_bytes(serialise(ob3.credential(record, record.credentials[0])))
    for kind in ("ob3", "terms"):
        result = run_check(standards, kind, path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "PASS" in result.stdout


def test_a_micro_credential_carries_the_annex_i_elements(standards):
    record = georgian_record()
    python = record.credentials[0]
    document = ob3.credential(record, python)
    achievement = document["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "MicroCredential"
    assert achievement["creditsAvailable"] == 6.0
    assert "Learning outcomes" in achievement["criteria"]["narrative"]
    kinds = {a["targetType"] for a in achievement["alignment"]}
    assert kinds >= ANNEX_I_ALIGNMENTS
    eqf = next(a for a in achievement["alignment"] if a["targetType"] == "ext:EQFLevel")
    assert eqf["targetUrl"] == "http://data.europa.eu/snb/eqf/6"
    outcomes = [a for a in achievement["alignment"] if a["targetType"] == "ext:LearningOutcome"]
    assert len(outcomes) == len(record.programme_of(python).learning_outcomes)
    assert document["awardedDate"] == "2024-02-10T00:00:00Z"
    assert document["credentialSubject"]["result"][0]["value"] == "A (94/100)"
    assert document["credentialSubject"]["result"][0]["resultDescription"] == \
        achievement["resultDescription"][0]["id"]


def test_ids_are_stable_and_the_same_record_gives_the_same_document():
    record = georgian_record()
    first, again = ob3.credentials(record), ob3.credentials(georgian_record())
    assert first == again
    for document in first:
        assert document["id"].startswith("https://ledger.example.ge/v1/credentials/")
        # The issuer is its did:web DID (whose document lists its keys); its profile is `url`.
        issuer = document["issuer"]
        assert issuer["id"].startswith("did:web:ledger.example.ge:issuers:")
        assert issuer["url"].startswith("https://ledger.example.ge/v1/issuers/")
        assert record.urls.owner_of_did(issuer["id"]) == \
            record.urls.owner_of_issuer(issuer["url"])


def test_the_status_is_the_revocation_entry_as_one_object():
    record = georgian_record()
    revoked = next(c for c in record.credentials if c.status == "revoked")
    status = ob3.credential(record, revoked)["credentialStatus"]
    assert status == next(e for e in revoked.status_entries
                          if e["statusPurpose"] == "revocation")


def test_a_list_of_statuses_would_fail_both_1edtech_schemas(standards):
    """Why the credential carries one entry: OB 3.0's credentialStatus is [0..1]."""
    record = georgian_record()
    item = record.credentials[0]
    document = ob3.credential(record, item)
    document["credentialStatus"] = list(item.status_entries)
    problems = standards.check_ob3(document)
    assert any("ob_v3p0_achievementcredential_schema.json]" in p for p in problems)
    assert any("jsonld-variant" in p for p in problems)


def test_georgian_names_survive_byte_for_byte():
    record = georgian_record()
    data = serialise(ob3.credential(record, record.credentials[0]))
    assert f"{GIVEN} {FAMILY}".encode() in data
    assert b"\\u" not in data


def test_a_stack_lists_its_components_and_an_erased_learner_only_an_id():
    record = georgian_record()
    stack = next(c for c in record.credentials if c.is_stack)
    subject = ob3.credential(record, stack)["credentialSubject"]
    for part in record.components(stack):
        assert record.urls.credential(part.id) in subject["narrative"]
    assert subject["creditsEarned"] == 17.0
    erased = records()[2]
    subject = ob3.credential(erased, erased.credentials[0])["credentialSubject"]
    assert "identifier" not in subject
    assert subject["id"] == erased.urls.learner(erased.learner.id)
