"""Writes projection documents and positions in one transaction, so that replays and
redeliveries change nothing: a document skips any event at or below its own position."""

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from ledger.projections.base import Document, Projection
from ledger.projections.envelope import Envelope
from ledger.store.database import Cursor, Database


def indexed(projection: Projection) -> dict[str, str]:
    """Document fields the projection also keeps in indexed columns (name -> SQL type), so
    that rows can be selected by them; none by default."""
    return dict(getattr(projection, "indexed", {}))


def extra_indexes(projection: Projection) -> dict[str, tuple[str, ...]] | None:
    """Indexes the projection declares itself (suffix -> columns), in place of one
    (column, position) index per indexed column; None: the default."""
    declared = getattr(projection, "indexes", None)
    return dict(declared) if declared is not None else None


def search_column(projection: Projection) -> str | None:
    """The indexed column the projection searches by substring, if any."""
    return getattr(projection, "search", None)


def index_suffixes(projection: Projection) -> list[str]:
    """The names (after `<table>_`) of the B-tree indexes document_schema creates."""
    declared = extra_indexes(projection)
    return ["owner", *(declared if declared is not None else indexed(projection))]


# Every document table's own columns, in the order of stored_row (types as in document_schema).
DOCUMENT_COLUMNS = {"key": "TEXT", "owner": "TEXT", "position": "{bigint}", "doc": "TEXT"}


def stored_row(projection: Projection, key: str, owner: str | None, position: int,
               doc: Document) -> tuple[Any, ...]:
    """A document as its table's row: key, owner, position, the JSON, the indexed columns."""
    return (key, owner, position, orjson.dumps(doc).decode(),
            *(doc.get(column) for column in indexed(projection)))


def document_schema(table: str, columns: dict[str, str] | None = None,
                    indexes: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """A projection table's DDL, for the shadow tables of a rebuild and a column added to an
    old table (the live tables are created by the migrations in ledger/store/schema, which
    must spell the same statements)."""
    extra = "".join(f", {name} {kind}" for name, kind in (columns or {}).items())
    if indexes is None:
        # (column, position): rows by value, and the newest change among them, from the index.
        indexes = {name: (name, "position") for name in columns or {}}
    return [
        f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, owner TEXT, "
        f"position {{bigint}} NOT NULL, doc TEXT NOT NULL{extra})",
        f"CREATE INDEX IF NOT EXISTS {table}_owner ON {table} (owner)",
        *(f"CREATE INDEX IF NOT EXISTS {table}_{name} ON {table} ({', '.join(on)})"
          for name, on in indexes.items()),
    ]


def search_schema(table: str, column: str, postgres: bool) -> list[str]:
    """A substring index on `column`: pg_trgm's GIN index (LIKE '%...%' uses it) on
    PostgreSQL; on SQLite an FTS5 trigram table over the column, kept by triggers (its
    LIKE uses the trigram index)."""
    if postgres:
        return ["CREATE EXTENSION IF NOT EXISTS pg_trgm",
                f"CREATE INDEX IF NOT EXISTS {table}_{column}_trgm ON {table} "
                f"USING gin ({column} gin_trgm_ops)"]
    fts = f"{table}_fts"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({column}, content='{table}', "
        "tokenize='trigram')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts} (rowid, {column}) VALUES (new.rowid, new.{column}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts} ({fts}, rowid, {column}) VALUES ('delete', old.rowid, "
        f"old.{column}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE ON {table} BEGIN "
        f"INSERT INTO {fts} ({fts}, rowid, {column}) VALUES ('delete', old.rowid, "
        f"old.{column}); INSERT INTO {fts} (rowid, {column}) VALUES (new.rowid, "
        f"new.{column}); END",
    ]


def projection_schema(projection: Projection, table: str, postgres: bool) -> list[str]:
    """Everything a projection's table needs: the table, its indexes, its search index."""
    statements = document_schema(table, indexed(projection), extra_indexes(projection))
    if search_column(projection):
        statements += search_schema(table, search_column(projection), postgres)
    return statements


class ReadModelStore:
    def __init__(self, database: Database, projections: Sequence[Projection]) -> None:
        self.database = database
        self.projections = {p.name: p for p in projections}

    def prepare(self, outdated: Sequence[str] = ()) -> None:
        """Once the schema is migrated: a position row per projection, and the `outdated`
        projections (see add_missing_columns) emptied so that they are rebuilt from the events."""
        with self.database.transaction() as cursor:
            for name in self.projections:
                cursor.execute(
                    "INSERT INTO rm_positions (projection, position) VALUES (?, 0) "
                    "ON CONFLICT (projection) DO NOTHING", (name,),
                )
        if outdated:
            self.reset(list(outdated))

    def add_missing_columns(self) -> list[str]:
        """Tables made before a projection declared an indexed column get the column and the
        projection's indexes (before migrations run: a migration may index the columns);
        returns the names of the projections to rebuild."""
        outdated = []
        for name, projection in self.projections.items():
            existing = self._columns(projection.table)
            missing = {c: t for c, t in indexed(projection).items() if c not in existing}
            if existing and missing:
                table = projection.table
                self.database.execute_script(
                    [*(f"ALTER TABLE {table} ADD COLUMN {c} {t}" for c, t in missing.items()),
                     *projection_schema(projection, table, self.database.postgres)])
                outdated.append(name)
        return outdated

    def _columns(self, table: str) -> set[str]:
        if self.database.postgres:
            rows = self.database.query(
                "SELECT column_name AS name FROM information_schema.columns "
                "WHERE table_name = ? AND table_schema = current_schema()", (table,))
        else:
            rows = self.database.query(f"PRAGMA table_info({table})")
        return {row["name"] for row in rows}

    def positions(self) -> dict[str, int]:
        rows = self.database.read("SELECT projection, position FROM rm_positions")
        return {row["projection"]: row["position"] for row in rows}

    def apply(self, envelopes: Sequence[Envelope], names: Sequence[str] | None = None) -> None:
        """Fold a batch of envelopes taken in store order into the named projections and
        advance their positions, all in one transaction."""
        if not envelopes:
            return
        with self.database.transaction(durable=False) as cursor:
            self.apply_in(cursor, envelopes, names)
            top = envelopes[-1].position
            for name in names or list(self.projections):
                cursor.execute(
                    "UPDATE rm_positions SET position = ? WHERE projection = ? AND position < ?",
                    (top, name, top),
                )

    def apply_in(self, cursor: Cursor, envelopes: Sequence[Envelope],
                 names: Sequence[str] | None = None) -> None:
        """Fold envelopes inside the caller's transaction (a Kafka consumer commits its offsets
        there too); each document skips events at or below its own position."""
        for name in names or list(self.projections):
            self._apply_one(cursor, self.projections[name], envelopes)

    def _apply_one(self, cursor: Cursor, projection: Projection,
                   envelopes: Sequence[Envelope]) -> None:
        touched = {key for e in envelopes for key in projection.keys(e)}
        if not touched:
            return
        docs = self._load(cursor, projection.table, touched)
        changed: dict[str, tuple[int, Document | None]] = {}
        owners: dict[str, str | None] = {}
        for envelope in envelopes:
            for key in projection.keys(envelope):
                position, doc = changed.get(key) or docs.get(key, (0, None))
                if envelope.position <= position:
                    continue  # already applied: a replay or a redelivery
                changed[key] = (envelope.position, projection.evolve(doc, envelope, key))
                owners[key] = projection.owner(envelope)
        rows = [stored_row(projection, key, owners[key], position, doc)
                for key, (position, doc) in changed.items() if doc is not None]
        columns = {**DOCUMENT_COLUMNS, **indexed(projection)}
        updates = ", ".join(f"{c} = excluded.{c}" for c in list(columns)[2:])
        cursor.insert_rows(
            projection.table, columns, rows,
            f"ON CONFLICT (key) DO UPDATE SET {updates} "
            # Two appliers (or a replay racing a live one) never move a row backwards.
            f"WHERE {projection.table}.position < excluded.position",
        )

    def _load(self, cursor: Cursor, table: str,
              keys: set[str]) -> dict[str, tuple[int, Document]]:
        found: dict[str, tuple[int, Document]] = {}
        ordered = sorted(keys)
        for start in range(0, len(ordered), 500):
            condition, params = cursor.where_in("key", ordered[start:start + 500])
            cursor.execute(f"SELECT key, position, doc FROM {table} WHERE {condition}", params)
            for row in cursor.fetchall():
                found[row["key"]] = (row["position"], orjson.loads(row["doc"]))
        return found

    def get(self, name: str, key: str) -> Document | None:
        row = self.database.query_one(
            f"SELECT doc FROM {self.projections[name].table} WHERE key = ?", (key,)
        )
        return orjson.loads(row["doc"]) if row else None

    def owned(self, name: str, owner: str) -> list[Document]:
        rows = self.database.query(
            f"SELECT doc FROM {self.projections[name].table} WHERE owner = ?", (owner,)
        )
        return [orjson.loads(row["doc"]) for row in rows]

    def where(self, name: str, **equal: Any) -> list[Document]:
        """Documents whose indexed columns hold the given values (a tuple: any of them)."""
        condition, params = self._condition(name, equal)
        rows = self.database.query(
            f"SELECT doc FROM {self.projections[name].table} WHERE {condition} ORDER BY key",
            params)
        return [orjson.loads(row["doc"]) for row in rows]

    def newest(self, name: str, **equal: Any) -> tuple[int, Document] | None:
        """The most recently changed of those documents, with its position (None: there is
        none); the position moves whenever any of them changes."""
        condition, params = self._condition(name, equal)
        row = self.database.query_one(
            f"SELECT position, doc FROM {self.projections[name].table} WHERE {condition} "
            "ORDER BY position DESC LIMIT 1", params)
        return (row["position"], orjson.loads(row["doc"])) if row else None

    def _condition(self, name: str, equal: dict[str, Any]) -> tuple[str, list[Any]]:
        unknown = set(equal) - set(indexed(self.projections[name]))
        if unknown or not equal:
            raise ValueError(f"not indexed columns of {name}: {sorted(unknown) or 'none given'}")
        clauses, params = [], []
        for column, value in equal.items():
            values = list(value) if isinstance(value, tuple | list) else [value]
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params += values
        return " AND ".join(clauses), params

    def all(self, name: str) -> list[Document]:
        rows = self.database.query(f"SELECT doc FROM {self.projections[name].table} ORDER BY key")
        return [orjson.loads(row["doc"]) for row in rows]

    def reset(self, names: Sequence[str]) -> None:
        with self.database.transaction() as cursor:
            for name in names:
                cursor.execute(f"DELETE FROM {self.projections[name].table}")
                cursor.execute("UPDATE rm_positions SET position = 0 WHERE projection = ?",
                               (name,))


# A document folded in memory: (position of its last event, owner, document or None).
Folded = tuple[int, str | None, Document | None]


def fold_into(projection: Projection, docs: dict[str, Folded],
              envelopes: Iterable[Envelope]) -> None:
    """Fold envelopes taken in store order into in-memory documents, as the store would:
    the same evolve, the same owner and position per document."""
    keys, evolve, owner = projection.keys, projection.evolve, projection.owner
    for envelope in envelopes:
        for key in keys(envelope):
            previous = docs.get(key)
            doc = evolve(previous[2] if previous else None, envelope, key)
            docs[key] = (envelope.position, owner(envelope), doc)


def fold(projection: Projection, envelopes: Sequence[Envelope]) -> dict[str, Any]:
    """Replay in memory: the same fold, no store (for as-of reads and audits)."""
    docs: dict[str, Folded] = {}
    fold_into(projection, docs, envelopes)
    return {key: doc for key, (_, _, doc) in docs.items() if doc is not None}
