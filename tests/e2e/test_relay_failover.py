"""Two relays: one leads (it holds the PostgreSQL advisory lock), the other waits as a standby
and takes over when the leader is killed, losing nothing."""

import base64
import os
import signal
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from ledger import commands, inputs
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actors import Actor
from services.relay.relay import RELAY_LOCK
from tests.e2e.test_processes import Process

QA = Actor("qa", "qa_body")


def wait_for(condition, seconds: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)  # polling a condition with a deadline


def lock_holders(url: str) -> list[int]:
    with psycopg.connect(url, autocommit=True) as conn:
        # Advisory locks are per database: other ledgers on the cluster hold their own.
        rows = conn.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND "
                            "objid = %s AND granted AND database = (SELECT oid FROM "
                            "pg_database WHERE datname = current_database())",
                            (RELAY_LOCK,)).fetchall()
    return [row[0] for row in rows]


def relays_connected(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        # Connected and past its first try for the lock (the statement it last ran; a leader
        # then checks that its lock's session still answers).
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                            "'ledger-relay-leadership' AND (query LIKE "
                            "'%pg_try_advisory_lock%' OR query = 'SELECT 1') "
                            "AND datname = current_database()").fetchone()[0]


def relayed(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT max(position) FROM relay_positions").fetchone()
    return row[0] or 0


@pytest.fixture
def env(postgres_url: str, kafka_bootstrap: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": postgres_url, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "LEDGER_ENVIRONMENT": "production", "LEDGER_DATA_DIR": str(tmp_path),
            "LEDGER_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
            "LEDGER_KAFKA_TOPIC_PREFIX": f"fo{uuid.uuid4().hex[:8]}."}


def register_providers(settings: Settings, count: int) -> int:
    ledger = bootstrap(settings, run_projections=False)
    try:
        for i in range(count):
            ledger.execute_sync(commands.register_provider(QA, inputs.RegisterProvider(**{
                "name": f"College {i}", "country": "GE", "kind": "vocational",
                "legal_identifier": None})))
        return ledger.app.recorder.max_notification_id()
    finally:
        ledger.close()


def test_a_standby_relay_takes_over_when_the_leader_dies(env, postgres_url):
    settings = Settings(database_url=postgres_url, master_key=env["LEDGER_MASTER_KEY"],
                        data_dir=Path(env["LEDGER_DATA_DIR"]))
    head = register_providers(settings, 20)
    leader = Process("relay", env=env)
    wait_for(lambda: relayed(postgres_url) >= head, what="the leader to publish")
    standby = Process("relay", env=env)
    wait_for(lambda: relays_connected(postgres_url) == 2, what="the standby to connect")
    assert len(lock_holders(postgres_url)) == 1
    assert standby.popen.poll() is None  # waiting, not publishing, not exited

    leader.popen.send_signal(signal.SIGKILL)
    leader.popen.wait(timeout=30)
    head = register_providers(settings, 20)
    wait_for(lambda: relayed(postgres_url) >= head, what="the standby to take over")
    status, output = standby.stop()
    assert status == 0, output
    assert "waiting as a standby" in output
