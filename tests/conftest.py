"""Fixtures: a real PostgreSQL cluster (scripts/local-postgres.sh, unless DATABASE_URL is set),
a fresh database or SQLite folder per test, the ledger built by its own composition root, and
the API served over real HTTP by uvicorn on a free loopback port."""

import base64
import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
import types
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest
import uvicorn
from starlette.types import ASGIApp

from ledger.application import Ledger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from services.api.app import create_app
from tests.helpers import Api

ROOT = Path(__file__).resolve().parent.parent
# The standards bodies' artifacts, next to the checkout (see ../shared/standards/README.md).
STANDARDS = Path(os.environ.get("LEDGER_STANDARDS_DIR") or ROOT.parent / "shared" / "standards")


@pytest.fixture(scope="session")
def cluster_url() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    script = ROOT / "scripts" / "local-postgres.sh"
    out = subprocess.run(["bash", str(script), "start"], check=True, capture_output=True,
                         text=True).stdout.strip().splitlines()[-1]
    assert out.startswith("DATABASE_URL="), out
    yield out.removeprefix("DATABASE_URL=")
    subprocess.run(["bash", str(script), "stop"], check=False, capture_output=True)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """A real broker: KAFKA_BOOTSTRAP_SERVERS, or one started by scripts/local-kafka.sh."""
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if servers:
        yield servers
        return
    script = ROOT / "scripts" / "local-kafka.sh"
    env = {**os.environ, "PYTHON": sys.executable}
    out = subprocess.run(["bash", str(script), "start"], check=True, capture_output=True,
                         text=True, env=env).stdout.strip().splitlines()[-1]
    assert out.startswith("KAFKA_BOOTSTRAP_SERVERS="), out
    yield out.removeprefix("KAFKA_BOOTSTRAP_SERVERS=")
    subprocess.run(["bash", str(script), "stop"], check=False, capture_output=True, env=env)


@dataclass(frozen=True)
class LocalIdp:
    """A real OpenID Provider (scripts/local-idp.sh: Node's oidc-provider) with one client
    whose redirect URI is `redirect_uri`, and the people of scripts/idp/accounts.json."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str


@pytest.fixture(scope="session")
def signin_port() -> int:
    """The port the pages that sign in through the OpenID Provider are served on: the
    provider's client is registered with a redirect URI on it."""
    return free_port()


@pytest.fixture(scope="session")
def local_idp(signin_port: int) -> Iterator[LocalIdp]:
    """Started by scripts/local-idp.sh (npm ci on first use), stopped after the session."""
    script = ROOT / "scripts" / "local-idp.sh"
    idp = LocalIdp("", "ledger-tests", uuid.uuid4().hex,
                   f"http://127.0.0.1:{signin_port}/signin/callback")
    env = {**os.environ, "IDP_CLIENT_ID": idp.client_id, "IDP_CLIENT_SECRET": idp.client_secret,
           "IDP_REDIRECT_URIS": idp.redirect_uri}
    started = subprocess.run(["bash", str(script), "start"], capture_output=True, text=True,
                             env=env, timeout=300)
    assert started.returncode == 0, started.stderr
    out = started.stdout.strip().splitlines()[-1]
    assert out.startswith("OIDC_ISSUER="), out
    yield LocalIdp(out.removeprefix("OIDC_ISSUER="), idp.client_id, idp.client_secret,
                   idp.redirect_uri)
    subprocess.run(["bash", str(script), "stop"], check=False, capture_output=True)


def _with_database(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{name}"))


@pytest.fixture
def postgres_url(cluster_url: str) -> Iterator[str]:
    """A new, empty database in the cluster for one test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(cluster_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield _with_database(cluster_url, name)
    with psycopg.connect(cluster_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def served_url() -> str:
    """A public base URL on a free loopback port, which ServedLedger then serves on: the
    ledger's URLs and did:web DIDs resolve to the test server (check.py, the JS verifier)."""
    return f"http://127.0.0.1:{free_port()}"


def make_settings(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    key = base64.b64encode(os.urandom(32)).decode()
    database_url = request.getfixturevalue("postgres_url") if kind == "postgres" else None
    return Settings(database_url=database_url, data_dir=tmp_path, master_key=key,
                    read_wait_seconds=10, kafka_bootstrap_servers=None,
                    standards_dir=STANDARDS, public_base_url=served_url())


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The same test runs against the embedded SQLite store and PostgreSQL."""
    return make_settings(request.param, tmp_path, request)


@pytest.fixture
def pg_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return make_settings("postgres", tmp_path, request)


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    built = bootstrap(settings)
    yield built
    built.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServedLedger:
    """uvicorn serving the app in a thread: real sockets, real HTTP; on the port of the
    ledger's public URL when that is a loopback one (see served_url)."""

    def __init__(self, ledger: Ledger, port: int | None = None, app: ASGIApp | None = None
                 ) -> None:
        public = urlparse(ledger.urls.base)
        if port is None:
            port = public.port if public.hostname == "127.0.0.1" and public.port else free_port()
        self.port = port
        # Keep-alive well past uvicorn's 5 s: the concurrency tests open their connections
        # first and send together once all are open, which under load takes longer than that.
        config = uvicorn.Config(app or create_app(ledger), host="127.0.0.1", port=self.port,
                                log_level="warning", access_log=False, timeout_keep_alive=120)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        # uvicorn notices on its next 0.1 s tick and then pauses 0.1 s more while shutting
        # down; nothing after a test waits on that (its port is not reused), so the thread is
        # joined when the session ends: a fifth of a second less per API test.
        self.server.should_exit = True
        _STOPPING.append(self.thread)


_STOPPING: list[threading.Thread] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for thread in _STOPPING:
        thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _release_apps() -> Iterator[None]:
    """FastAPI keeps up to 4,096 endpoint callables in module-level caches (lru_cache), among
    them closures holding their app (FastAPIOffline's docs pages, FastAPI's /openapi.json), so
    every app a test built stayed alive with its ledger: some 14,000 objects per test, and by the
    500th test of a session each full garbage collection paused the process for seconds,
    long enough for PostgreSQL's 5 s idle-in-transaction timeout to end a transaction that a
    paused thread held. A process serving one app is not affected."""
    yield
    for name, module in list(sys.modules.items()):
        if name == "fastapi" or name.startswith("fastapi."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


@pytest.fixture
def api(ledger: Ledger) -> Iterator[Api]:
    """An HTTP client of a real server over this test's ledger (SQLite and PostgreSQL)."""
    with ServedLedger(ledger) as base_url, Api(base_url, ledger) as client:
        yield client


@pytest.fixture
def pg_ledger(pg_settings: Settings) -> Iterator[Ledger]:
    built = bootstrap(pg_settings)
    yield built
    built.close()


@pytest.fixture
def pg_api(pg_ledger: Ledger) -> Iterator[Api]:
    """The API over PostgreSQL only, for tests whose subject is concurrency on the real store."""
    with ServedLedger(pg_ledger) as base_url, Api(base_url, pg_ledger) as client:
        yield client


def load_standards_check() -> ModuleType:
    """The standards folder's check.py (LEDGER_STANDARDS_DIR, default ../shared/standards)."""
    folder = STANDARDS
    spec = importlib.util.spec_from_file_location("standards_check", folder / "check.py")
    assert spec and spec.loader and (folder / "check.py").is_file(), \
        f"no check.py in {folder}: set LEDGER_STANDARDS_DIR to the standards folder"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def standards() -> ModuleType:
    """check.py of the official standards artifacts, imported once by path."""
    return load_standards_check()


@dataclass(frozen=True)
class ServedDemo:
    ledger: Ledger
    base_url: str
    learners: list[str]  # every demo learner, sorted


@pytest.fixture(scope="session")
def served_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedDemo]:
    """The demo data (`ledger demo`'s seeding) on SQLite, served over HTTP on the port its
    URLs and DIDs name, for the whole session: outside verifiers resolve its did:web keys."""
    from ledger.demo import seed

    settings = Settings(data_dir=tmp_path_factory.mktemp("demo"), database_url=None,
                        kafka_bootstrap_servers=None, standards_dir=STANDARDS,
                        public_base_url=served_url())
    ledger = bootstrap(settings)
    try:
        ledger.wait_for(seed(ledger)["position"])
        learners = sorted(d["learner_id"] for d in ledger.read_models.all("transcripts")
                          if "enrolled_at" in d)
        with ServedLedger(ledger) as base_url:
            yield ServedDemo(ledger, base_url, learners)
    finally:
        ledger.close()


# -- tiers: markers given by what a test needs, so that `pytest -m fast` runs alone -------------

# Helpers that run node (Digital Bazaar's canonicaliser and verifier, tests/js).
NODE_HELPERS = {"tests.reference_js", "tests.outside_verifier"}
# Fixtures that reach the PostgreSQL cluster (make_settings asks for postgres_url at run time,
# so a test's fixture names alone do not show it).
POSTGRES_FIXTURES = {"cluster_url", "postgres_url", "pg_settings", "pg_ledger", "pg_api"}


def _reached(function: types.FunctionType, seen: set[int] | None = None) -> set[str]:
    """The modules whose globals a test function refers to, following the functions of the
    test modules it calls (helpers in tests/), not library code."""
    seen = set() if seen is None else seen
    if id(function) in seen:
        return set()
    seen.add(id(function))
    found: set[str] = set()
    namespace = function.__globals__
    for name in _names_used(function.__code__):
        value = namespace.get(name)
        if isinstance(value, types.ModuleType):
            found.add(value.__name__)
            continue
        module = getattr(value, "__module__", None)
        if module:
            found.add(module)
        if isinstance(value, types.FunctionType) and (module or "").startswith("tests"):
            found |= _reached(value, seen)
    return found


def _names_used(code: types.CodeType) -> set[str]:
    """The global names a function's code (and the code nested in it) refers to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names_used(const)
    return names


def _needs(item: pytest.Item) -> set[str]:
    """What makes a test slow: PostgreSQL, Kafka, a browser, node, the processes of tests/e2e,
    other processes (the CLI, check.py, xmlsec1), the demo data seeded once for the session
    (minutes of seeding and checking), or a `slow` mark of its own (load tests)."""
    folder = item.path.relative_to(ROOT / "tests").parts[0]
    needs = {"e2e"} if folder == "e2e" else {"browser"} if folder == "web" else set()
    fixtures = set(getattr(item, "fixturenames", ()))
    params = getattr(getattr(item, "callspec", None), "params", {})
    if fixtures & POSTGRES_FIXTURES or "postgres" in params.values():
        needs.add("postgres")
    if "kafka_bootstrap" in fixtures:
        needs.add("kafka")
    if "served_demo" in fixtures:
        needs.add("demo")
    function = getattr(item, "function", None)
    if isinstance(function, types.FunctionType):
        reached = _reached(function)
        if reached & NODE_HELPERS:
            needs.add("node")
        elif "subprocess" in reached:
            needs.add("processes")
    if item.get_closest_marker("slow"):
        needs.add("slow")
    return needs


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks every test `fast` (in process: unit tests and SQLite) or `slow`, and slow ones
    with what they need (`postgres`, `kafka`, `browser`, `node`, `e2e`, `processes`, `demo`).
    Slow tests that need PostgreSQL alone are also `isolated`: each has a database of its own
    and shares nothing else, so they run across cores like the fast tier."""
    for item in items:
        needs = _needs(item)
        for name in sorted(needs - {"slow"}):
            item.add_marker(name)
        item.add_marker("slow" if needs else "fast")
        if needs == {"postgres"}:
            item.add_marker("isolated")
