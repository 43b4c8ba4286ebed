"""European Digital Credentials against the EU's SHACL shapes and the JSON-LD contexts."""

import base64
import copy

from ledger.projections.exports import edc
from ledger.projections.exports.formatting import qr_png, serialise
from tests.unit.exports_samples import (
    FAMILY,
    GIVEN,
    edc_graph,
    georgian_record,
    records,
    relative_iris,
    run_check,
)


def test_every_credential_conforms_to_the_eu_shapes_and_defines_every_term(standards):
    for record in records():
        for document in edc.credentials(record):
            assert standards.check_edc(document) == []
            assert standards.check_terms(document) == []
            assert relative_iris(standards, document) == set()


def test_check_py_passes_an_exported_file_in_its_own_process(standards, tmp_path):
    record = georgian_record()
    stack = next(c for c in record.credentials if c.is_stack)
    path = tmp_path / "edc.jsonld"
    path.write_bytes(serialise(edc.credential(record, stack)))
    for kind in ("edc", "terms"):
        result = run_check(standards, kind, path)
        assert result.returncode == 0, result.stdout + result.stderr


def test_a_micro_credential_carries_all_eleven_annex_i_elements():
    record = georgian_record()
    document = edc.credential(record, record.credentials[0])
    person = document["credentialSubject"]
    claim = person["hasClaim"]
    spec = claim["specifiedBy"]
    body = claim["awardedBy"]["awardingBody"]
    assert (person["givenName"], person["familyName"]) == ({"ka": GIVEN}, {"ka": FAMILY})  # 1
    assert claim["title"] == spec["title"] == {"en": "Python Programming for Data Analysis"}  # 2
    assert body["location"]["address"]["countryCode"]["id"].endswith("/country/GEO")  # 3
    assert body["legalName"] == {"en": "Ivane Javakhishvili Tbilisi State University"}  # 4
    assert claim["awardedBy"]["awardingDate"] == "2024-02-10T00:00:00Z"  # 5
    assert len(spec["learningOutcome"]) == 3  # 6
    assert (spec["creditPoint"]["point"], spec["volumeOfLearning"]) == ("6", "PT150H")  # 7
    assert spec["eqfLevel"]["id"] == "http://data.europa.eu/snb/eqf/6"  # 8
    assert spec["provenBy"]["title"]["en"].startswith("Graded project portfolio")  # 9
    assert claim["provenBy"]["grade"]["noteLiteral"] == {"en": "A (94/100)"}
    assert spec["mode"]["prefLabel"] == {"en": "Blended"}  # 10
    assert spec["accreditation"]["title"]["en"].startswith("Internal QA")  # 11
    assert spec["accreditation"]["accreditingAgent"]["legalName"]["en"].startswith("National")


def test_a_stack_carries_its_components_as_parts():
    record = georgian_record()
    stack = next(c for c in record.credentials if c.is_stack)
    claim = edc.credential(record, stack)["credentialSubject"]["hasClaim"]
    parts = record.components(stack)
    assert [p["id"] for p in claim["hasPart"]] == \
        [f"urn:epass:learningAchievement:{p.id}" for p in parts]
    assert len(claim["specifiedBy"]["hasPart"]) == 3
    assert claim["specifiedBy"]["creditPoint"]["point"] == "17"
    assert len(claim["specifiedBy"]["learningOutcome"]) == 9


def test_status_is_the_verification_url_and_the_display_its_qr_code():
    record = georgian_record()
    item = record.credentials[0]
    document = edc.credential(record, item)
    verify = record.urls.verification(item.id)
    assert document["cred:credentialStatus"]["@value"] == verify
    image = document["displayParameter"]["individualDisplay"]["displayDetail"]["image"]
    assert base64.b64decode(image["content"]) == qr_png(verify)


def test_the_shapes_catch_an_issuer_without_an_eidas_identifier(standards):
    record = georgian_record()
    document = edc.credential(record, record.credentials[0])
    del document["issuer"]["eIDASIdentifier"]
    document["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"] = document["issuer"]
    assert any("eidasLegalIdentifier" in p for p in standards.check_edc(document))


def test_a_provider_without_legal_identifier_is_identified_by_its_ledger_id(standards):
    record = georgian_record()
    solar = next(c for c in record.credentials if c.title.startswith("მზის"))
    issuer = edc.credential(record, solar)["issuer"]
    assert issuer["eIDASIdentifier"]["notation"] == solar.provider_id
    assert "schemeName" in issuer["eIDASIdentifier"]


def test_many_credentials_validate_as_one_graph_and_a_bad_one_is_still_found(standards):
    documents = [d for record in records() for d in edc.credentials(record)]
    assert standards.check_edc(edc_graph(documents)) == []
    broken = copy.deepcopy(documents)
    del broken[4]["issued"]
    problems = standards.check_edc(edc_graph(broken))
    assert any("issued" in p and broken[4]["id"] in p for p in problems)


def test_a_merged_graph_can_hide_a_node_one_document_left_incomplete(standards):
    """The limit of merged validation: shared ids pool their triples. Our documents always
    write shared nodes whole, so for them merged and one-by-one results agree."""
    record = georgian_record()
    complete, other = edc.credential(record, record.credentials[0]), \
        edc.credential(record, record.credentials[1])
    del other["issuer"]["location"]
    other["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"] = other["issuer"]
    assert standards.check_edc(other) != []
    assert standards.check_edc(edc_graph([complete, other])) == []


def test_the_credential_and_its_issuer_are_identified_by_https_urls():
    record = georgian_record()
    item = record.credentials[0]
    document = edc.credential(record, item)
    assert document["id"] == f"https://ledger.example.ge/v1/credentials/{item.id}/edc"
    assert document["issuer"]["id"] == record.urls.issuer(item.provider_id)
