"""Every event of a demo run fits the published JSON Schema of its type (the payload is the
envelope's data: what the relay publishes as the CloudEvent's data)."""

import json
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from ledger import event_schemas
from ledger.bootstrap import bootstrap
from ledger.demo import seed
from ledger.domain import catalogue
from ledger.projections.envelope import from_row
from tests.conftest import ROOT, make_settings


def test_every_event_of_a_demo_run_fits_its_published_schema(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    published = {e.type: json.loads((ROOT / event_schemas.FOLDER / event_schemas.file_name(e))
                                    .read_text(encoding="utf-8")) for e in catalogue.EVENTS}
    validators = {name: Draft202012Validator(schema,
                                             format_checker=Draft202012Validator.FORMAT_CHECKER)
                  for name, schema in published.items()}
    ledger = bootstrap(make_settings("sqlite", tmp_path, request), run_projections=False)
    try:
        seed(ledger)
        seen: Counter[str] = Counter()
        for rows in ledger.events.rows():
            for row in rows:
                envelope = from_row(ledger.app.mapper.transcoder, *row)
                assert row[3] == catalogue.BY_TYPE[envelope.type].topic  # today's topics
                errors = [f"{'/'.join(map(str, e.path))}: {e.message}"
                          for e in validators[envelope.type].iter_errors(envelope.data)]
                assert errors == [], (envelope.type, envelope.position, errors)
                seen[envelope.type] += 1
    finally:
        ledger.close()
    assert seen["LearnerRecord.CredentialIssued"] > 1000
    assert len(seen) >= 15, seen  # the demo raises most types; the unit test raises all
