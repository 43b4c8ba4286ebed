"""The event store itself, on SQLite and PostgreSQL: append-only by the database, no personal
data outside the vault, who/when on every event, and read models rebuilt from position 0."""

import hashlib
import json
import sqlite3
from datetime import date, datetime
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest

from ledger import commands, inputs
from ledger.application import Ledger
from ledger.config import Settings
from ledger.domain.errors import InvalidRequest, RuleViolation
from tests.helpers import count_events, seed_ledger
from tests.tampering import Superuser, guarded_tables

GIVEN_NAME = "ნესტან-დარეჯან"
FAMILY_NAME = "ჭავჭავაძე-ორბელიანი"
NATIONAL_ID = "GE01024085372Q"
EMAIL = "nestan.chavchavadze.7731@example.ge"
PERSONAL = {"given_name": GIVEN_NAME, "family_name": FAMILY_NAME, "birth_date": "1999-11-23",
            "national_id": NATIONAL_ID, "email": EMAIL}
READ_MODELS = ["transcripts", "register", "status"]


def _needles() -> dict[str, list[bytes]]:
    """Each personal value as it could appear in stored bytes: UTF-8, JSON-escaped (ASCII
    only), and as the hex that PostgreSQL prints for bytea."""
    found: dict[str, list[bytes]] = {}
    for label, value in (("given name", GIVEN_NAME), ("family name", FAMILY_NAME),
                         ("national id", NATIONAL_ID), ("email", EMAIL)):
        raw = value.encode()
        escaped = json.dumps(value).strip('"').encode()
        forms = {raw, escaped, raw.hex().encode(), value.lower().encode(),
                 value.upper().encode()}
        found[label] = sorted(forms)
    return found


def _leaks(blob: bytes) -> list[str]:
    return [label for label, forms in _needles().items() if any(f in blob for f in forms)]


def _row_bytes(row) -> bytes:
    values = list(row.values()) if isinstance(row, dict) else list(row)
    return b"|".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode()
                     for v in values)


def _raw_connection(settings: Settings):
    if settings.uses_postgres:
        return psycopg.connect(settings.database_url, autocommit=True)
    return sqlite3.connect(Path(settings.data_dir) / "ledger.sqlite3", isolation_level=None)


def _refused_error(settings: Settings) -> type[Exception]:
    return psycopg.Error if settings.uses_postgres else sqlite3.DatabaseError


def _all_rows(ledger: Ledger, settings: Settings) -> bytes:
    """Every row of every table in the store's database, as bytes."""
    with _raw_connection(settings) as conn:
        if settings.uses_postgres:
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
        else:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
        chunks = []
        for table in tables:
            if settings.uses_postgres:
                rows = conn.execute(f'SELECT CAST(t AS text) FROM "{table}" t').fetchall()
                chunks += [r[0].encode() for r in rows]
            else:
                for row in conn.execute(f'SELECT * FROM "{table}"').fetchall():
                    chunks += [v if isinstance(v, bytes) else str(v).encode() for v in row]
    assert tables, "no tables found"
    return b"\n".join(chunks)


# -- append-only ------------------------------------------------------------------------------

# A column of each append-only table to rewrite (tests/tampering.py lists the tables).
SOME_COLUMN = {"stored_events": "topic", "ledger_events": "topic", "event_chain": "recorded_at",
               "audit_checkpoints": "signed_at"}


def _guarded_with_rows(ledger: Ledger) -> list[str]:
    """Every append-only table, each holding rows (a row trigger fires only on a row)."""
    seed_ledger(ledger)
    ledger.audit.checkpoint()
    tables = guarded_tables(ledger)
    assert set(tables) <= set(SOME_COLUMN), tables
    for table in tables:
        assert _count(ledger, table) > 0, table
    return tables


def _count(ledger: Ledger, table: str) -> int:
    return int(ledger.database.query_one(f"SELECT COUNT(*) AS n FROM {table}")["n"])


def test_the_database_refuses_to_update_or_delete_any_append_only_table(ledger, settings):
    tables = _guarded_with_rows(ledger)
    before = {table: _count(ledger, table) for table in tables}
    refused = _refused_error(settings)
    with _raw_connection(settings) as conn:
        for table in tables:
            column = SOME_COLUMN[table]
            for statement in (f"UPDATE {table} SET {column} = {column}",
                              f"DELETE FROM {table}",
                              f"DELETE FROM {table} WHERE {column} = (SELECT MAX({column}) "
                              f"FROM {table})"):
                with pytest.raises(refused, match=f"{table} is append-only"):
                    conn.execute(statement)
    assert {table: _count(ledger, table) for table in tables} == before
    assert ledger.audit.verify().ok


def test_postgres_refuses_to_truncate_any_append_only_table(pg_ledger, pg_settings):
    tables = _guarded_with_rows(pg_ledger)
    before = {table: _count(pg_ledger, table) for table in tables}
    with psycopg.connect(pg_settings.database_url, autocommit=True) as conn:
        for table in tables:
            with pytest.raises(psycopg.Error, match=f"{table} is append-only"):
                conn.execute(f"TRUNCATE {table}")
            with pytest.raises(psycopg.Error, match=f"{table} is append-only"):
                conn.execute(f"TRUNCATE {table} RESTART IDENTITY CASCADE")
    assert {table: _count(pg_ledger, table) for table in tables} == before


def test_the_tampering_helper_refuses_a_table_whose_guard_is_missing(ledger, settings):
    seed_ledger(ledger)
    with _raw_connection(settings) as conn:
        if settings.uses_postgres:
            conn.execute("DROP TRIGGER event_chain_no_change ON event_chain")
        else:
            conn.execute("DROP TRIGGER event_chain_no_update")
    with pytest.raises(AssertionError, match="event_chain is not append-only"):
        Superuser(settings, ledger)


# -- personal data --------------------------------------------------------------------------

def test_no_personal_data_is_stored_in_events_or_read_models(ledger, settings):
    seeded = seed_ledger(ledger, **PERSONAL)
    assert ledger.runner.wait_for(seeded.position, 10)

    table = ledger.app.recorder.events_table_name
    states = [bytes(r["state"]) for r in ledger.database.query(f"SELECT state FROM {table}")]
    assert len(states) >= 10
    assert _leaks(b"\n".join(states)) == []

    for rm_table in ("rm_transcripts", "rm_status", "rm_register", "idempotency_keys",
                     "credential_index"):
        rows = ledger.database.query(f"SELECT * FROM {rm_table}")
        assert _leaks(b"\n".join(_row_bytes(r) for r in rows)) == [], rm_table
    transcript = ledger.transcript_document(seeded.learner_id)
    assert transcript is not None and len(transcript["credentials"]) == 2

    # Every table of the database, and (SQLite) every byte of the files on disk.
    everything = _all_rows(ledger, settings)
    assert _leaks(everything) == []
    # The scan can see: the learner's id, the vault's ciphertext, the plaintext if present.
    assert seeded.learner_id.encode() in everything
    ciphertext = bytes(ledger.database.query_one(
        "SELECT ciphertext FROM learner_vault WHERE learner_id = ?",
        (seeded.learner_id,))["ciphertext"])
    assert ciphertext in everything or ciphertext.hex().encode() in everything
    assert set(_leaks(json.dumps(PERSONAL, ensure_ascii=False).encode())) == set(_needles())
    assert set(_leaks(json.dumps(PERSONAL).encode())) == set(_needles())
    if not settings.uses_postgres:
        files = sorted(Path(settings.data_dir).glob("ledger.sqlite3*"))
        assert files
        assert _leaks(b"".join(f.read_bytes() for f in files)) == []


def test_the_vault_returns_personal_data_that_it_stores_only_encrypted(ledger):
    seeded = seed_ledger(ledger, **PERSONAL)

    assert ledger.vault.read(seeded.learner_id) == PERSONAL
    assert ledger.vault.read(UUID(seeded.learner_id)) == PERSONAL

    row = ledger.database.query_one(
        "SELECT wrapped_key, ciphertext FROM learner_vault WHERE learner_id = ?",
        (seeded.learner_id,))
    ciphertext, wrapped = bytes(row["ciphertext"]), bytes(row["wrapped_key"])
    assert len(ciphertext) > len(GIVEN_NAME.encode())
    assert _leaks(ciphertext) == []
    assert _leaks(wrapped) == []
    assert b"birth_date" not in ciphertext and b"1999-11-23" not in ciphertext


def test_the_national_id_index_holds_a_keyed_digest_not_the_id(ledger):
    seeded = seed_ledger(ledger, **PERSONAL)
    rows = ledger.database.query("SELECT digest, learner_id FROM learner_national_ids")
    assert [(r["digest"], r["learner_id"]) for r in rows] == [
        (ledger.vault.national_id_digest(NATIONAL_ID), seeded.learner_id)]
    digest = rows[0]["digest"]
    assert NATIONAL_ID not in digest and NATIONAL_ID.lower() not in digest
    assert digest != hashlib.sha256(NATIONAL_ID.encode()).hexdigest()  # keyed, not plain
    assert ledger.vault.find_by_national_id(f"  {NATIONAL_ID.lower()} ") == seeded.learner_id


def test_enrolling_a_known_national_id_again_returns_the_same_learner(ledger):
    seeded = seed_ledger(ledger, **PERSONAL)
    before = count_events(ledger)
    # The same person: the name in capitals (Georgian Mtavruli) and lower case, with spaces,
    # the national id in full-width characters.
    again = ledger.execute_sync(commands.enrol_learner(
        seeded.provider, inputs.PersonalDetails(
            given_name=f"  {PERSONAL['given_name'].upper()} ",
            family_name=PERSONAL["family_name"].lower(), birth_date=PERSONAL["birth_date"],
            national_id=fullwidth(NATIONAL_ID))))
    assert not again.created
    assert again.body["id"] == seeded.learner_id
    assert count_events(ledger) == before
    assert count_events(ledger, "Enrolled") == 1
    assert ledger.vault.read(seeded.learner_id) == PERSONAL


@pytest.mark.parametrize("changed", [{"given_name": "სხვა"}, {"family_name": "სახელი"},
                                     {"birth_date": "2000-01-01"}])
def test_a_known_national_id_with_other_details_is_refused_without_revealing_the_id(
        ledger, changed: dict):
    seeded = seed_ledger(ledger, **PERSONAL)
    before = count_events(ledger)
    with pytest.raises(RuleViolation) as refused:
        ledger.execute_sync(commands.enrol_learner(
            seeded.provider, inputs.PersonalDetails(**{**PERSONAL, **changed})))
    assert seeded.learner_id not in str(refused.value)
    assert count_events(ledger) == before


def fullwidth(text: str) -> str:
    """ASCII letters and digits as their full-width forms (NFKC maps them back)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# -- who and when -----------------------------------------------------------------------------

def test_every_event_records_its_actor_effective_date_and_timestamp(ledger):
    seeded = seed_ledger(ledger)
    notifications = ledger.app.recorder.select_notifications(0, 1000)
    events = [ledger.app.mapper.to_domain_event(n) for n in notifications]
    names = {type(e).__qualname__ for e in events}
    assert {"Provider.Registered", "Provider.Accredited", "MicroCredential.Submitted",
            "MicroCredential.Approved", "LearnerRecord.Enrolled",
            "LearnerRecord.CredentialIssued", "LearnerRecord.CredentialSuspended",
            "LearnerRecord.CredentialReinstated", "LearnerRecord.CredentialCorrected",
            "LearnerRecord.CredentialRevoked"} <= names, names
    actors = {seeded.qa.principal_id, seeded.provider.principal_id}
    for event in events:
        what = type(event).__qualname__
        assert getattr(event, "actor", None) in actors, what
        assert isinstance(date.fromisoformat(event.effective_on), date), what
        assert isinstance(event.timestamp, datetime), what
        assert event.timestamp.tzinfo is not None, what
    by_name = {type(e).__qualname__: e for e in events}
    issued = [e for e in events if type(e).__qualname__ == "LearnerRecord.CredentialIssued"]
    # The award date is when it happened in the world; the timestamp when it was recorded.
    assert sorted(e.effective_on for e in issued) == ["2025-03-01", "2025-04-01"]
    assert by_name["MicroCredential.Approved"].effective_on == "2024-01-15"
    assert by_name["LearnerRecord.CredentialRevoked"].actor == seeded.provider.principal_id
    assert by_name["MicroCredential.Approved"].actor == seeded.qa.principal_id


# -- read models ------------------------------------------------------------------------------

def test_read_models_rebuilt_from_position_zero_equal_the_live_ones(ledger):
    seeded = seed_ledger(ledger)
    assert ledger.runner.wait_for(seeded.position, 10)
    before = {name: ledger.read_models.all(name) for name in READ_MODELS}
    assert all(before.values()), before

    ledger.read_models.reset(READ_MODELS)
    assert all(ledger.read_models.all(name) == [] for name in READ_MODELS)
    ledger.runner.catch_up()

    after = {name: ledger.read_models.all(name) for name in READ_MODELS}
    assert after == before
    assert set(ledger.read_models.positions().values()) == {seeded.position}


def enrol_with_key(ledger, seeded, key_name: str, national_id: str) -> tuple:
    """An enrolment sent with an Idempotency-Key: (its key, its body, its outcome)."""
    body = {**PERSONAL, "national_id": national_id}
    key = ledger.idempotency(seeded.provider, key_name, "POST", "/v1/learners", body)
    return key, body, ledger.submit(
        commands.enrol_learner(seeded.provider, inputs.PersonalDetails(**body)), key).result()


def test_an_enrolments_idempotency_record_holds_a_keyed_digest_not_a_plain_hash(ledger):
    seeded = seed_ledger(ledger)
    key, body, first = enrol_with_key(ledger, seeded, "enrol-once", "GE99887766554")
    _, _, again = enrol_with_key(ledger, seeded, "enrol-once", "GE99887766554")
    assert again.body == first.body
    stored = {row["request_hash"] for row in ledger.database.query(
        "SELECT request_hash FROM idempotency_keys WHERE key = 'enrol-once'")}
    plain = hashlib.sha256(json.dumps(["POST", "/v1/learners", body], sort_keys=True,
                                      ensure_ascii=False, separators=(",", ":")).encode())
    assert stored == {key.request_hash} and key.request_hash.startswith("hmac-sha256:")
    assert plain.hexdigest() == key.legacy_hash  # what an earlier release would have stored
    assert plain.hexdigest() not in str(stored)


def test_a_retry_of_a_request_recorded_with_a_plain_digest_still_matches(ledger):
    seeded = seed_ledger(ledger)
    key, body, first = enrol_with_key(ledger, seeded, "enrol-legacy", "GE11223344556")
    with ledger.database.transaction() as cursor:  # as an earlier release stored it
        cursor.execute("UPDATE idempotency_keys SET request_hash = ? WHERE key = ?",
                       (key.legacy_hash, "enrol-legacy"))
    _, _, again = enrol_with_key(ledger, seeded, "enrol-legacy", "GE11223344556")
    assert again.body == first.body
    other = ledger.idempotency(seeded.provider, "enrol-legacy", "POST", "/v1/learners",
                               {**body, "given_name": "სხვა"})
    with pytest.raises(InvalidRequest):
        ledger.submit(commands.enrol_learner(seeded.provider, inputs.PersonalDetails(**body)),
                      other).result()


def test_a_principals_scope_must_name_an_organisation_of_its_kind_or_a_learner(ledger):
    seeded = seed_ledger(ledger)
    body = ledger.execute_sync(commands.register_provider(seeded.qa, inputs.RegisterProvider(**{
        "name": "Recognition Office", "country": "GE", "kind": "recognition_body",
        "legal_identifier": None}))).body["id"]
    for role, scope in (("provider", seeded.provider_id), ("recognition_body", body),
                        ("learner", seeded.learner_id)):
        actor, _ = ledger.create_principal(role, scope, None)
        assert (actor.role, actor.scope) == (role, scope)
    for role, scope in (("provider", str(uuid4())), ("provider", "not-a-uuid"),
                        ("provider", body), ("recognition_body", seeded.provider_id),
                        ("learner", seeded.provider_id), ("provider", seeded.learner_id)):
        with pytest.raises(InvalidRequest, match="is not a"):
            ledger.create_principal(role, scope, None)
