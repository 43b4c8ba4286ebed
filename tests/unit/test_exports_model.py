"""The export input is built from what the read models hold; shared formatting helpers."""

from ledger.demo import PROGRAMMES
from ledger.projections.envelope import Envelope
from ledger.projections.exports.formatting import hours, language_of, number, timestamp
from ledger.projections.exports.model import (
    Credential,
    Learner,
    Programme,
    Provider,
    urls_for,
)
from ledger.projections.register import evolve_programme, evolve_provider
from ledger.projections.transcripts import Transcripts
from tests.unit.exports_samples import URLS, georgian_record

LEARNER, PROVIDER, PROGRAMME = "learner-1", "provider-1", "programme-1"


def envelope(kind: str, subject: str, position: int, data: dict) -> Envelope:
    return Envelope(type=kind, subject=subject, version=position, position=position,
                    time=f"2025-01-0{position}T09:00:00.250000+00:00",
                    data={"actor": "principal-1", "effective_on": "2025-01-01", **data})


def fold(envelopes: list[Envelope], key: str) -> dict:
    projection, doc = Transcripts(), None
    for e in envelopes:
        if key in projection.keys(e):
            doc = projection.evolve(doc, e, key)
    return doc


def issued(credential_id: str, position: int) -> Envelope:
    return envelope("LearnerRecord.CredentialIssued", LEARNER, position, {
        "credential_id": credential_id, "provider_id": PROVIDER, "programme_id": PROGRAMME,
        "title": "Python Programming for Data Analysis", "ects": 6.0, "eqf_level": 6,
        "awarded_on": "2024-12-20", "grade": "B (84/100)", "assessment": "Portfolio"})


def test_a_credential_comes_from_its_transcript_row_with_status_and_stacks():
    events = [issued("c1", 1), issued("c2", 2),
              envelope("LearnerRecord.CredentialStacked", LEARNER, 3, {
                  "credential_id": "s1", "pathway_id": "pathway-1", "provider_id": PROVIDER,
                  "title": "Data Science Essentials", "ects": 12.0, "eqf_level": 6,
                  "component_ids": ["c1", "c2"], "awarded_on": "2025-01-02"}),
              envelope("LearnerRecord.CredentialRevoked", LEARNER, 4,
                       {"credential_id": "c2", "reason": "Issued in error"}),
              envelope("LearnerRecord.CredentialCorrected", LEARNER, 5, {
                  "credential_id": "c1", "changes": {"grade": "A (91/100)"},
                  "previous": {"grade": "B (84/100)"}, "reason": "Marking error"})]
    entries = ({"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},)
    revoked = Credential.from_transcript(fold(events, "c2"), entries)
    assert (revoked.status, revoked.part_of, revoked.grade) == ("revoked", ("s1",), "B (84/100)")
    assert revoked.recorded_at == "2025-01-02T09:00:00.250000+00:00"  # revoking changes no content
    assert revoked.status_entries == entries
    corrected = Credential.from_transcript(fold(events, "c1"))
    assert (corrected.grade, corrected.recorded_at) == ("A (91/100)",
                                                        "2025-01-05T09:00:00.250000+00:00")
    stack = Credential.from_transcript(fold(events, "s1"))
    assert (stack.is_stack, stack.components, stack.pathway_id) == (True, ("c1", "c2"),
                                                                    "pathway-1")


def test_providers_and_programmes_come_from_the_register():
    provider = Provider.from_register(evolve_provider(None, envelope(
        "Provider.Registered", PROVIDER, 1, {"name": "Kutaisi Community College",
                                             "country": "GE", "kind": "vocational",
                                             "legal_identifier": None})), URLS)
    assert provider.url == f"{URLS.base}/v1/issuers/{PROVIDER}"
    assert (provider.legal_identifier, provider.did) == (None, URLS.did(PROVIDER))
    assert provider.did.startswith("did:web:") and provider.did.endswith(f":issuers:{PROVIDER}")
    spec = PROGRAMMES["solar"]["spec"]
    programme = Programme.from_register(evolve_programme(None, envelope(
        "MicroCredential.Submitted", PROGRAMME, 2,
        {"provider_id": PROVIDER, "specification": spec})), URLS)
    assert programme.learning_outcomes == tuple(spec["learning_outcomes"])
    assert (programme.participation_form, programme.isced_f, programme.nqf_level) == (
        "onsite", "0713", 4)
    assert programme.anchor("assessment") == f"{programme.url}#assessment"


def test_an_erased_learner_has_no_personal_data():
    erased = Learner.from_personal("learner-9", None)
    assert (erased.full_name, erased.birth_date) == (None, None)
    assert Learner.from_personal("l", {"given_name": "ნინო", "family_name": "ბერიძე"}
                                 ).full_name == "ნინო ბერიძე"


def test_the_roots_of_a_record_are_its_stacks_and_unstacked_credentials():
    record = georgian_record()
    roots = record.top_level()
    assert len(roots) == len(record.credentials) - 3
    assert all(not c.part_of for c in roots)


def test_urls_and_formatting():
    assert urls_for("https://ledger.example.ge/").verification("x") == \
        "https://ledger.example.ge/verify/x"
    assert (hours(150.0), hours(37.5)) == ("PT150H", "PT37H30M")
    assert (number(6.0), number(2.5)) == ("6", "2.5")
    assert timestamp("2025-03-01T10:15:30.5+04:00") == "2025-03-01T06:15:30Z"
    assert (language_of("ნინო"), language_of("Jonas Müller")) == ("ka", "en")
