"""A store made by the previous release (before versioned migrations) opens with this code: it
adopts schema version 1 in place and is migrated to the newest version, reads back the same
transcripts, its hash chain verifies, the read models (the register rebuilt by migration 2)
agree with a replay, and it takes new writes. The fixture is built by running
the previous release's own code (extracted from git) into SQLite and into PostgreSQL."""

import base64
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from ledger import commands, inputs
from ledger.audit.replay import diff
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actors import Actor
from ledger.store.migrations import Migrator, shipped
from tests.releases import release_code, release_environment, run_release, store_settings

# The last release of main before versioned migrations (its tables: CREATE ... IF NOT EXISTS).
PREVIOUS_RELEASE = "c31ff3c"

ONLY_BY_THE_EXPORTER = {"sqlite": {"export_manifests", "sqlite_autoindex_export_manifests_1"},
                        "postgres": {"export_manifests"}}
# Migration 2: new tables, and the register's table made anew with its search columns.
BY_MIGRATION_2 = {"sqlite": {"xml_signing_keys", "sqlite_autoindex_xml_signing_keys_1",
                             "xml_signing_keys_current", "status_index_counter",
                             "sqlite_autoindex_status_index_counter_1", "rm_register",
                             "rm_register_listing", "rm_register_by_provider",
                             "rm_register_by_eqf", "rm_register_by_isced",
                             "rm_register_by_position", "rm_register_fts",
                             "rm_register_fts_data", "rm_register_fts_idx",
                             "rm_register_fts_docsize", "rm_register_fts_config",
                             "rm_register_fts_insert", "rm_register_fts_delete",
                             "rm_register_fts_update"},
                  "postgres": {"xml_signing_keys", "status_index_counter", "rm_register"}}
REMADE = "rm_register"
# Migration 3: the principals' tokens expire and can be revoked (two columns added).
ALTERED_BY_MIGRATION_3 = "principals"
# Migrations 4 (OpenID subjects), 5 (the state of wallet exchanges) and 6 (share links, grant
# notes, the disclosure log).
BY_MIGRATIONS_4_TO_6 = {
    "sqlite": {"principal_subjects", "sqlite_autoindex_principal_subjects_1",
               "principal_subjects_principal", "wallet_exchanges",
               "sqlite_autoindex_wallet_exchanges_1", "sqlite_autoindex_wallet_exchanges_2",
               "wallet_exchanges_by_learner", "share_links", "sqlite_autoindex_share_links_1",
               "sqlite_autoindex_share_links_2", "share_links_by_learner",
               "access_grant_notes", "sqlite_autoindex_access_grant_notes_1",
               "access_grant_notes_by_learner", "disclosures", "disclosures_by_learner",
               "disclosures_no_update", "disclosures_no_delete", "sqlite_sequence"},
    "postgres": {"principal_subjects", "wallet_exchanges", "share_links", "access_grant_notes",
                 "disclosures"}}

DUMP = """
import json, sys
from ledger.bootstrap import bootstrap
from ledger.domain.actors import Actor
ledger = bootstrap(run_projections=False)
auditor = Actor("upgrade-test", "auditor")
ids = sorted(d["learner_id"] for d in ledger.read_models.all("transcripts") if "learner_id" in d)
json.dump({i: ledger.transcript(auditor, i) for i in ids}, sys.stdout)
ledger.close()
"""


@pytest.fixture(scope="module")
def previous_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The previous release's ledger and services packages, from this repository's history."""
    return release_code(PREVIOUS_RELEASE, tmp_path_factory.mktemp("previous-release"))


def _schema(settings: Settings) -> list[tuple]:
    """Tables, columns, indexes and triggers, as the database describes them (the versioning
    table left out)."""
    if not settings.database_url:
        with sqlite3.connect(settings.data_dir / "ledger.sqlite3") as conn:
            return sorted(conn.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master "
                "WHERE tbl_name != 'schema_migrations'"))
    with psycopg.connect(settings.database_url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name != 'schema_migrations'").fetchall()
        indexes = conn.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename != 'schema_migrations'").fetchall()
        triggers = conn.execute(
            "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE NOT tgisinternal").fetchall()
    return sorted(columns) + sorted(indexes) + sorted(triggers)


def _without_status_indexes(transcripts: dict[str, dict]) -> dict[str, dict]:
    """Transcripts as the previous release showed them: the credentials' status-list indexes
    are new. Those of credentials issued before are their issuing events' positions."""
    shown = {}
    for learner, transcript in transcripts.items():
        credentials = []
        for credential in transcript["credentials"]:
            credential = dict(credential)
            assert credential.pop("status_index") == credential["history"][0]["position"]
            credentials.append(credential)
        shown[learner] = {**transcript, "credentials": credentials}
    return shown


def _table(kind: str, row: tuple) -> str:
    """The table a row of _schema describes."""
    return row[2] if kind == "sqlite" else row[0]


def _count(settings: Settings, table: str) -> int:
    if not settings.database_url:
        with sqlite3.connect(settings.data_dir / "ledger.sqlite3") as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    with psycopg.connect(settings.database_url) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_store_of_the_previous_release_upgrades_in_place(
        kind: str, previous_release: Path, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    old = store_settings(kind, tmp_path / "old", request, key, "old")
    env = release_environment(old)
    run_release(previous_release, env, "-c", "from ledger.cli import main; main()", "demo",
                  "--data-dir", str(old.data_dir))
    before = json.loads(run_release(previous_release, env, "-c", DUMP))
    assert len(before) > 10
    old_schema = _schema(old)
    register_rows = _count(old, REMADE)

    ledger = bootstrap(old)  # the projections run: the register is rebuilt from the events
    try:
        status = Migrator(ledger.database).status()
        shipped_versions = [m.version for m in shipped(ledger.database.postgres)]
        assert [v for v, _, _ in status.applied] == shipped_versions and status.pending == []
        assert Migrator(ledger.database).upgrade() == []  # idempotent
        ledger.wait_for(ledger.events.head())
        auditor = Actor("upgrade-test", "auditor")
        after = {i: ledger.transcript(auditor, i) for i in before}
        assert _without_status_indexes(after) == before
        assert all(t["learner"]["given_name"] for t in after.values())  # the vault opens
        report = ledger.audit.verify()
        assert report.ok, report.as_json()
        assert diff(ledger).differences == []
        assert _count(old, REMADE) >= register_rows > 0  # rebuilt (pathways may be new)
        assert ledger.public_register.count_providers() > 0  # searched in the new columns
        written = ledger.execute_sync(commands.register_provider(
            Actor("qa", "qa_body"),
            inputs.RegisterProvider("Batumi State Maritime Academy", "GE", "higher_education")))
        assert written.created
        assert ledger.audit.verify().ok
    finally:
        ledger.close()
    # Adopting version 1 changed nothing but add the one table the previous release created
    # only in `ledger exporter` (never run here); migration 2 added its tables and made the
    # register's anew; migration 3 added columns to the principals, 4 and 5 their tables; a new
    # store gets exactly the same schema.
    upgraded = _schema(old)
    changed = (REMADE, ALTERED_BY_MIGRATION_3)
    assert [row for row in old_schema if row not in upgraded
            and _table(kind, row) not in changed] == []
    assert {row[1] if kind == "sqlite" else row[0] for row in upgraded
            if row not in old_schema} == (ONLY_BY_THE_EXPORTER[kind] | BY_MIGRATION_2[kind]
                                          | {ALTERED_BY_MIGRATION_3}
                                          | BY_MIGRATIONS_4_TO_6[kind])
    fresh = store_settings(kind, tmp_path / "fresh", request, key, "fresh")
    bootstrap(fresh, run_projections=False).close()
    assert _schema(fresh) == upgraded, "migration 1 is the previous release's schema"


def test_upgrade_command_is_idempotent_and_status_reports_the_version(tmp_path: Path) -> None:
    env = {**os.environ, "LEDGER_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()}
    env.pop("DATABASE_URL", None)

    def ledger_db(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", "from ledger.cli import main; main()",
                               "db", *args, "--data-dir", str(tmp_path)], env=env,
                              capture_output=True, text=True, timeout=120)

    pending = ledger_db("status")
    assert pending.returncode == 1 and "0001 baseline\tpending" in pending.stdout
    assert "0002 register_search_and_signing\tpending" in pending.stdout
    first = ledger_db("upgrade")
    assert first.returncode == 0 and "applied 0001 baseline" in first.stdout, first.stderr
    assert "applied 0002 register_search_and_signing" in first.stdout
    again = ledger_db("upgrade")
    assert again.returncode == 0 and again.stdout == "", again.stdout
    assert "nothing to do" in again.stderr
    current = ledger_db("status")
    assert current.returncode == 0 and "0001 baseline\tapplied" in current.stdout
    assert "0002 register_search_and_signing\tapplied" in current.stdout
