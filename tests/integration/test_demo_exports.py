"""Every demo learner's portability exports pass the standards bodies' own checks (check.py):
OB 3.0 (both 1EdTech schemas, JSON-LD terms, the eddsa-rdfc-2022 proof), CLR 2.0 (schema,
proof), European Digital Credentials (the EU's SHACL shapes) and EMREX ELMO (its XSD, and its
enveloped signature checked by Debian's xmlsec1 with the certificate the ledger publishes).

The checks run in two worker processes (they are CPU-bound); check.py's ELMO schema is built
once per worker instead of once per document, and EDC credentials are validated as merged
graphs of 100 credentials plus one learner's one by one (sound for these documents: every
node they share is written whole and identically in each, see tests/unit/test_exports_edc.py).
"""

import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import STANDARDS, ServedDemo, load_standards_check
from tests.unit.exports_samples import edc_graph
from tests.xmlsec import one_byte_changed, xmlsec_verifies

FORMATS = ("ob3", "clr", "edc", "elmo")
_check: Any = None


def _load_check() -> None:
    global _check
    _check = load_standards_check()
    import xmlschema

    built, schemas = xmlschema.XMLSchema, {}

    def once(source: str, **options: Any) -> Any:
        if source not in schemas:
            schemas[source] = built(source, **options)
        return schemas[source]

    xmlschema.XMLSchema = once  # check_elmo builds its schema through this name


def _problems(task: tuple[str, bytes]) -> list[str]:
    kind, content = task
    if kind == "ob3":
        document = orjson.loads(content)
        return (_check.check_ob3(document) + _check.check_terms(document)
                + _check.check_proof(document))
    if kind == "clr":
        document = orjson.loads(content)
        return _check.check_clr(document) + _check.check_proof(document)
    if kind == "edc":
        return _check.check_edc(orjson.loads(content))
    with tempfile.NamedTemporaryFile(suffix=".xml") as file:
        file.write(content)
        file.flush()
        return _check.check_elmo(file.name)


def failures(tasks: Iterable[tuple[str, bytes]]) -> list[str]:
    with ProcessPoolExecutor(2, mp_context=get_context("fork"), initializer=_load_check) as pool:
        results = pool.map(_problems, tasks, chunksize=8)
        return [problem for problems in results for problem in problems]


@pytest.fixture(scope="module")
def demo_exports(served_demo: ServedDemo) -> dict[str, dict[str, bytes]]:
    """Each demo learner's exports, rendered by the same code that serves them (the served
    demo resolves the did:web keys that check.py proof fetches)."""
    exports = {}
    for learner_id in served_demo.learners:
        record = served_demo.ledger.portability.record(learner_id)
        if record.credentials:
            exports[learner_id] = {kind: served_demo.ledger.portability.render(record, kind)
                                   .content for kind in FORMATS}
    return exports


@pytest.fixture(scope="module")
def published_certificate(served_demo: ServedDemo) -> bytes:
    """The certificate the ledger publishes for its XML signatures, fetched over HTTP."""
    published = httpx.get(f"{served_demo.base_url}/.well-known/ledger-certificate.pem")
    assert published.status_code == 200
    return published.content




def each(exports: dict[str, dict[str, bytes]], kind: str,
         split: Callable[[bytes], list[bytes]] = lambda content: [content]
         ) -> list[tuple[str, bytes]]:
    return [(kind, part) for learner in exports.values() for part in split(learner[kind])]


def _credentials(content: bytes) -> list[bytes]:
    return [orjson.dumps(document) for document in orjson.loads(content)]


def _merged_graphs(exports: dict[str, dict[str, bytes]], size: int = 100) -> list[bytes]:
    documents = [d for learner in exports.values() for d in orjson.loads(learner["edc"])]
    return [orjson.dumps(edc_graph(documents[i:i + size]))
            for i in range(0, len(documents), size)]


def test_the_demo_has_learners_with_many_credentials_and_stacks(demo_exports):
    assert len(demo_exports) >= 250
    credentials = [c for e in demo_exports.values() for c in orjson.loads(e["ob3"])]
    assert len(credentials) >= 1500


def test_every_demo_ob3_credential_passes_both_schemas_terms_and_its_proof(demo_exports):
    assert failures(each(demo_exports, "ob3", _credentials)) == []


def test_every_demo_clr_passes_its_schema_and_proof(demo_exports):
    assert failures(each(demo_exports, "clr")) == []


def test_every_demo_edc_conforms_to_the_eu_shapes(demo_exports):
    one_learner = next(iter(demo_exports.values()))
    tasks = [("edc", graph) for graph in _merged_graphs(demo_exports)]
    tasks += [("edc", credential) for credential in _credentials(one_learner["edc"])]
    assert failures(tasks) == []


def test_every_demo_elmo_report_is_valid_against_the_xsd(demo_exports):
    assert failures(each(demo_exports, "elmo")) == []


def test_xmlsec1_accepts_every_demo_elmo_report_with_the_published_certificate(
        demo_exports, published_certificate, tmp_path):
    exports, certificate_pem = demo_exports, published_certificate
    certificate = tmp_path / "ledger.pem"
    certificate.write_bytes(certificate_pem)
    reports = [learner["elmo"] for learner in exports.values()]
    assert len(reports) >= 20
    refused = []
    for number, content in enumerate(reports):
        path = tmp_path / f"elmo-{number}.xml"
        path.write_bytes(content)
        if not xmlsec_verifies(certificate, path):
            refused.append(number)
    assert refused == []
    # One changed byte in the birth date, the issuer or the credits: refused.
    for number, marker in enumerate((b"<bday>", b"<country>", b"<value>")):
        path = tmp_path / f"tampered-{number}.xml"
        path.write_bytes(one_byte_changed(next(r for r in reports if marker in r), marker))
        assert not xmlsec_verifies(certificate, path)


@pytest.mark.parametrize("kind", ["ob3", "terms", "proof", "clr", "edc", "elmo"])
def test_check_py_itself_passes_a_demo_learners_export(demo_exports, kind, tmp_path: Path):
    """The command line a third party runs, on the learner with the most credentials."""
    learner = max(demo_exports.values(), key=lambda e: len(orjson.loads(e["ob3"])))
    fmt = {"terms": "ob3", "proof": "clr"}.get(kind, kind)
    content = learner[fmt]
    if fmt in ("ob3", "edc"):
        content = orjson.dumps(orjson.loads(content)[-1])
    path = tmp_path / f"export.{'xml' if fmt == 'elmo' else 'json'}"
    path.write_bytes(content)
    run = subprocess.run([sys.executable, str(STANDARDS / "check.py"), kind, str(path)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASS" in run.stdout
