"""EMREX ELMO exports against the ELMO 1.7.0 XML Schema."""

import pytest
from lxml import etree

from ledger.projections.exports import elmo
from ledger.projections.exports.model import NothingToExport
from tests.unit.exports_samples import (
    FAMILY,
    GIVEN,
    georgian_record,
    record,
    records,
    run_check,
)

NS = {"e": elmo.NAMESPACE}


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def test_every_learners_report_is_valid_against_the_xsd(standards, tmp_path):
    for number, record_ in enumerate(records()):
        path = tmp_path / f"elmo-{number}.xml"
        path.write_bytes(elmo.report_xml(record_))
        assert standards.check_elmo(str(path)) == []


def test_check_py_passes_an_exported_file_in_its_own_process(standards, tmp_path):
    path = tmp_path / "elmo.xml"
    path.write_bytes(elmo.report_xml(georgian_record()))
    result = run_check(standards, "elmo", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_bites_on_a_report_without_issuer(standards, tmp_path):
    root = parse(elmo.report_xml(georgian_record()))
    issuer = root.find("e:report/e:issuer", NS)
    issuer.getparent().remove(issuer)
    path = tmp_path / "broken.xml"
    path.write_bytes(etree.tostring(root))
    assert standards.check_elmo(str(path)) != []


def test_one_report_per_provider_with_only_credentials_in_good_standing():
    record_ = georgian_record()
    root = parse(elmo.report_xml(record_))
    issuers = [r.findtext("e:issuer/e:title", namespaces=NS) for r in root.findall("e:report", NS)]
    assert issuers == ["Bank of Georgia Academy", "Ivane Javakhishvili Tbilisi State University"]
    reported = {i.text for i in root.iterfind(".//e:learningOpportunityInstance/"
                                              "e:identifier[@type='credential']", NS)}
    assert reported == {c.id for c in record_.credentials if c.status == "active"}


def test_a_stack_holds_its_components_and_only_they_carry_ects():
    root = parse(elmo.report_xml(georgian_record()))
    stack = root.find(".//e:learningOpportunitySpecification[e:type='Module']", NS)
    parts = stack.findall("e:hasPart/e:learningOpportunitySpecification", NS)
    assert [p.findtext("e:title", namespaces=NS) for p in parts] == [
        "Python Programming for Data Analysis", "Applied Statistics with R",
        "Machine Learning Foundations"]
    assert stack.find("e:specifies/e:learningOpportunityInstance/e:credit", NS) is None
    credits = [p.findtext("e:specifies/e:learningOpportunityInstance/e:credit/e:value",
                          namespaces=NS) for p in parts]
    assert credits == ["6", "5", "6"]
    levels = stack.findall("e:specifies/e:learningOpportunityInstance/e:level", NS)
    assert [(lv.findtext("e:type", namespaces=NS), lv.findtext("e:value", namespaces=NS))
            for lv in levels] == [("EQF", "7")]


def test_georgian_names_survive_byte_for_byte():
    data = elmo.report_xml(georgian_record())
    assert f"<givenNames>{GIVEN}</givenNames>".encode() in data
    assert f"<familyName>{FAMILY}</familyName>".encode() in data
    assert b"&#" not in data


def test_an_erased_learner_is_reported_without_names():
    learner = parse(elmo.report_xml(records()[2])).find("e:learner", NS)
    assert learner.findtext("e:givenNames", namespaces=NS) == ""
    assert learner.find("e:bday", NS) is None


def test_nothing_in_good_standing_means_no_report():
    revoked = [c for c in georgian_record().credentials if c.status != "active"]
    with pytest.raises(NothingToExport):
        elmo.report_xml(record(georgian_record().learner, revoked))
