"""Fixtures of the page tests: one register on PostgreSQL served over HTTP for the whole
session (its public URLs are the server's own, so the PDF's QR codes lead back to it), and
Debian's Chromium driven by Playwright. Screenshots go to .cache/artifacts/web/."""

import base64
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from ledger.bootstrap import bootstrap
from ledger.config import Settings
from services.api.app import create_app
from tests.conftest import ROOT, STANDARDS, _with_database, free_port
from tests.helpers import Api
from tests.web.browsing import serving
from tests.web.site import Site, build_site

ARTIFACTS = ROOT / ".cache" / "artifacts" / "web"


@pytest.fixture(scope="session")
def site(cluster_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    name = f"t_web_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(cluster_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=_with_database(cluster_url, name),
                        data_dir=tmp_path_factory.mktemp("web"), read_wait_seconds=10,
                        master_key=base64.b64encode(os.urandom(32)).decode(),
                        kafka_bootstrap_servers=None, standards_dir=STANDARDS,
                        public_base_url=base_url)
    ledger = bootstrap(settings)
    try:
        with serving(create_app(ledger), port), Api(base_url, ledger) as api:
            yield build_site(api, base_url)
    finally:
        ledger.close()
        with psycopg.connect(cluster_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) with an English-speaking browser."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> "Shots":
    return Shots(ARTIFACTS / request.node.name.replace("[", "-").replace("]", ""))


class Shots:
    """Full-page screenshots kept as test artefacts."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def take(self, page: Page, name: str) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
