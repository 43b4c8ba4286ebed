"""ELM v3 building blocks of the European Digital Credential: identifiers, notes, organisations,
and the specifications a credential attests (a programme's `Qualification` with its EU Annex I
elements, a stack's made of its components')."""

from ledger.projections.exports import vocabulary as eu
from ledger.projections.exports.formatting import hours, number, summary, tagged
from ledger.projections.exports.model import (
    Credential,
    Document,
    ExportInput,
    Programme,
    Provider,
)

LEDGER_ID_SCHEME = "Identifier in the national learner-record ledger"


def identifier(node_id: str, notation: str, scheme: str = LEDGER_ID_SCHEME) -> Document:
    return {"id": node_id, "type": "Identifier", "notation": notation, "schemeName": scheme}


def note(node_id: str, text: str) -> Document:
    return {"id": node_id, "type": "Note", "noteLiteral": tagged(text)}


def location(owner: str, country: str) -> Document:
    return {"id": f"{owner}#location", "type": "Location",
            "address": {"id": f"{owner}#address", "type": "Address",
                        "countryCode": eu.country(country)}}


def organisation(provider: Provider) -> Document:
    """The awarding body, which also seals the credential (hence its eIDAS identifier)."""
    legal: Document = {"id": f"{provider.url}#legal-identifier", "type": "LegalIdentifier",
                       "notation": provider.legal_identifier or provider.id,
                       "spatial": eu.country(provider.country)}
    if not provider.legal_identifier:
        legal["schemeName"] = LEDGER_ID_SCHEME
    return {"id": provider.url, "type": "Organisation", "legalName": tagged(provider.name),
            "location": location(provider.url, provider.country), "eIDASIdentifier": legal}


def operator(record: ExportInput) -> Document:
    owner = record.urls.ledger
    return {"id": owner, "type": "Organisation", "legalName": tagged(record.operator.name),
            "location": location(owner, record.operator.country)}


def assessment_specification(programme: Programme) -> Document:
    node: Document = {"id": programme.anchor("assessment"),
                      "type": "LearningAssessmentSpecification",
                      "title": tagged(programme.assessment_type)}
    if programme.supervision:
        node["additionalNote"] = note(
            programme.anchor("supervision"),
            f"Supervision and identity verification: {programme.supervision}")
    return node


def quality_assurance(record: ExportInput, programme: Programme) -> Document:
    return {"id": programme.anchor("quality-assurance"), "type": "Accreditation",
            "dcType": eu.programme_quality_assurance(),
            "title": tagged(programme.quality_assurance), "accreditingAgent": operator(record)}


def outcomes(programme: Programme) -> list[Document]:
    return [{"id": programme.anchor(f"learning-outcome-{n}"), "type": "LearningOutcome",
             "title": tagged(text)}
            for n, text in enumerate(programme.learning_outcomes, start=1)]


def specification(record: ExportInput, programme: Programme) -> Document:
    node: Document = {
        "id": programme.url, "type": "Qualification", "title": tagged(programme.title),
        "description": tagged(summary(programme)),
        "dcType": eu.snb("learning-opportunity", "74a4a268e8", "Short learning programme"),
        "learningOutcome": outcomes(programme),
        "creditPoint": {"id": programme.anchor("ects"), "type": "CreditPoint",
                        "framework": eu.ects(), "point": number(programme.ects)},
        "eqfLevel": eu.eqf(programme.eqf_level),
        "mode": eu.mode(programme.participation_form),
        "provenBy": assessment_specification(programme),
        "accreditation": quality_assurance(record, programme),
    }
    if programme.workload_hours:
        node["volumeOfLearning"] = hours(programme.workload_hours)
    if programme.isced_f:
        node["thematicArea"] = eu.isced_f(programme.isced_f)
    if programme.language and (language := eu.language(programme.language)):
        node["language"] = language
    if programme.prerequisites:
        node["entryRequirement"] = note(programme.anchor("prerequisites"), programme.prerequisites)
    if notes := additional_notes(programme):
        node["additionalNote"] = notes
    return node


def additional_notes(programme: Programme) -> list[Document]:
    """The national level (as a note: the profile wants a concept of the EU's NQF vocabulary,
    which the ledger holds no mapping to) and whether the programme stacks."""
    texts = {}
    if programme.nqf_level is not None:
        texts["nqf-level"] = f"National qualifications framework level {programme.nqf_level}"
    if programme.stackable is not None:
        texts["stackability"] = ("Stackable with other micro-credentials" if programme.stackable
                                 else "Not designed for stacking")
    return [note(programme.anchor(anchor), text) for anchor, text in texts.items()]


def stack_specification(record: ExportInput, stack: Credential,
                        parts: list[Credential]) -> Document:
    """A stack's specification depends on the components this learner stacked, so its node is
    the stack's own; it lists the component programmes as its parts."""
    programmes = [record.programme_of(part) for part in parts]
    forms = {p.participation_form for p in programmes}
    node: Document = {
        "id": f"urn:epass:qualification:{stack.id}", "type": "Qualification",
        "title": tagged(stack.title),
        "description": tagged(f"Stacked micro-credential of {number(stack.ects)} ECTS credits "
                              f"at EQF level {stack.eqf_level}, awarded for "
                              f"{len(parts)} component micro-credentials."),
        "hasPart": [specification(record, p) for p in programmes],
        "learningOutcome": [o for p in programmes for o in outcomes(p)],
        "creditPoint": {"id": f"urn:epass:creditPoint:{stack.id}", "type": "CreditPoint",
                        "framework": eu.ects(), "point": number(stack.ects)},
        "eqfLevel": eu.eqf(stack.eqf_level),
        "mode": eu.mode(forms.pop() if len(forms) == 1 else "blended"),
        "provenBy": [assessment_specification(p) for p in programmes],
        "accreditation": [quality_assurance(record, p) for p in programmes],
    }
    if programmes and all(p.workload_hours for p in programmes):
        node["volumeOfLearning"] = hours(sum(p.workload_hours or 0 for p in programmes))
    return node
