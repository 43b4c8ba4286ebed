"""Versioned schema migrations: numbered SQL files in ledger/store/schema, each applied once, in
order, in its own transaction, and recorded in `schema_migrations`.

A file is `NNNN_name.sql` (both stores) or a pair `NNNN_name.sqlite.sql` and
`NNNN_name.postgres.sql`. Migration 1 is the schema the unversioned releases created, written
with IF NOT EXISTS, so that an existing store adopts it in place. A migration once released is
never edited: its checksum is recorded and a changed file is refused. Add a new file instead.
"""

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ledger.store.database import Cursor, Database

FOLDER = Path(__file__).parent / "schema"
TABLE = "schema_migrations"
_NAME = re.compile(r"^(\d{4})_(\w+?)(?:\.(sqlite|postgres))?\.sql$")
_TABLE_SQL = (f"CREATE TABLE IF NOT EXISTS {TABLE} (version INTEGER PRIMARY KEY, "
              "name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)")


class MigrationError(Exception):
    """The store's recorded schema does not match the migrations this code ships."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    def statements(self, postgres: bool) -> list[str]:
        """PostgreSQL takes the file as one script; SQLite's own tokenizer splits it into
        statements (trigger bodies hold semicolons), run one by one in one transaction."""
        if postgres:
            return [self.sql]
        statements, current = [], ""
        for line in self.sql.splitlines(keepends=True):
            if not current and (not line.strip() or line.lstrip().startswith("--")):
                continue
            current += line
            if sqlite3.complete_statement(current):
                statements.append(current.strip())
                current = ""
        if current.strip():
            raise MigrationError(f"migration {self.version}: unterminated statement at the end")
        return statements


def shipped(postgres: bool, folder: Path = FOLDER) -> list[Migration]:
    """The migrations for one store, by version."""
    dialect = "postgres" if postgres else "sqlite"
    found: dict[int, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: not NNNN_name[.sqlite|.postgres].sql")
        version, name, only = int(match[1]), match[2], match[3]
        if only not in (None, dialect):
            continue
        if version in found:
            raise MigrationError(f"two migrations numbered {version}")
        found[version] = Migration(version, name, path.read_text(encoding="utf-8"))
    versions = sorted(found)
    if versions != list(range(1, len(versions) + 1)):
        raise MigrationError(f"migrations must be numbered 1, 2, 3, ...: found {versions}")
    return [found[v] for v in versions]


@dataclass(frozen=True)
class Status:
    applied: list[tuple[int, str, str]]  # (version, name, applied_at)
    pending: list[Migration]


class Migrator:
    """Brings one store's schema to the newest version. Safe to run concurrently: on SQLite the
    write transaction is taken at BEGIN; on PostgreSQL callers hold the schema advisory lock
    (ledger.bootstrap.schema_lock), and a version row inserted twice fails its transaction."""

    def __init__(self, database: Database, folder: Path = FOLDER) -> None:
        self.database = database
        self.migrations = shipped(database.postgres, folder)

    def _recorded(self, cursor: Cursor) -> dict[int, tuple[str, str, str]]:
        cursor.execute(_TABLE_SQL)
        rows = cursor.execute(f"SELECT version, name, checksum, applied_at FROM {TABLE}").fetchall()
        return {int(r["version"]): (r["name"], r["checksum"], r["applied_at"]) for r in rows}

    def _check(self, recorded: dict[int, tuple[str, str, str]]) -> None:
        known = {m.version: m for m in self.migrations}
        for version, (name, checksum, _) in sorted(recorded.items()):
            migration = known.get(version)
            if migration is None:
                raise MigrationError(f"the store is at schema version {max(recorded)}, newer "
                                     f"than this release knows ({len(known)}): upgrade the code")
            if migration.checksum != checksum:
                raise MigrationError(f"migration {version} ({name}) was changed after it was "
                                     "applied; add a new migration instead")

    def status(self) -> Status:
        with self.database.transaction() as cursor:
            recorded = self._recorded(cursor)
        self._check(recorded)
        return Status(applied=[(v, n, at) for v, (n, _, at) in sorted(recorded.items())],
                      pending=[m for m in self.migrations if m.version not in recorded])

    def upgrade(self) -> list[Migration]:
        """Apply every pending migration, each in one transaction with its version row;
        returns those applied (none when the schema is current)."""
        applied = []
        for migration in self.migrations:
            with self.database.transaction() as cursor:
                recorded = self._recorded(cursor)
                self._check(recorded)
                if migration.version in recorded:
                    continue
                for statement in migration.statements(self.database.postgres):
                    cursor.raw.execute(statement)
                cursor.execute(
                    f"INSERT INTO {TABLE} (version, name, checksum, applied_at) "
                    "VALUES (?, ?, ?, ?)",
                    (migration.version, migration.name, migration.checksum,
                     datetime.now(UTC).isoformat(timespec="seconds")))
            applied.append(migration)
        return applied
