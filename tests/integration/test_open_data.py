"""Open data of the demo register, on both stores over real HTTP: CSV row counts equal the
register's counts, the JSON-LD passes the EU's LOQ and AMS shapes (check.py, as a third party
runs it), and every document carries an ETag (304 when unchanged) and its licence."""

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.demo import seed
from tests.conftest import STANDARDS
from tests.helpers import accredited_provider, created, days_from_today, programme_approved_between

DOCUMENTS = ("register.csv", "providers.csv", "register.jsonld", "accreditations.jsonld")


@pytest.fixture
def demo_api(api):
    seed(api.ledger)
    api.ledger.wait_for(api.ledger.events.head())
    return api


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_csv_row_counts_are_the_registers_counts_plus_a_header(demo_api):
    register = demo_api.ledger.public_register
    anonymous = demo_api.anonymous()
    programmes = rows(anonymous.get("/open-data/register.csv").text)
    providers = rows(anonymous.get("/open-data/providers.csv").text)
    assert register.count_programmes() > 0 and register.count_providers() > 0
    assert len(programmes) == register.count_programmes() + 1
    assert len(providers) == register.count_providers() + 1
    assert programmes[0][:2] == ["id", "title"] and providers[0][:2] == ["id", "name"]
    listed = demo_api.ledger.register("microcredential", None, None, None,
                                      days_from_today(0))
    assert sorted(r[0] for r in programmes[1:]) == sorted(p["id"] for p in listed)

    # One more programme approved today: one more row, and a new ETag.
    before = anonymous.get("/open-data/register.csv")
    provider = accredited_provider(demo_api, name="Added Later University")
    programme_approved_between(demo_api, provider, days_from_today(-1), days_from_today(300))
    demo_api.ledger.wait_for(demo_api.ledger.events.head())
    after = anonymous.get("/open-data/register.csv")
    assert len(rows(after.text)) == len(programmes) + 1
    assert after.headers["etag"] != before.headers["etag"]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_documents_carry_an_etag_a_licence_and_answer_304_when_unchanged(demo_api, name):
    anonymous = demo_api.anonymous()
    first = anonymous.get(f"/open-data/{name}")
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert 'rel="license"' in first.headers["link"]
    assert "creativecommons.org/licenses/by/4.0" in first.headers["link"]
    again = anonymous.http.get(f"/open-data/{name}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = anonymous.http.get(f"/open-data/{name}", headers={"If-None-Match": '"stale"'})
    assert other.status_code == 200 and other.content == first.content


@pytest.mark.parametrize("name, kind", [("register.jsonld", "loq"),
                                        ("accreditations.jsonld", "ams")])
def test_jsonld_passes_the_eu_shapes(demo_api, name, kind, tmp_path: Path):
    # A withdrawn accreditation too: its note and status are published.
    provider = accredited_provider(demo_api, name="Closed College")
    created(demo_api.as_("qa_body").post(
        f"/v1/providers/{provider}/accreditations/withdraw",
        {"reason": "Failed its review", "effective_on": days_from_today(-1)}), 200)
    demo_api.ledger.wait_for(demo_api.ledger.events.head())
    response = demo_api.anonymous().get(f"/open-data/{name}")
    assert response.headers["content-type"].startswith("application/ld+json")
    document = response.json()
    licence = document["@graph"][0]["http://purl.org/dc/terms/license"]["id"]
    assert licence == "https://creativecommons.org/licenses/by/4.0/"
    nodes = document["@graph"][1:]
    if kind == "loq":
        assert len(nodes) == demo_api.ledger.public_register.count_programmes()
    else:
        assert any(n["status"] == "withdrawn" for n in nodes)
    path = tmp_path / name
    path.write_bytes(response.content)
    run = subprocess.run([sys.executable, str(STANDARDS / "check.py"), kind, str(path)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASS" in run.stdout
