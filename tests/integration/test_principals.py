"""Tokens' lifecycle: listed without secrets, revoked (refused at once here, elsewhere within
the cache's time), expired; the memory of unknown tokens is bounded."""

import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.domain.errors import InvalidRequest, NotFound
from ledger.store import principals as principals_module
from ledger.store.principals import Principals


def test_a_revoked_token_is_refused_here_at_once_and_by_another_process_after_its_cache(
        ledger: Ledger):
    actor, token = ledger.principals.create("auditor", None, "auditor on loan")
    elsewhere = Principals(ledger.database)  # another API process's view
    assert ledger.principals.authenticate(token) == actor
    assert elsewhere.authenticate(token) == actor
    ledger.principals.revoke(actor.principal_id)
    assert ledger.principals.authenticate(token) is None
    assert elsewhere.authenticate(token) == actor  # remembered for at most CACHE_SECONDS
    elsewhere._cache.clear()  # what CACHE_SECONDS later looks like
    assert elsewhere.authenticate(token) is None
    listed = {row["id"]: row for row in ledger.principals.list()}
    assert listed[actor.principal_id]["revoked_at"] is not None
    assert token not in str(listed)
    with pytest.raises(NotFound):
        ledger.principals.revoke("no-such-principal")


def test_an_expired_token_is_refused_even_when_remembered(ledger: Ledger):
    actor, token = ledger.principals.create("auditor", None, None, timedelta(days=1))
    assert ledger.principals.authenticate(token) == actor
    with ledger.database.transaction() as cursor:
        cursor.execute("UPDATE principals SET expires_at = '2000-01-01T00:00:00Z' WHERE id = ?",
                       (actor.principal_id,))
    ledger.principals._cache[next(iter(ledger.principals._cache))] = (
        actor, "2000-01-01T00:00:00Z")  # the remembered answer carries its expiry
    assert ledger.principals.authenticate(token) is None
    ledger.principals._cache.clear()
    assert ledger.principals.authenticate(token) is None
    with pytest.raises(InvalidRequest):
        ledger.principals.create("auditor", None, None, timedelta(0))


def test_unknown_tokens_cannot_grow_the_memory_without_bound(
        ledger: Ledger, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(principals_module, "CACHE_ENTRIES", 50)
    principals = Principals(ledger.database)
    for _ in range(500):
        assert principals.authenticate(secrets.token_urlsafe(16)) is None
    assert len(principals._cache) <= 50


def test_the_command_line_lists_and_revokes(tmp_path):
    ledger = [str(Path(sys.executable).parent / "ledger"), "principals"]
    env_dir = ["--data-dir", str(tmp_path)]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*ledger, *args, *env_dir], capture_output=True, text=True,
                              timeout=120, env={"LEDGER_ENVIRONMENT": "development",
                                                "PATH": "/usr/bin:/bin"})

    created = run("create", "--role", "auditor", "--name", "Temporary auditor",
                  "--valid-days", "7")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    principal_id = created.stderr.split()[1]
    listed = run("list")
    assert listed.returncode == 0 and principal_id in listed.stdout
    assert token not in listed.stdout and "Temporary auditor" in listed.stdout
    assert run("revoke", principal_id).returncode == 0
    row = next(line for line in run("list").stdout.splitlines() if line.startswith(principal_id))
    assert row.split("\t")[-1] != "-"  # revoked_at
    missing = run("revoke", "nobody")
    assert missing.returncode != 0 and "not found" in missing.stderr
