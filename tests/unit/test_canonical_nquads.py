"""Canonical N-Quads with control characters: our canonicaliser (pyld with RDFC-1.0 escapes)
gives the bytes Digital Bazaar's rdf-canonize gives, and a credential whose text holds a control
character verifies with jsonld.js + rdf-canonize."""

import copy

import pytest
from pyld import jsonld

from ledger.signing import data_integrity, did_key, nquads
from ledger.standards import Standards
from ledger.urls import PublicUrls
from tests.conftest import STANDARDS
from tests.documents import achievement_credential
from tests.reference_js import reference

CONTROL = "".join(map(chr, range(0x20))) + "\x7f"


Key = did_key.EphemeralKey


@pytest.fixture(scope="module")
def standards() -> Standards:
    return Standards(STANDARDS)


@pytest.mark.parametrize(("text", "escaped"), [
    ("\x00\x01\x07", "\\u0000\\u0001\\u0007"),
    ("\b\t\n\x0b\f\r", "\\b\\t\\n\\u000B\\f\\r"),
    ("\x0e\x1a\x1f\x7f", "\\u000E\\u001A\\u001F\\u007F"),
    ('say "\\"', 'say \\"\\\\\\"'),
    ("\x80 ნინო ∞ 🌃", "\x80 ნინო ∞ 🌃"),  # RDFC-1.0: everything else as itself
])
def test_literals_are_escaped_as_rdfc_1_0_says(text, escaped):
    assert nquads.escape_literal(text) == escaped
    assert nquads.unescape_literal(escaped) == text


def test_every_low_code_point_canonicalises_as_rdf_canonize_does():
    # Literals and a blank node whose hash covers them (the escapes feed the hashes too).
    doc = {"@id": "urn:ex:s", "urn:ex:p": [
        {"@value": "".join(map(chr, range(start, start + 16)))} for start in range(0, 0xb0, 16)
    ] + [{"urn:ex:q": CONTROL}, {"urn:ex:q": "\x00"}]}
    ours = jsonld.normalize(doc, {"algorithm": "URDNA2015", "format": "application/n-quads"})
    dataset = jsonld.to_rdf(doc, {"format": "application/n-quads"})
    assert "\\u001F" in ours and "\x01" not in ours
    assert reference({"nquads": dataset})["canonical"] == ours


def test_a_credential_with_control_characters_verifies_with_the_reference(standards):
    document = achievement_credential(PublicUrls("https://ledger.example.ge"), "c-1", "p-1",
                                      7)
    document["credentialSubject"]["result"][0]["value"] = f"A{CONTROL}+"
    document["credentialSubject"]["achievement"]["name"] = "Data\x01Literacy\x7f"
    signed = data_integrity.sign(document, Key(), "2025-03-01T00:00:00Z", standards)
    assert [c.valid for c in data_integrity.verify(signed, standards)] == [True]

    answer = reference({"document": signed, "contexts": str(STANDARDS)})
    assert answer["canonical"] == data_integrity.canonicalise(document, standards)
    assert answer["proofs"] == [True]

    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["result"][0]["value"] = f"A{CONTROL[:-1]}\x7e+"
    assert reference({"document": tampered, "contexts": str(STANDARDS)})["proofs"] == [False]
