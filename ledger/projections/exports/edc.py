"""European Digital Credential (ELM v3 JSON-LD, EDC application profile) per credential.

Where the eleven mandatory EU Annex I elements live (as in the EU's micro-credential sample):
learner = credentialSubject; title = claim and specification `title`; issuer's country and
awarding body = `awardedBy.awardingBody` (with its location); date of issuing =
`awardingDate` and `issued`; learning outcomes, workload (ECTS `creditPoint`,
`volumeOfLearning`), level (`eqfLevel`), type of assessment (`provenBy`), form of participation
(`mode`) and quality assurance (`accreditation`) = the programme's `Qualification`.

Its id is the credential's URL + "/edc" (the OB 3.0 document is the credential's URL itself).
Every other node id is either derived from the credential id or shared with identical content
wherever it appears (organisations, programmes, concepts), so many documents can be merged
into one graph without one credential's values landing on another's nodes.
"""

import base64

from ledger.projections.exports import elm
from ledger.projections.exports import vocabulary as eu
from ledger.projections.exports.formatting import language_of, midnight, qr_png, tagged, timestamp
from ledger.projections.exports.model import Credential, Document, ExportInput, Learner

CONTEXT = ["https://www.w3.org/2018/credentials/v1",
           "http://data.europa.eu/snb/model/context/edc-ap"]
SCHEMA = {"id": "http://data.europa.eu/snb/model/ap/edc-generic-full",
          "type": "ShaclValidator2017"}


def credential(record: ExportInput, item: Credential) -> Document:
    """The EDC of one credential (a stack carries its components as parts)."""
    provider = record.provider_of(item)
    return {
        "@context": CONTEXT,
        "id": record.urls.edc(item.id),
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "identifier": elm.identifier(f"urn:epass:identifier:{item.id}", item.id),
        "credentialProfiles": eu.snb("credential", "e34929035b", "Generic"),
        "credentialSchema": SCHEMA,
        # The profile allows one status, an xsd:anyURI literal: the public verification
        # endpoint. Written as the compact IRI, because the VC 1.1 term would make it a node.
        "cred:credentialStatus": {"@value": record.urls.verification(item.id),
                                  "type": "xsd:anyURI"},
        "displayParameter": display(record, item),
        "issuer": elm.organisation(provider),
        "issuanceDate": timestamp(item.recorded_at),
        "issued": timestamp(item.recorded_at),
        "validFrom": midnight(item.awarded_on),
        "credentialSubject": person(record, record.learner, achievement(record, item)),
    }


def person(record: ExportInput, learner: Learner, claim: Document) -> Document:
    node = {"id": record.urls.learner(learner.id), "type": "Person",
            "identifier": elm.identifier(f"urn:epass:identifier:{learner.id}", learner.id)}
    names = {"givenName": learner.given_name, "familyName": learner.family_name,
             "fullName": learner.full_name}
    node.update({key: tagged(value) for key, value in names.items() if value})
    if learner.birth_date:
        node["dateOfBirth"] = midnight(learner.birth_date)
    node["hasClaim"] = claim
    return node


def achievement(record: ExportInput, item: Credential) -> Document:
    awarding = {"id": f"urn:epass:awardingProcess:{item.id}", "type": "AwardingProcess",
                "awardingBody": elm.organisation(record.provider_of(item)),
                "awardingDate": midnight(item.awarded_on)}
    verify = record.urls.verification(item.id)
    node: Document = {
        "id": f"urn:epass:learningAchievement:{item.id}", "type": "LearningAchievement",
        "title": tagged(item.title), "awardedBy": awarding,
        "supplementaryDocument": {"id": verify, "type": "WebResource", "contentURL": verify},
    }
    if item.is_stack:
        parts = record.components(item)
        node["specifiedBy"] = elm.stack_specification(record, item, parts)
        node["hasPart"] = [achievement(record, part) for part in parts]
        return node
    programme = record.programme_of(item)
    node["specifiedBy"] = elm.specification(record, programme)
    if item.grade:  # the profile requires a grade on every assessment it records
        node["provenBy"] = {
            "id": f"urn:epass:learningAssessment:{item.id}", "type": "LearningAssessment",
            "title": tagged(item.assessment or programme.assessment_type),
            "grade": elm.note(f"urn:epass:grade:{item.id}", item.grade), "awardedBy": awarding,
            "specifiedBy": elm.assessment_specification(programme)}
    return node


def display(record: ExportInput, item: Credential) -> Document:
    """How a wallet shows the credential: its title, and as its one page the QR code of its
    verification link."""
    language = eu.language(language_of(item.title))
    image = base64.b64encode(qr_png(record.urls.verification(item.id))).decode("ascii")
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
