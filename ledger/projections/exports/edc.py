"""European Digital Credential (ELM v3 JSON-LD, EDC application profile) per credential.

Where the eleven mandatory EU Annex I elements live (as in the EU's micro-credential sample):
learner = credentialSubject; title = claim and specification `title`; issuer's country and
awarding body = `awardedBy.awardingBody` (with its location); date of issuing =
`awardingDate` and `issued`; learning outcomes, workload (ECTS `creditPoint`,
`volumeOfLearning`), level (`eqfLevel`), type of assessment (`provenBy`), form of participation
(`mode`) and quality assurance (`accreditation`) = the programme's `Qualification`.

Node ids are either derived from the credential id or shared with identical content wherever
they appear (organisations, programmes, concepts), so many documents can be merged into one
graph without one credential's values landing on another's nodes.
"""

import base64

from ledger.projections.exports import vocabulary as eu
from ledger.projections.exports.formatting import (
    hours,
    language_of,
    midnight,
    number,
    qr_png,
    summary,
    tagged,
    timestamp,
)
from ledger.projections.exports.model import (
    Credential,
    Document,
    ExportInput,
    Learner,
    Programme,
    Provider,
)

CONTEXT = ["https://www.w3.org/2018/credentials/v1",
           "http://data.europa.eu/snb/model/context/edc-ap"]
SCHEMA = {"id": "http://data.europa.eu/snb/model/ap/edc-generic-full",
          "type": "ShaclValidator2017"}
LEDGER_ID_SCHEME = "Identifier in the national learner-record ledger"


def credential(record: ExportInput, item: Credential) -> Document:
    """The EDC of one credential (a stack carries its components as parts)."""
    provider = record.provider_of(item)
    return {
        "@context": CONTEXT,
        "id": f"urn:credential:{item.id}",
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "identifier": identifier(f"urn:epass:identifier:{item.id}", item.id),
        "credentialProfiles": eu.snb("credential", "e34929035b", "Generic"),
        "credentialSchema": SCHEMA,
        # The profile allows one status, an xsd:anyURI literal: the public verification
        # endpoint. Written as the compact IRI, because the VC 1.1 term would make it a node.
        "cred:credentialStatus": {"@value": record.urls.verify(item.id), "type": "xsd:anyURI"},
        "displayParameter": display(record, item),
        "issuer": organisation(provider),
        "issuanceDate": timestamp(item.recorded_at),
        "issued": timestamp(item.recorded_at),
        "validFrom": midnight(item.awarded_on),
        "credentialSubject": person(record, record.learner, achievement(record, item)),
    }


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


def person(record: ExportInput, learner: Learner, claim: Document) -> Document:
    node = {"id": record.urls.learner(learner.id), "type": "Person",
            "identifier": identifier(f"urn:epass:identifier:{learner.id}", learner.id)}
    names = {"givenName": learner.given_name, "familyName": learner.family_name,
             "fullName": learner.full_name}
    node.update({key: tagged(value) for key, value in names.items() if value})
    if learner.birth_date:
        node["dateOfBirth"] = midnight(learner.birth_date)
    node["hasClaim"] = claim
    return node


def achievement(record: ExportInput, item: Credential) -> Document:
    awarding = {"id": f"urn:epass:awardingProcess:{item.id}", "type": "AwardingProcess",
                "awardingBody": organisation(record.provider_of(item)),
                "awardingDate": midnight(item.awarded_on)}
    verify = record.urls.verify(item.id)
    node: Document = {
        "id": f"urn:epass:learningAchievement:{item.id}", "type": "LearningAchievement",
        "title": tagged(item.title), "awardedBy": awarding,
        "supplementaryDocument": {"id": verify, "type": "WebResource", "contentURL": verify},
    }
    if item.is_stack:
        parts = record.components(item)
        node["specifiedBy"] = stack_specification(record, item, parts)
        node["hasPart"] = [achievement(record, part) for part in parts]
        return node
    programme = record.programme_of(item)
    node["specifiedBy"] = specification(record, programme)
    if item.grade:  # the profile requires a grade on every assessment it records
        node["provenBy"] = {
            "id": f"urn:epass:learningAssessment:{item.id}", "type": "LearningAssessment",
            "title": tagged(item.assessment or programme.assessment_type),
            "grade": note(f"urn:epass:grade:{item.id}", item.grade), "awardedBy": awarding,
            "specifiedBy": assessment_specification(programme)}
    return node


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
    notes = []
    if programme.nqf_level is not None:
        notes.append(note(programme.anchor("nqf-level"), f"National qualifications framework level "
                                              f"{programme.nqf_level}"))
    if programme.stackable is not None:
        notes.append(note(programme.anchor("stackability"), "Stackable with other micro-credentials"
                          if programme.stackable else "Not designed for stacking"))
    if notes:
        node["additionalNote"] = notes
    return node


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


def display(record: ExportInput, item: Credential) -> Document:
    """How a wallet shows the credential: its title, and as its one page the QR code of its
    verification link."""
    language = eu.language(language_of(item.title))
    image = base64.b64encode(qr_png(record.urls.verify(item.id))).decode("ascii")
    return {
        "id": f"urn:epass:displayParameter:{item.id}", "type": "DisplayParameter",
        "title": tagged(item.title), "language": language, "primaryLanguage": language,
        "individualDisplay": {
            "id": f"urn:epass:individualDisplay:{item.id}", "type": "IndividualDisplay",
            "language": language,
            "displayDetail": {
                "id": f"urn:epass:displayDetail:{item.id}", "type": "DisplayDetail", "page": 1,
                "image": media_object(f"urn:epass:mediaObject:{item.id}", image)}},
    }


def media_object(node_id: str, png_base64: str) -> Document:
    return {"id": node_id, "type": "MediaObject", "content": png_base64,
            "contentEncoding": eu.snb("encoding", "6146cde7dd", "base64"),
            "contentType": eu.concept(f"{eu.AUTHORITY}/file-type/PNG",
                                      f"{eu.AUTHORITY}/file-type", "PNG")}


def credentials(record: ExportInput) -> list[Document]:
    """Every credential of the record, in award order."""
    return [credential(record, item) for item in record.credentials]
