"""Where a learner's personal data could be: every raw table, the raw SQLite files, messages.
Shared by the erasure tests over HTTP and over Kafka."""

import json
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.application import Ledger
from ledger.projections.replay import Replayer
from ledger.store.database import Database


@dataclass
class Person:
    given_name: str
    family_name: str
    birth_date: str
    national_id: str
    email: str

    @classmethod
    def unique(cls) -> "Person":
        tag = uuid.uuid4().hex[:6]
        return cls(given_name=f"ნინო{tag}", family_name=f"ჯაფარიძე-{tag}",
                   birth_date="1987-02-13", national_id=f"01{uuid.uuid4().int % 10**9:09d}",
                   email=f"nino.{tag}@example.ge")

    def body(self) -> dict[str, str]:
        return self.__dict__.copy()

    def needles(self) -> list[bytes]:
        """Each datum as UTF-8 and as JSON would escape it."""
        found = []
        for value in (self.given_name, self.family_name, self.national_id, self.email,
                      self.birth_date):
            found += [value.encode(), json.dumps(value)[1:-1].encode()]
        return found


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def tables(database: Database) -> list[str]:
    if database.postgres:
        rows = database.query("SELECT table_name AS name FROM information_schema.tables "
                              "WHERE table_schema = 'public'")
    else:
        rows = database.query("SELECT name FROM sqlite_master WHERE type = 'table'")
    return sorted(row["name"] for row in rows)


def traces(database: Database, needles: list[bytes]) -> list[str]:
    """Every (table, column) of every raw table holding any of the needles."""
    found = []
    for table in tables(database):
        for row in database.query(f"SELECT * FROM {table}"):
            for column in row.keys():  # noqa: SIM118 - sqlite3.Row has keys(), no iteration
                value = _as_bytes(row[column])
                if any(needle in value for needle in needles):
                    found.append(f"{table}.{column}")
    return sorted(set(found))


def file_traces(data_dir: Path, needles: list[bytes]) -> list[str]:
    """The embedded store's files, byte by byte (free pages and the WAL included)."""
    found = []
    for path in sorted(data_dir.glob("ledger.sqlite3*")):
        data = path.read_bytes()
        found += [path.name for needle in needles if needle in data]
    return sorted(set(found))


def credentials_per_programme(ledger: Ledger, upto: int | None = None) -> Counter:
    """Anonymous statistics, from a replay of the store: credentials per programme or
    pathway and status."""
    status = ledger.read_models.projections["status"]
    replayer = Replayer(ledger.events, ledger.app.mapper.transcoder, [status]).advance(upto)
    return Counter((doc["programme_id"] or doc["pathway_id"], doc["status"])
                   for doc in replayer.docs("status").values())
