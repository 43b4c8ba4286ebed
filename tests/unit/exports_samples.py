"""Export inputs like the demo's: its organisations and programmes, a Georgian-script learner
with a stack of three components, a revoked and a suspended credential, a Latin-script learner
and an erased one."""

import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from uuid import NAMESPACE_URL, uuid5

from ledger.demo import ORGANISATIONS, PROGRAMMES
from ledger.projections.exports.model import (
    Credential,
    ExportInput,
    Learner,
    Operator,
    Programme,
    Provider,
    urls_for,
)

BASE_URL = "https://ledger.example.ge"
URLS = urls_for(BASE_URL)
OPERATOR = Operator("National Center for Educational Quality Enhancement (NCEQE)", "GE")
LEGAL_IDS = {"tsu": "204864548", "bog": "204378869"}  # kutaisi has none: the fallback applies
GIVEN, FAMILY = "ნინო", "ჭავჭავაძე"
DATA_SCIENCE = "Data Science Essentials"
RELATIVE_BASE = "http://relative.invalid/"


def uid(name: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"exports-sample/{name}"))


def providers() -> dict[str, Provider]:
    return {uid(key): Provider(id=uid(key), name=org["name"], country="GE", kind=org["kind"],
                               url=URLS.issuer(uid(key)), legal_identifier=LEGAL_IDS.get(key),
                               did=URLS.did(uid(key)))
            for key, org in ORGANISATIONS.items() if "accredited" in org}


def programmes() -> dict[str, Programme]:
    register = {key: {"id": uid(key), "provider_id": uid(p["provider"]), **p["spec"]}
                for key, p in PROGRAMMES.items()}
    return {doc["id"]: Programme.from_register(doc, URLS) for doc in register.values()}


def status_entries(index: int) -> tuple[dict, ...]:
    return tuple({"id": f"{BASE_URL}/v1/status-lists/{purpose}-1#{index}",
                  "type": "BitstringStatusListEntry", "statusPurpose": purpose,
                  "statusListIndex": str(index),
                  "statusListCredential": f"{BASE_URL}/v1/status-lists/{purpose}-1"}
                 for purpose in ("revocation", "suspension"))


def award(learner: str, key: str, day: str, grade: str | None, status: str = "active",
          index: int = 0, part_of: tuple[str, ...] = ()) -> Credential:
    spec = PROGRAMMES[key]["spec"]
    return Credential(
        id=uid(f"{learner}/{key}"), kind="credential", provider_id=uid(PROGRAMMES[key]["provider"]),
        title=spec["title"], awarded_on=day, ects=spec["ects"], eqf_level=spec["eqf_level"],
        status=status, recorded_at=f"{day}T10:15:30.123456+00:00", programme_id=uid(key),
        grade=grade, assessment=spec["assessment_type"], part_of=part_of,
        status_entries=status_entries(index))


def georgian_record() -> ExportInput:
    """ნინო ჭავჭავაძე: python, statistics and ML stacked; solar revoked; AML suspended;
    digital banking active."""
    stack_id = uid("nino/data-science")
    parts = [award("nino", "python", "2024-02-10", "A (94/100)", index=1, part_of=(stack_id,)),
             award("nino", "statistics", "2024-06-20", "B (85/100)", index=2,
                   part_of=(stack_id,)),
             award("nino", "ml", "2025-01-25", "A (91/100)", index=3, part_of=(stack_id,))]
    stack = Credential(
        id=stack_id, kind="stack", provider_id=uid("tsu"), title=DATA_SCIENCE,
        awarded_on="2025-02-14", ects=17.0, eqf_level=7, status="active",
        recorded_at="2025-02-14T08:00:00+00:00", pathway_id=uid("data-science"),
        components=tuple(p.id for p in parts), status_entries=status_entries(4))
    others = [award("nino", "solar", "2024-09-03", "Pass", status="revoked", index=5),
              award("nino", "aml", "2024-11-12", "Pass with distinction", status="suspended",
                    index=6),
              award("nino", "digital", "2025-03-01", None, index=7)]
    return record(Learner(uid("nino"), GIVEN, FAMILY, "1998-04-17"), [*parts, stack, *others])


def latin_record() -> ExportInput:
    return record(Learner(uid("jonas"), "Jonas", "Müller", "1990-12-01"),
                  [award("jonas", "hospitality", "2024-05-05", "Pass with merit", index=8),
                   award("jonas", "credit", "2025-04-09", "Pass", index=9)])


def erased_record() -> ExportInput:
    return record(Learner(uid("erased")),
                  [award("erased", "aml", "2023-10-10", "Pass", index=10)])


def record(learner: Learner, credentials: list[Credential]) -> ExportInput:
    return ExportInput(learner=learner, credentials=tuple(credentials), providers=providers(),
                       programmes=programmes(), operator=OPERATOR, urls=URLS,
                       as_of=max((c.recorded_at for c in credentials),
                                 default="2025-01-01T00:00:00+00:00"))


def records() -> list[ExportInput]:
    return [georgian_record(), latin_record(), erased_record()]


def run_check(standards: ModuleType, kind: str, path: Path) -> subprocess.CompletedProcess:
    """check.py as a user runs it: its own process, one file."""
    return subprocess.run([sys.executable, standards.__file__, kind, str(path)],
                          capture_output=True, text=True, timeout=300, check=False)


def relative_iris(standards: ModuleType, document: dict) -> set[str]:
    """Values that JSON-LD expansion could only resolve against a base: undefined type names
    or ids that a processor would silently turn into something else."""
    from pyld import jsonld

    jsonld.set_document_loader(standards._document_loader())
    expanded = json.dumps(jsonld.expand(document, {"base": RELATIVE_BASE}))
    return set(re.findall(re.escape(RELATIVE_BASE) + r'[^"]*', expanded))


def edc_graph(documents: list[dict]) -> dict:
    """Many EDCs as one JSON-LD document (they share one context): one SHACL validation."""
    from ledger.projections.exports import edc

    return {"@context": edc.CONTEXT,
            "@graph": [{k: v for k, v in d.items() if k != "@context"} for d in documents]}
