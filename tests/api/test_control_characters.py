"""A credential whose grade and assessment hold control characters, issued and exported over
HTTP: its signed OB 3.0 and CLR verify with Digital Bazaar's jsonld.js + rdf-canonize."""

import copy

from tests.conftest import STANDARDS
from tests.helpers import build_world
from tests.reference_js import reference

CONTROL = "".join(map(chr, range(0x20))) + "\x7f"


def test_signed_exports_with_control_characters_verify_with_the_reference(api):
    world = build_world(api)
    issued = world.issue(grade=f"A{CONTROL[:20]}", assessment=f"oral\x00exam\x1f{CONTROL}")
    for kind in ("ob3", "clr"):
        response = world.learner.get(f"/v1/learners/{world.learner_id}/exports/{kind}",
                                     min_position=issued["position"])
        assert response.status_code == 200, response.text
        documents = response.json()
        for document in documents if isinstance(documents, list) else [documents]:
            answer = reference({"document": document, "contexts": str(STANDARDS)})
            assert answer["proofs"] and all(answer["proofs"]), kind
    [credential] = world.learner.get(f"/v1/learners/{world.learner_id}/exports/ob3").json()
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["result"][0]["value"] = f"A{CONTROL[:19]}\x14"
    assert reference({"document": tampered, "contexts": str(STANDARDS)})["proofs"] == [False]
