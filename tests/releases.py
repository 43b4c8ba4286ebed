"""Earlier releases of this repository, run from git: their code extracted into a folder, a
store they write, and the settings both the old and today's code open it with."""

import os
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import psycopg
import pytest

from ledger.config import Settings
from tests.conftest import ROOT, STANDARDS, _with_database


def release_code(commit: str, folder: Path) -> Path:
    """The `ledger` and `services` packages as `commit` had them, extracted under `folder`."""
    found = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{commit}^{{commit}}"],
                           capture_output=True)
    assert found.returncode == 0, (f"commit {commit} is not in this clone: the upgrade tests "
                                   "need the history (git fetch --unshallow)")
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "ledger", "services"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def run_release(code: Path, env: dict[str, str], *args: str) -> str:
    """Run a release's code (its packages first on the path) and return stdout."""
    done = subprocess.run([sys.executable, *args], cwd=code, capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(code)}, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def release_environment(settings: Settings) -> dict[str, str]:
    """The environment a release's process opens `settings`' store with."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONPATH")}
    env.update(LEDGER_MASTER_KEY=settings.master_key, LEDGER_DATA_DIR=str(settings.data_dir),
               LEDGER_STANDARDS_DIR=str(STANDARDS))
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    return env


def store_settings(kind: str, folder: Path, request: pytest.FixtureRequest, key: str,
                   name: str) -> Settings:
    """A new empty store, SQLite in `folder` or a PostgreSQL database dropped after the test."""
    url = None
    if kind == "postgres":
        cluster = request.getfixturevalue("cluster_url")
        database = f"t_upgrade_{name}_{os.urandom(4).hex()}"
        with psycopg.connect(cluster, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        request.addfinalizer(lambda: _drop(cluster, database))
        url = _with_database(cluster, database)
    return Settings(database_url=url, data_dir=folder, master_key=key, standards_dir=STANDARDS,
                    kafka_bootstrap_servers=None, read_wait_seconds=10)


def _drop(cluster: str, database: str) -> None:
    with psycopg.connect(cluster, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
