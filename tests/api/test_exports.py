"""A learner's portable exports over HTTP: every format conforms to its standard, OB 3.0 and
CLR 2.0 are signed and verifiable offline, statuses reach the status lists."""

import io
import json

import pytest
from pypdf import PdfReader

from tests.helpers import build_world, created, define_pathway, problem

GIVEN, FAMILY = "ნინო", "ბერიძე"
FORMATS = {"ob3": "application/json", "clr": "application/json", "edc": "application/ld+json",
           "elmo": "application/xml", "pdf": "application/pdf"}


def export(caller, learner_id, kind, position):
    response = caller.get(f"/v1/learners/{learner_id}/exports/{kind}", min_position=position)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FORMATS[kind])
    return response


@pytest.fixture
def record(api):
    """A learner with two credentials stacked into a third, one more credential revoked."""
    world = build_world(api)
    programmes = [world.programme() for _ in range(3)]
    first, second, third = (world.issue(programme_id=p)["id"] for p in programmes)
    pathway = define_pathway(world, programmes[:2])
    stack = created(world.provider.post("/v1/stacks", {
        "learner_id": world.learner_id, "pathway_id": pathway, "component_ids": [first, second],
        "awarded_on": "2025-04-01"}))
    revoked = created(world.provider.post(f"/v1/credentials/{third}/revoke",
                                          {"reason": "assessment malpractice"}), 200)
    world.ids = {"components": [first, second], "stack": stack["id"], "revoked": third}
    world.position = revoked["position"]
    return world


def test_every_format_conforms_to_its_standard(record, standards, tmp_path):
    learner = record.learner
    ob3 = export(learner, record.learner_id, "ob3", record.position).json()
    assert len(ob3) == 4
    for credential in ob3:
        assert standards.check_ob3(credential) == []
        assert standards.check_terms(credential) == []
        assert standards.check_proof(credential) == []
    clr = export(learner, record.learner_id, "clr", record.position).json()
    assert standards.check_clr(clr) == []
    assert standards.check_proof(clr) == []
    for edc in export(learner, record.learner_id, "edc", record.position).json():
        assert standards.check_edc(edc) == []
    elmo = tmp_path / "elmo.xml"
    elmo.write_bytes(export(learner, record.learner_id, "elmo", record.position).content)
    assert standards.check_elmo(str(elmo)) == []
    pdf = export(learner, record.learner_id, "pdf", record.position).content
    assert pdf.startswith(b"%PDF")


def test_georgian_names_survive_every_format_byte_for_byte(record):
    learner = record.learner
    for kind in ("ob3", "clr", "edc", "elmo"):
        content = export(learner, record.learner_id, kind, record.position).content
        assert GIVEN.encode() in content and FAMILY.encode() in content, kind
    pdf = export(learner, record.learner_id, "pdf", record.position).content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert GIVEN in text and FAMILY in text


def test_clr_expresses_stacking_as_is_part_of(record):
    clr = export(record.learner, record.learner_id, "clr", record.position).json()
    associations = clr["credentialSubject"]["association"]
    assert len(associations) == 2
    assert {a["associationType"] for a in associations} == {"isPartOf"}
    assert len({a["targetId"] for a in associations}) == 1


def test_revoked_credential_is_flagged_in_its_revocation_list(record, api):
    ob3 = export(record.learner, record.learner_id, "ob3", record.position).json()
    revoked = next(c for c in ob3 if c["id"].endswith(record.ids["revoked"]))
    status = revoked["credentialStatus"]
    assert status["statusPurpose"] == "revocation"
    verdict = api.anonymous().post("/v1/verify", revoked).json()
    assert verdict["status"]["revocation"] == "revoked", verdict
    active = next(c for c in ob3 if c["id"].endswith(record.ids["stack"]))
    verdict = api.anonymous().post("/v1/verify", active).json()
    assert verdict["status"]["revocation"] == "active", verdict


def test_changing_any_value_of_a_signed_export_breaks_its_proof(record, api, standards):
    ob3 = export(record.learner, record.learner_id, "ob3", record.position).json()
    credential = next(c for c in ob3 if c["id"].endswith(record.ids["stack"]))
    assert api.anonymous().post("/v1/verify", credential).json()["proofs"][0]["valid"] is True
    text = json.dumps(credential, ensure_ascii=False)
    assert GIVEN in text
    tampered = json.loads(text.replace(GIVEN, GIVEN[:-1] + "ა"))
    assert standards.check_proof(tampered) != []
    report = api.anonymous().post("/v1/verify", tampered).json()
    assert report["proofs"][0]["valid"] is False and report["verdict"] == "invalid", report


def test_only_the_learner_or_an_auditor_may_export(record, api):
    problem(record.provider.get(f"/v1/learners/{record.learner_id}/exports/clr"), 403)
    other = api.as_("learner", record.new_learner())
    problem(other.get(f"/v1/learners/{record.learner_id}/exports/clr"), 403)
    export(api.as_("auditor"), record.learner_id, "clr", record.position)
    problem(record.learner.get(f"/v1/learners/{record.learner_id}/exports/docx"), 404)


def test_a_shared_credential_is_public_and_an_unshared_one_is_not(record, api):
    path, at = f"/v1/credentials/{record.ids['stack']}/ob3", record.position
    problem(api.anonymous().get(path, min_position=at), 401)
    other = api.as_("learner", record.new_learner())
    problem(other.get(path, min_position=at), 403)
    assert record.learner.get(path, min_position=at).status_code == 200
    shared = created(record.learner.post(f"/v1/credentials/{record.ids['stack']}/share", {}),
                     200)
    response = api.anonymous().get(path, min_position=shared["position"])
    assert response.status_code == 200, response.text
    assert response.json()["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
