"""ELMO reports carry an enveloped XML signature by the ledger's published certificate: Debian's
xmlsec1 accepts them with the certificate from /.well-known/ledger-certificate.pem, refuses a
copy with one changed byte, and the signed report is still valid against the ELMO XSD."""

from cryptography import x509
from lxml import etree

from ledger.projections.exports.elmo import NAMESPACE
from tests.helpers import build_world
from tests.xmlsec import one_byte_changed, xmlsec_verifies

DS = "http://www.w3.org/2000/09/xmldsig#"


def test_a_signed_elmo_report_verifies_with_the_published_certificate(api, standards,
                                                                      tmp_path):
    world = build_world(api)
    issued = world.issue(grade="B+")
    published = api.anonymous().get("/.well-known/ledger-certificate.pem")
    assert published.status_code == 200
    assert published.headers["content-type"].startswith("application/x-pem-file")
    certificate = tmp_path / "ledger.pem"
    certificate.write_bytes(published.content)
    x509.load_pem_x509_certificate(published.content)  # a certificate, not just any PEM

    response = world.learner.get(f"/v1/learners/{world.learner_id}/exports/elmo",
                                 min_position=issued["position"])
    assert response.status_code == 200, response.text
    report = tmp_path / "elmo.xml"
    report.write_bytes(response.content)
    assert xmlsec_verifies(certificate, report)
    assert standards.check_elmo(str(report)) == []

    # EMREX: the signature is the root's last child, one reference to the whole document,
    # and the certificate rides along in KeyInfo.
    root = etree.fromstring(response.content)
    assert root[-1].tag == f"{{{DS}}}Signature"
    assert [r.get("URI") for r in root.iter(f"{{{DS}}}Reference")] == [""]
    carried = root.findtext(f".//{{{DS}}}X509Certificate")
    assert "".join(carried.split()) in "".join(published.text.split())

    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(one_byte_changed(response.content, b"<resultLabel>"))
    assert not xmlsec_verifies(certificate, tampered)
    assert standards.check_elmo(str(tampered)) == []  # still valid XML: only the signature
    assert root.find(f"{{{NAMESPACE}}}report") is not None


def test_the_same_record_gives_the_same_signed_bytes(api):
    world = build_world(api)
    issued = world.issue()
    first, second = (world.learner.get(f"/v1/learners/{world.learner_id}/exports/elmo",
                                       min_position=issued["position"]) for _ in range(2))
    assert first.content == second.content
    assert first.headers["content-digest"] == second.headers["content-digest"]


def test_a_grade_with_control_characters_still_gives_a_signed_valid_report(api, standards,
                                                                            tmp_path):
    world = build_world(api)
    issued = world.issue(grade="A\x01\x7f\t+")
    response = world.learner.get(f"/v1/learners/{world.learner_id}/exports/elmo",
                                 min_position=issued["position"])
    assert response.status_code == 200, response.text
    report = tmp_path / "elmo.xml"
    report.write_bytes(response.content)
    assert standards.check_elmo(str(report)) == []
    assert etree.fromstring(response.content).findtext(
        f".//{{{NAMESPACE}}}resultLabel") == "A\ufffd\x7f\t+"
    certificate = tmp_path / "ledger.pem"
    certificate.write_bytes(api.anonymous().get("/.well-known/ledger-certificate.pem").content)
    assert xmlsec_verifies(certificate, report)
