"""The migration runner on SQLite and PostgreSQL: numbered files applied once each, in order,
with their checksums; a later migration upgrades a store in place; an edited or unknown
migration is refused rather than run."""

import shutil
from pathlib import Path

import pytest

from ledger.bootstrap import open_store
from ledger.config import Settings
from ledger.store.migrations import FOLDER, MigrationError, Migrator, shipped

ADD_COLUMN = "ALTER TABLE principals ADD COLUMN note TEXT;\n"


@pytest.fixture
def store(settings: Settings):
    opened = open_store(settings)
    yield opened
    opened.close()


def _folder(tmp_path: Path, *extra: tuple[str, str]) -> Path:
    folder = tmp_path / "schema"
    shutil.copytree(FOLDER, folder)
    for name, sql in extra:
        (folder / name).write_text(sql)
    return folder


def _next(offset: int = 1) -> str:
    """The number of a migration `offset` past the newest shipped one."""
    return f"{len(shipped(postgres=False)) + offset:04d}"


def _columns(store, table: str) -> set[str]:
    if store.database.postgres:
        rows = store.database.query("SELECT column_name AS name FROM information_schema.columns "
                                    "WHERE table_name = ?", (table,))
    else:
        rows = store.database.query(f"PRAGMA table_info({table})")
    return {row["name"] for row in rows}


def test_a_new_migration_is_applied_once(store, tmp_path: Path) -> None:
    current = list(range(1, len(shipped(store.database.postgres)) + 1))
    assert [v for v, _, _ in Migrator(store.database).status().applied] == current
    folder = _folder(tmp_path, (f"{_next()}_principal_notes.sql", ADD_COLUMN))
    applied = Migrator(store.database, folder).upgrade()
    assert [(m.version, m.name) for m in applied] == [(int(_next()), "principal_notes")]
    assert "note" in _columns(store, "principals")
    assert Migrator(store.database, folder).upgrade() == []
    status = Migrator(store.database, folder).status()
    assert [v for v, _, _ in status.applied] == [*current, int(_next())]
    assert status.pending == []


def test_an_edited_migration_is_refused(store, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    baseline = next(folder.glob("0001_*.sqlite.sql" if not store.database.postgres
                                else "0001_*.postgres.sql"))
    baseline.write_text(baseline.read_text() + "\n-- edited after release\n")
    with pytest.raises(MigrationError, match=r"migration 1 .* was changed"):
        Migrator(store.database, folder).upgrade()


def test_a_store_newer_than_the_code_is_refused(store, tmp_path: Path) -> None:
    Migrator(store.database, _folder(tmp_path, (f"{_next()}_notes.sql", ADD_COLUMN))).upgrade()
    with pytest.raises(MigrationError, match="newer than this release"):
        Migrator(store.database).upgrade()


def test_migrations_are_numbered_without_gaps(tmp_path: Path) -> None:
    folder = _folder(tmp_path, (f"{_next(2)}_skipped.sql", ADD_COLUMN))
    with pytest.raises(MigrationError, match="numbered 1, 2, 3"):
        shipped(postgres=False, folder=folder)
    assert [m.version for m in shipped(postgres=True)] == [1, 2, 3, 4, 5, 6]
    assert [m.version for m in shipped(postgres=False)] == [1, 2, 3, 4, 5, 6]
    for migration, expected in zip(shipped(postgres=False), (6, 3, 0, 0, 0, 2), strict=True):
        triggers = [s for s in migration.statements(postgres=False)
                    if s.startswith("CREATE TRIGGER")]
        assert len(triggers) == expected and all(s.endswith("END;") for s in triggers)
