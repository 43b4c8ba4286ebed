"""Open data of the public register: CSV rows and ELM JSON-LD nodes (programmes as EU LOQ
qualifications, providers' accreditations as EU AMS accreditations), streamed page by page."""

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from ledger.projections.exports import vocabulary as eu
from ledger.projections.exports.elm import identifier, note, operator, organisation, specification
from ledger.projections.exports.formatting import midnight, tagged
from ledger.projections.exports.model import (
    ExportInput,
    Learner,
    Operator,
    Programme,
    Provider,
)
from ledger.register_search import ProviderFilters, PublicRegister
from ledger.urls import PublicUrls

LICENCE = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_NAME = "CC BY 4.0"
# The ELM context leaves `id` and `type` to the VC context a credential also carries; a
# register is no credential, so they are aliased here.
CONTEXT = [{"id": "@id", "type": "@type"}, "http://data.europa.eu/snb/model/context/edc-ap"]
INSTITUTIONAL_ACCREDITATION = ("003293d2ce", "Institutional accreditation")

PROGRAMME_COLUMNS = ("id", "title", "provider_id", "provider_name", "isced_f", "eqf_level",
                     "ects", "language", "participation_form", "approved_on", "review_due",
                     "url")
PROVIDER_COLUMNS = ("id", "name", "country", "kind", "legal_identifier", "accredited_from",
                    "accredited_until", "decision_reference", "url")


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """RFC 4180 CSV, one line at a time (CRLF line ends, as the csv module writes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in _chain(header, rows):
        writer.writerow(["" if value is None else value for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _chain(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[Iterable[Any]]:
    yield header
    yield from rows


def programme_rows(register: PublicRegister, urls: PublicUrls, on: str) -> Iterator[list]:
    for entry in register.all_programmes(on=on):
        current = entry["approvals"][-1] if entry["approvals"] else {}
        yield [entry["id"], entry.get("title"), entry["provider_id"], entry["provider"]["name"],
               entry.get("isced_f"), entry.get("eqf_level"), entry.get("ects"),
               entry.get("language"), entry.get("participation_form"),
               current.get("valid_from"), entry.get("review_due"), urls.programme(entry["id"])]


def provider_rows(register: PublicRegister, urls: PublicUrls, on: str) -> Iterator[list]:
    for entry in register.all_providers(on=on):
        current = entry["accreditations"][-1] if entry["accreditations"] else {}
        yield [entry["id"], entry.get("name"), entry.get("country"), entry.get("kind"),
               entry.get("legal_identifier"), current.get("valid_from"),
               current.get("valid_until"), current.get("decision_reference"),
               urls.issuer(entry["id"])]


def dataset(url: str, title: str, modified_position: int) -> dict[str, Any]:
    """The document's own node: what it is and under which licence (DCAT, Dublin Core)."""
    return {"id": url, "type": "http://www.w3.org/ns/dcat#Dataset",
            "http://purl.org/dc/terms/title": title,
            "http://purl.org/dc/terms/license": {"id": LICENCE},
            "http://purl.org/dc/terms/identifier": f"{url}#position-{modified_position}"}


def jsonld_stream(head: dict[str, Any], nodes: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """A JSON-LD document `{"@context", "@graph": [head, *nodes]}`, node by node."""
    yield b'{"@context":' + orjson.dumps(CONTEXT) + b',"@graph":[' + orjson.dumps(head)
    for node in nodes:
        yield b"," + orjson.dumps(node)
    yield b"]}"


def register_record(urls: PublicUrls, operator_: Operator) -> ExportInput:
    """What the ELM builders read besides the programme: the operator and the URLs."""
    return ExportInput(learner=Learner("register"), credentials=(), providers={},
                       programmes={}, operator=operator_, urls=urls, as_of="")


def programme_nodes(register: PublicRegister, urls: PublicUrls, operator_: Operator,
                    on: str) -> Iterator[dict[str, Any]]:
    """Each listed programme as an ELM Qualification (its EU Annex I elements)."""
    record = register_record(urls, operator_)
    organisations: dict[str, dict[str, Any]] = {}
    for entry in register.all_programmes(on=on):
        node = specification(record, Programme.from_register(entry, urls))
        node["elm:NQFLevel"] = nqf_level(urls, entry)
        if entry["provider_id"] not in organisations:
            doc = register.provider_entry(entry["provider_id"], on)
            organisations[entry["provider_id"]] = organisation(
                Provider.from_register(doc, urls)) if doc else {}
        if org := organisations[entry["provider_id"]]:
            node["accreditation"]["organisation"] = org
        if entry.get("review_due"):
            node["additionalNote"] = [*_as_list(node.get("additionalNote")), note(
                f"{urls.programme(entry['id'])}#review-due",
                f"Approved by the quality-assurance body; review due {entry['review_due']}")]
        yield node


def nqf_level(urls: PublicUrls, entry: dict[str, Any]) -> dict[str, Any]:
    """The programme's national qualifications framework level as a concept of the ledger's
    own scheme (the EU publishes no NQF vocabulary to point at); without a recorded national
    level, the EQF level stands in, and the label says so (Georgia's NQF has eight levels
    referenced one to one to the EQF's)."""
    scheme = f"{urls.base}/open-data/nqf"
    if entry.get("nqf_level") is not None:
        level, label = entry["nqf_level"], f"NQF level {entry['nqf_level']}"
    else:
        level = entry["eqf_level"]
        label = f"NQF level {level} (the EQF level; no national level recorded)"
    return eu.concept(f"{scheme}/{level}", scheme, label)


def accreditation_nodes(register: PublicRegister, urls: PublicUrls, operator_: Operator,
                        on: str) -> Iterator[dict[str, Any]]:
    """Every accreditation window of every provider that was ever accredited, as an ELM
    Accreditation: the provider, the QA body, the dates, the scope and decision reference."""
    record = register_record(urls, operator_)
    agent = operator(record)
    everyone = ProviderFilters(status=(), include_history=True)
    for entry in register.all_providers(everyone, on=on):
        provider = Provider.from_register(entry, urls)
        org = organisation(provider)
        withdrawn = entry.get("withdrawals") or []
        for n, window in enumerate(entry["accreditations"], start=1):
            yield accreditation(provider, org, agent, n, window, withdrawn)


def accreditation(provider: Provider, org: dict, agent: dict, n: int, window: dict,
                  withdrawals: list[dict]) -> dict[str, Any]:
    node_id = f"{provider.url}#accreditation-{n}"
    code, label = INSTITUTIONAL_ACCREDITATION
    node: dict[str, Any] = {
        "id": node_id, "type": "Accreditation",
        "dcType": eu.snb("accreditation", code, label),
        "title": tagged(f"Institutional accreditation of {provider.name}"),
        "organisation": org, "accreditingAgent": agent,
        "issued": midnight(window["valid_from"]),
        "expiryDate": midnight(window["valid_until"]),
    }
    ended = [w for w in withdrawals if n <= w["windows_before"]]
    node["status"] = "withdrawn" if ended else "released"
    if window.get("decision_reference"):
        node["identifier"] = identifier(f"{node_id}-decision", window["decision_reference"],
                                        "Decision of the quality-assurance body")
    notes = []
    if window.get("scope"):
        notes.append(note(f"{node_id}-scope", f"Scope: {window['scope']}"))
    for w in ended:
        notes.append(note(f"{node_id}-withdrawal",
                          f"Withdrawn from {w['effective_on']}: {w['reason']}"))
    if notes:
        node["additionalNote"] = notes
    return node


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
