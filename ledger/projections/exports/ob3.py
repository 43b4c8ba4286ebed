"""Open Badges 3.0 `AchievementCredential` per credential (achievementType `MicroCredential`).

OB 3.0 has terms for the title, description, criteria, credits, grade and award date; every
other EU Annex I element is an `alignment` of the achievement, pointing at the EU vocabulary
concept where one exists (EQF level, ISCED-F field, ECTS, mode of participation, type of quality
assurance) and otherwise at the element in the programme's register entry. The grade is the
`result` of the achievement's `resultDescription`. OB 3.0 allows one `credentialStatus`
(both 1EdTech schemas reject a list), so the credential carries its revocation entry; the
verification endpoint also reports suspension.
"""

import re

from ledger.projections.exports import vocabulary as eu
from ledger.projections.exports.formatting import (
    midnight,
    number,
    outcomes_text,
    summary,
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

# The extensions context defines the schema validator's type (1EdTech's examples use it too).
CONTEXT = ["https://www.w3.org/ns/credentials/v2",
           "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
           "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"]
SCHEMA = [{"id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                 "ob_v3p0_achievementcredential_schema.json",
           "type": "1EdTechJsonSchemaValidator2019"}]
ANNEX_I = "EU micro-credentials: Council Recommendation 2022/C 243/02, Annex I"
OB3_LANGUAGE = re.compile(r"^[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")


def credential(record: ExportInput, item: Credential) -> Document:
    provider = record.provider_of(item)
    document: Document = {
        "@context": CONTEXT,
        "id": record.urls.credential(item.id),
        "type": ["VerifiableCredential", "AchievementCredential"],
        "name": item.title,
        "description": f"{item.title}: awarded by {provider.name} on {item.awarded_on}.",
        "issuer": issuer(provider, item.awarded_on),
        "validFrom": timestamp(item.recorded_at),
        "awardedDate": midnight(item.awarded_on),
        "credentialSubject": subject(record, item),
        "credentialSchema": SCHEMA,
    }
    if status := status_entry(item):
        document["credentialStatus"] = status
    return document


def credentials(record: ExportInput) -> list[Document]:
    return [credential(record, item) for item in record.credentials]


def status_entry(item: Credential) -> Document | None:
    """The revocation entry (OB 3.0 allows one status), else whatever single entry there is."""
    entries = sorted(item.status_entries, key=lambda e: e.get("statusPurpose") != "revocation")
    return dict(entries[0]) if entries else None


def issuer(provider: Provider, awarded_on: str) -> Document:
    """The issuer's Profile carrying, in `endorsement`, the QA body's signed accreditation
    that was in force on the award date: an offline verifier checks it on its own."""
    node = profile(provider)
    if endorsement := provider.endorsement_on(awarded_on):
        node["endorsement"] = [endorsement]
    return node


def profile(provider: Provider) -> Document:
    """The issuer: its DID (whose document lists the keys that sign), with its profile URL."""
    identifiers = [("identifier", provider.legal_identifier)]
    node: Document = {"id": provider.did or provider.url, "type": ["Profile"],
                      "name": provider.name, "url": provider.url,
                      "address": {"type": ["Address"], "addressCountryCode": provider.country}}
    entries = [{"type": "IdentifierEntry", "identifier": value, "identifierType": kind}
               for kind, value in identifiers if value]
    if entries:
        node["otherIdentifier"] = entries
    return node


def identity(learner: Learner) -> list[Document]:
    if not learner.full_name:  # erased: the id alone
        return []
    return [{"type": "IdentityObject", "identityType": "name", "hashed": False,
             "identityHash": learner.full_name}]


def subject(record: ExportInput, item: Credential) -> Document:
    node: Document = {"id": record.urls.learner(record.learner.id),
                      "type": ["AchievementSubject"]}
    if names := identity(record.learner):
        node["identifier"] = names
    node["achievement"] = achievement(record, item)
    node["creditsEarned"] = item.ects
    if item.grade and not item.is_stack:
        grade = record.programme_of(item).anchor("grade")
        node["result"] = [{"type": ["Result"], "resultDescription": grade, "value": item.grade}]
    if item.is_stack:
        node["narrative"] = "Components:\n" + "\n".join(
            f"- {c.title} ({number(c.ects)} ECTS, awarded {c.awarded_on}): "
            f"{record.urls.credential(c.id)}" for c in record.components(item))
    return node


def achievement_id(record: ExportInput, item: Credential) -> str:
    """The programme's (or, for a stack, the pathway's) public URL."""
    if item.is_stack:
        return record.urls.pathway(item.pathway_id or "")
    return record.programme_of(item).url


def achievement(record: ExportInput, item: Credential) -> Document:
    provider = record.provider_of(item)
    if item.is_stack:
        return {
            "id": achievement_id(record, item), "type": ["Achievement"],
            "achievementType": "MicroCredential", "name": item.title,
            "description": f"Stacked micro-credential awarded by {provider.name} for the "
                           "component micro-credentials its pathway requires.",
            "criteria": {"narrative": "Holding the component micro-credentials that the "
                                      "pathway requires; each is a micro-credential itself."},
            "creator": profile(provider),
            "alignment": [eqf(item.eqf_level), ects(item.ects)],
        }
    programme = record.programme_of(item)
    node: Document = {
        "id": programme.url, "type": ["Achievement"], "achievementType": "MicroCredential",
        "name": programme.title, "description": summary(programme),
        "criteria": {"narrative": criteria(programme)}, "creator": profile(provider),
        "creditsAvailable": programme.ects, "alignment": alignments(programme, provider),
        "resultDescription": [{"id": programme.anchor("grade"), "type": ["ResultDescription"],
                               "name": f"Grade ({programme.assessment_type})",
                               "resultType": "Result"}],
    }
    if programme.language and OB3_LANGUAGE.match(programme.language):
        node["inLanguage"] = programme.language
    return node


def criteria(programme: Programme) -> str:
    lines = ["Learning outcomes: the learner is able to", outcomes_text(programme), "",
             f"Assessment: {programme.assessment_type}"]
    if programme.supervision:
        lines.append(f"Supervision and identity verification: {programme.supervision}")
    if programme.prerequisites:
        lines.append(f"Prerequisites: {programme.prerequisites}")
    return "\n".join(lines)


def align(name: str, url: str, kind: str, framework: str = ANNEX_I,
          code: str | None = None, description: str | None = None) -> Document:
    node: Document = {"type": ["Alignment"], "targetName": name, "targetUrl": url,
                      "targetType": f"ext:{kind}", "targetFramework": framework}
    if code is not None:
        node["targetCode"] = code
    if description:
        node["targetDescription"] = description
    return node


def eqf(level: int) -> Document:
    return align(f"EQF level {level}", eu.eqf_url(level), "EQFLevel",
                 "European Qualifications Framework (EQF)", str(level))


def ects(credits: float, workload_hours: float | None = None) -> Document:
    workload = f"Notional workload {number(workload_hours)} hours" if workload_hours else None
    return align(f"{number(credits)} ECTS credits", eu.ECTS, "ECTSCredits",
                 "European Credit Transfer and Accumulation System (ECTS)", number(credits),
                 workload)


def alignments(programme: Programme, provider: Provider) -> list[Document]:
    p = programme
    nodes = [eqf(p.eqf_level), ects(p.ects, p.workload_hours),
             align(eu.MODES[p.participation_form][1], eu.mode_url(p.participation_form),
                   "ParticipationForm", "Europass modes of learning and assessment",
                   p.participation_form),
             align(p.assessment_type, p.anchor("assessment"), "AssessmentType"),
             align(p.quality_assurance, eu.PROGRAMME_QUALITY_ASSURANCE, "QualityAssurance",
                   code="programme-quality-assurance")]
    nodes += [align(text, p.anchor(f"learning-outcome-{n}"), "LearningOutcome",
                    f"Learning outcomes of {p.title}", f"LO{n}")
              for n, text in enumerate(p.learning_outcomes, start=1)]
    if p.nqf_level is not None:
        nodes.append(align(f"NQF level {p.nqf_level}", p.anchor("nqf-level"), "NQFLevel",
                           f"National qualifications framework ({provider.country})",
                           str(p.nqf_level)))
    if p.isced_f:
        nodes.append(align(f"ISCED-F {p.isced_f}", eu.isced_f_url(p.isced_f), "ISCEDF",
                           "ISCED Fields of Education and Training 2013 (ISCED-F)", p.isced_f))
    optional = (("supervision", p.supervision, "Supervision"),
                ("prerequisites", p.prerequisites, "Prerequisites"))
    nodes += [align(text, p.anchor(anchor), kind) for anchor, text, kind in optional if text]
    if p.stackable is not None:
        nodes.append(align("Stackable with other micro-credentials" if p.stackable
                           else "Not designed for stacking", p.anchor("stackability"),
                           "Stackability"))
    return nodes
