"""The demo server as the README starts it (`ledger serve --demo`, a real process over HTTP on
SQLite, development environment), with bearer tokens from `ledger principals create`."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import STANDARDS, free_port
from tests.e2e.test_processes import STOPPED_BY_SIGTERM, Process, create_token, wait_until_ready


@dataclass(frozen=True)
class DemoServer:
    base_url: str
    env: dict[str, str]
    tokens: dict[str, str]  # role -> bearer token
    scopes: dict[str, str]  # role -> the demo provider, learner or body its token is for

    def token(self, role: str, scope: str | None = None) -> str:
        return create_token(self.env, role, scope)


@contextmanager
def demo_server(data_dir: Path) -> Iterator[DemoServer]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items()
           if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "LEDGER_ENVIRONMENT")}
    env |= {"LEDGER_DATA_DIR": str(data_dir), "LEDGER_PUBLIC_BASE_URL": base_url,
            "LEDGER_STANDARDS_DIR": str(STANDARDS)}
    server = Process("serve", "--demo", "--data-dir", str(data_dir), "--port", str(port),
                     env=env)
    try:
        wait_until_ready(base_url, server, seconds=180)
        yield DemoServer(base_url, env, *_principals(base_url, env))
    finally:
        status, output = server.stop()
    assert status in STOPPED_BY_SIGTERM, output


def _principals(base_url: str, env: dict[str, str]
                ) -> tuple[dict[str, str], dict[str, str]]:
    """One token per role, scoped to a demo provider and a demo learner where a role is."""
    auditor = create_token(env, "auditor")
    with httpx.Client(base_url=base_url, timeout=30) as http:
        provider = http.get("/v1/register/providers").json()["items"][0]["id"]
        events = http.get("/v1/audit/events", params={"limit": 1000},
                          headers={"Authorization": f"Bearer {auditor}"}).json()["events"]
    learner = next(e["stream_id"] for e in events
                   if e["type"] == "LearnerRecord.CredentialIssued")
    body = next(e["stream_id"] for e in events if e["type"] == "Provider.Registered"
                and e["data"]["kind"] == "recognition_body")
    scopes = {"provider": provider, "learner": learner, "recognition_body": body}
    tokens = {role: create_token(env, role, scope) for role, scope in scopes.items()}
    tokens |= {"auditor": auditor, "qa_body": create_token(env, "qa_body"),
               "admin": create_token(env, "admin")}
    return tokens, scopes
