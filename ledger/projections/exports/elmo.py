"""EMREX ELMO 1.7 XML per learner: one report per issuing provider, each credential a
learning opportunity with its ECTS credit and EQF level, and a stack's components as its parts.

ELMO reports achievements a learner may transfer, and its status vocabulary has no revoked or
suspended: only credentials in good standing ("active") are reported. ECTS credits sit on the
components and never on their stack, as ELMO forbids counting credits twice along a branch;
a component from another provider stays in that provider's report.
"""

import re
from collections.abc import Iterator, Sequence

from lxml import etree

from ledger.domain.status import ACTIVE
from ledger.projections.exports.formatting import language_of, number, timestamp
from ledger.projections.exports.model import (
    Credential,
    ExportInput,
    NothingToExport,
    Programme,
    Provider,
)

NAMESPACE = "https://github.com/emrex-eu/elmo-schemas/tree/v1"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
REPORTED = (ACTIVE,)
# Characters XML 1.0 cannot carry at all (not even as references): C0 controls but TAB, LF, CR,
# and the non-characters U+FFFE, U+FFFF. A grade or title may hold one (the signed JSON-LD
# exports carry it escaped); ELMO shows U+FFFD in its place rather than failing the report.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def report_xml(record: ExportInput) -> bytes:
    """The learner's ELMO document as UTF-8 XML bytes."""
    return etree.tostring(document(record), xml_declaration=True, encoding="UTF-8",
                          pretty_print=True)


def document(record: ExportInput) -> etree._Element:
    reported = [c for c in record.credentials if c.status in REPORTED]
    providers = sorted({c.provider_id for c in reported},
                       key=lambda pid: record.providers[pid].name)
    if not providers:  # ELMO requires at least one report
        raise NothingToExport(f"learner {record.learner.id} holds no credential in good "
                              "standing to report")
    root = etree.Element(f"{{{NAMESPACE}}}elmo", nsmap={None: NAMESPACE})
    add(root, "generatedDate", timestamp(record.as_of))
    learner(root, record)
    for provider_id in providers:
        report(root, record, record.providers[provider_id], reported)
    return root


def add(parent: etree._Element, tag: str, text: str | None = None,
        **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attributes)
    element.text = None if text is None else _NOT_XML.sub("\ufffd", text)
    return element


def learner(root: etree._Element, record: ExportInput) -> None:
    person = record.learner
    node = add(root, "learner")
    add(node, "identifier", person.id, type="learner-record-ledger")
    # Both names are required; an erased record has none, which ELMO writes as empty.
    add(node, "givenNames", person.given_name or "")
    add(node, "familyName", person.family_name or "")
    if person.birth_date:
        add(node, "bday", person.birth_date)


def report(root: etree._Element, record: ExportInput, provider: Provider,
           reported: list[Credential]) -> None:
    node = add(root, "report")
    issuer = add(node, "issuer")
    add(issuer, "country", provider.country)
    add(issuer, "identifier", provider.id, type="learner-record-ledger")
    if provider.legal_identifier:
        add(issuer, "identifier", provider.legal_identifier, type="legal-identifier")
    add(issuer, "title", provider.name, **{XML_LANG: language_of(provider.name)})
    add(issuer, "url", provider.url)
    for item in roots(record, provider, reported):
        opportunity(node, record, item, reported)
    add(node, "issueDate", timestamp(record.as_of))


def nested(record: ExportInput, stack: Credential, reported: list[Credential]) -> list[Credential]:
    """The components reported under a stack: in good standing and from the same provider."""
    return [c for c in record.components(stack)
            if c in reported and c.provider_id == stack.provider_id]


def roots(record: ExportInput, provider: Provider,
          reported: list[Credential]) -> Iterator[Credential]:
    """The provider's reported credentials that no reported stack of its own carries."""
    mine = [c for c in reported if c.provider_id == provider.id]
    carried = {c.id for stack in mine if stack.is_stack for c in nested(record, stack, reported)}
    return (c for c in mine if c.id not in carried)


def opportunity(parent: etree._Element, record: ExportInput, item: Credential,
                reported: list[Credential]) -> None:
    node = add(parent, "learningOpportunitySpecification")
    programme = None if item.is_stack else record.programme_of(item)
    if programme is None:
        specification(node, item.pathway_id or "", item.title, "Module",
                      record.urls.pathway(item.pathway_id or ""))
    else:
        specification(node, programme.id, item.title, "Course", programme.url,
                      programme.isced_f, programme.learning_outcomes)
    instance(add(add(node, "specifies"), "learningOpportunityInstance"), record, item,
             programme)
    for part in nested(record, item, reported) if item.is_stack else ():
        opportunity(add(node, "hasPart"), record, part, reported)


def specification(node: etree._Element, local_id: str, title: str, kind: str, url: str,
                  isced_f: str | None = None, outcomes: Sequence[str] = ()) -> None:
    add(node, "identifier", local_id, type="local")
    add(node, "title", title, **{XML_LANG: language_of(title)})
    add(node, "type", kind)
    if isced_f:
        add(node, "iscedCode", isced_f)
    add(node, "url", url)
    if outcomes:
        add(node, "description", "\n".join(outcomes), **{XML_LANG: language_of(" ".join(outcomes))})


def instance(node: etree._Element, record: ExportInput, item: Credential,
             programme: Programme | None) -> None:
    """What the learner achieved: when, the grade, the credits (never on a stack), levels."""
    add(node, "identifier", item.id, type="credential")
    add(node, "identifier", record.urls.verification(item.id), type="verification-url")
    add(node, "date", item.awarded_on)
    add(node, "status", "passed")
    if item.grade:
        add(node, "resultLabel", item.grade)
    if not item.is_stack:
        credit = add(node, "credit")
        add(credit, "scheme", "ects")
        add(credit, "value", number(item.ects))
    level(node, "EQF", item.eqf_level)
    if programme and programme.nqf_level is not None:
        country = record.provider_of(item).country
        level(node, "NQF", programme.nqf_level, f"National qualifications framework ({country})")
    if programme and programme.language:
        add(node, "languageOfInstruction", programme.language.split("-", 1)[0])


def level(node: etree._Element, kind: str, value: int, description: str | None = None) -> None:
    element = add(node, "level")
    add(element, "type", kind)
    if description:
        add(element, "description", description)
    add(element, "value", str(value))
