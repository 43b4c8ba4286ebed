"""OpenID subjects bound to principals (`ledger principals bind`): one principal per subject
of an issuer, binding again is harmless, a live principal is found and a revoked one is not,
and erasing a learner removes the subjects bound to their principals."""

import subprocess
import sys
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.errors import Conflict, NotFound

ISSUER = "https://eid.example.ge"


def test_a_subject_is_bound_to_one_principal_and_found_while_it_is_live(ledger: Ledger):
    auditor, _ = ledger.principals.create("auditor", None, "Audit officer")
    other, _ = ledger.principals.create("auditor", None, "Another officer")
    ledger.principals.bind(auditor.principal_id, ISSUER, "01024051234")
    ledger.principals.bind(auditor.principal_id, ISSUER, "01024051234")  # again: no change
    assert ledger.principals.bound_to(ISSUER, "01024051234") == auditor.principal_id
    assert ledger.principals.bound_to("https://other.example", "01024051234") is None
    with pytest.raises(Conflict):
        ledger.principals.bind(other.principal_id, ISSUER, "01024051234")
    with pytest.raises(NotFound):
        ledger.principals.bind("no-such-principal", ISSUER, "someone")
    assert ledger.principals.live(auditor.principal_id) == {
        "id": auditor.principal_id, "role": "auditor", "scope": None, "name": "Audit officer"}
    ledger.principals.revoke(auditor.principal_id)
    assert ledger.principals.live(auditor.principal_id) is None


def test_erasing_a_learner_removes_the_subjects_bound_to_their_principals(ledger: Ledger):
    learner_id = "0f0e2f9c-5a8b-4c55-9d43-6f7f8d1b2a10"
    with ledger.database.transaction() as cursor:  # a principal scoped to that learner
        cursor.execute("INSERT INTO principals (id, token_digest, role, scope, name, "
                       "created_at) VALUES ('p1', 'digest-1', 'learner', ?, NULL, "
                       "'2026-01-01T00:00:00Z')", (learner_id,))
    ledger.principals.bind("p1", ISSUER, "01024051234")
    with ledger.database.transaction() as cursor:
        ledger.principals.remove_learner(cursor, learner_id)
    assert ledger.principals.bound_to(ISSUER, "01024051234") is None


def test_the_command_line_binds_a_subject(tmp_path: Path):
    command = [str(Path(sys.executable).parent / "ledger"), "principals"]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*command, *args, "--data-dir", str(tmp_path)],
                              capture_output=True, text=True, timeout=120,
                              env={"LEDGER_ENVIRONMENT": "development", "PATH": "/usr/bin:/bin"})

    created = run("create", "--role", "auditor", "--name", "Audit officer")
    assert created.returncode == 0, created.stderr
    principal_id = created.stderr.split()[1]
    other = run("create", "--role", "auditor").stderr.split()[1]
    bound = run("bind", principal_id, "--issuer", ISSUER, "--subject", "01024051234")
    assert bound.returncode == 0, bound.stderr
    assert "bound" in bound.stderr
    assert run("bind", principal_id, "--issuer", ISSUER, "--subject", "01024051234"
               ).returncode == 0
    taken = run("bind", other, "--issuer", ISSUER, "--subject", "01024051234")
    assert taken.returncode == 4 and "another principal" in taken.stderr
    missing = run("bind", "nobody", "--issuer", ISSUER, "--subject", "x")
    assert missing.returncode == 3 and "not found" in missing.stderr
    ledger = bootstrap(Settings(data_dir=tmp_path, database_url=None,
                                kafka_bootstrap_servers=None), run_projections=False)
    try:
        assert ledger.principals.bound_to(ISSUER, "01024051234") == principal_id
    finally:
        ledger.close()
