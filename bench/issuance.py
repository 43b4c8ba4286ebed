"""Issuance throughput against PostgreSQL (fsync on), four ways in one run:

  (a) HTTP: POST /v1/credentials from 32 concurrent keep-alive clients through `ledger serve`
  (b) naive: one `save()` per command straight through the eventsourcing Application
  (c) raw psycopg: single-row INSERT commits (the database's own commit rate)
  (d) bulk: POST /v1/credentials/bulk with 10,000 items per request

Prints credentials/s, p50/p99 latency and the ratios. Not a test: figures, never assertions.
Uses DATABASE_URL's cluster when set, else starts a throwaway one with scripts/local-postgres.sh.
"""

import argparse
import base64
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import orjson
import psycopg

from bench.loadgen import LoadResult, encode_post, run_load
from ledger import commands, inputs
from ledger.application import LedgerApplication
from ledger.bootstrap import bootstrap
from ledger.calendar import Calendar
from ledger.config import Settings
from ledger.domain.actors import Actor
from ledger.domain.learner import LearnerRecord
from ledger.domain.programme import MicroCredential
from ledger.domain.provider import Provider

ROOT = Path(__file__).resolve().parent.parent
PROGRAMME = {
    "title": "Cloud Operations Fundamentals", "learning_outcomes": ["Operate a managed cluster"],
    "ects": 4.0, "eqf_level": 5, "assessment_type": "Practical assessment",
    "participation_form": "blended", "quality_assurance": "Internal QA",
}


def cluster_url() -> tuple[str, bool]:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], False
    env = {**os.environ, "LOCAL_POSTGRES_DIR": str(ROOT / ".cache" / "bench-postgres")}
    out = subprocess.run(["bash", str(ROOT / "scripts" / "local-postgres.sh"), "start"],
                         check=True, capture_output=True, text=True, env=env)
    return out.stdout.strip().splitlines()[-1].removeprefix("DATABASE_URL="), True


def stop_cluster() -> None:
    """Stops the cluster cluster_url() started."""
    env = {**os.environ, "LOCAL_POSTGRES_DIR": str(ROOT / ".cache" / "bench-postgres")}
    subprocess.run(["bash", str(ROOT / "scripts" / "local-postgres.sh"), "stop"], env=env,
                   check=False, capture_output=True)


def fresh_database(url: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        fsync = admin.execute("SHOW fsync").fetchone()[0]
    print(f"PostgreSQL fsync={fsync}, database {name}", file=sys.stderr)
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def seed_world(settings: Settings, learners: int) -> dict:
    ledger = bootstrap(settings, run_projections=False)
    try:
        qa = Actor("bench-qa", "qa_body")
        provider = ledger.execute_sync(commands.register_provider(qa, inputs.RegisterProvider(**{
            "name": "Bench Academy", "country": "GE", "kind": "vocational",
            "legal_identifier": None}))).body["id"]
        ledger.execute_sync(commands.accredit_provider(qa, provider, inputs.Accreditation(**{
            "valid_from": "2020-01-01", "valid_until": "2030-12-31", "scope": None,
            "decision_reference": "BENCH"})))
        actor, token = ledger.principals.create("provider", provider, "bench provider")
        programme = ledger.execute_sync(
            commands.submit_programme(actor, provider, PROGRAMME)).body["id"]
        ledger.execute_sync(commands.decide_programme(qa, programme, inputs.ProgrammeDecision(
            "approve", approved_on="2024-01-01", review_due="2026-12-31")))
        futures = [ledger.submit(commands.enrol_learner(actor, inputs.PersonalDetails(**{
            "given_name": "Bench", "family_name": f"Learner {i}", "birth_date": "2000-01-01"})))
            for i in range(learners)]
        learner_ids = [f.result().body["id"] for f in futures]
    finally:
        ledger.close()
    return {"provider": provider, "programme": programme, "token": token,
            "learners": learner_ids, "actor": actor}


def item(world: dict, i: int) -> dict:
    return {"learner_id": world["learners"][i % len(world["learners"])],
            "microcredential_id": world["programme"], "awarded_on": "2025-06-01",
            "grade": "A"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, settings: Settings, port: int, profile: str | None = None,
                 separate_projector: bool = False, ready_seconds: float = 30) -> None:
        env = {**os.environ, "DATABASE_URL": settings.database_url,
               "LEDGER_MASTER_KEY": settings.master_key, "LEDGER_ENVIRONMENT": "production"}
        self.port = port
        ledger = str(ROOT / ".venv" / "bin" / "ledger")
        command = [ledger, "serve", "--port", str(port)]
        self.projector = None
        if separate_projector:
            command.append("--no-projections")
            self.projector = subprocess.Popen([ledger, "projections", "run"], env=env,
                                              stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL)
        if profile:  # py-spy samples the server; its flame graph shows where the time goes
            kind = "raw" if profile.endswith(".txt") else "flamegraph"  # raw: collapsed stacks
            command = [str(ROOT / ".venv" / "bin" / "py-spy"), "record", "--format", kind,
                       "-o", profile, "--", *command]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + ready_seconds
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.process.kill()  # never leave a half-started server behind
                raise RuntimeError("ledger serve did not become ready")
            time.sleep(0.1)

    def stop(self) -> None:
        for process in (self.process, self.projector):
            if process is not None:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=60)


def http_issuance(world: dict, port: int, n: int, clients: int) -> LoadResult:
    headers = {"Authorization": f"Bearer {world['token']}"}
    requests = [encode_post("/v1/credentials", orjson.dumps(item(world, i)), headers)
                for i in range(n)]
    run_load(port, requests[: min(n, 2000)], clients)  # warm-up: caches, JIT-less but hot paths
    return run_load(port, requests, clients)


def catch_up_seconds(url: str, limit: float = 300) -> float:
    """How long after the load the read models reach the store's head (projection lag)."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        head = conn.execute("SELECT max(notification_id) FROM ledger_events").fetchone()[0]
        while time.perf_counter() - started < limit:
            low = conn.execute("SELECT min(position) FROM rm_positions").fetchone()[0]
            if low >= head:
                break
            time.sleep(0.01)
    return time.perf_counter() - started


def bulk_issuance(world: dict, port: int, total: int, size: int = 10_000) -> LoadResult:
    headers = {"Authorization": f"Bearer {world['token']}"}
    requests = [encode_post("/v1/credentials/bulk",
                            orjson.dumps({"items": [item(world, j) for j in range(size)]}),
                            headers) for _ in range(max(1, total // size))]
    created = 0

    def count(status: int, body: bytes) -> None:
        nonlocal created
        created += sum(r["status"] == "created" for r in orjson.loads(body)["results"])

    result = run_load(port, requests, clients=1, on_body=count)
    result.requests = created
    return result


def naive_issuance(settings: Settings, world: dict, n: int, threads: int) -> LoadResult:
    """One repository.get + one save() per command: the library used one request at a time."""
    app = LedgerApplication(env=settings.eventsourcing_env())
    actor: Actor = world["actor"]
    provider = app.repository.get(uuid.UUID(world["provider"]))
    programme = app.repository.get(uuid.UUID(world["programme"]))
    assert isinstance(provider, Provider) and isinstance(programme, MicroCredential)
    result = LoadResult(requests=n, seconds=0.0)
    lock = threading.Lock()
    learners = world["learners"]

    def work(worker: int) -> None:
        mine = learners[worker::threads]
        for i in range(worker, n, threads):
            started = time.perf_counter()
            record = app.repository.get(uuid.UUID(mine[(i // threads) % len(mine)]))
            assert isinstance(record, LearnerRecord)
            record.issue(actor=actor, credential_id=str(uuid.uuid4()), provider=provider,
                         programme=programme, awarded_on="2025-06-01", grade="A",
                         assessment=None, today=Calendar().today())
            app.save(record)
            with lock:
                result.latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    workers = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    result.seconds = time.perf_counter() - started
    app.close()
    return result


def raw_inserts(url: str, n: int) -> LoadResult:
    result = LoadResult(requests=n, seconds=0.0)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, "
                     "payload bytea NOT NULL)")
        payload = os.urandom(400)
        started = time.perf_counter()
        for _ in range(n):
            t = time.perf_counter()
            conn.execute("INSERT INTO bench_raw (payload) VALUES (%s)", (payload,))
            result.latencies.append(time.perf_counter() - t)
        result.seconds = time.perf_counter() - started
    return result


def report(rows: list[tuple[str, LoadResult]]) -> None:
    http = dict(rows)["(a) HTTP, 32 clients"].rate
    print(f"\n{'path':34} {'credentials/s':>14} {'p50 ms':>8} {'p99 ms':>8} {'vs (a)':>8}")
    for name, r in rows:
        print(f"{name:34} {r.rate:14,.0f} {r.percentile(0.5) * 1e3:8.2f} "
              f"{r.percentile(0.99) * 1e3:8.2f} {r.rate / http:8.2f}")
    naive = dict(rows)["(b) naive save() per command"].rate
    print(f"\nHTTP / naive = {http / naive:.2f}x (target >= 2x); "
          f"HTTP {'meets' if http >= 1000 else 'misses'} 1,000/s; bulk "
          f"{'meets' if dict(rows)['(d) bulk, 10,000 per request'].rate >= 10_000 else 'misses'}"
          " 10,000/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="issuances per path")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--port", type=int, default=0, help="API port (default: a free one)")
    parser.add_argument("--profile", help="write a py-spy profile of the server here "
                        "(.svg: flame graph; .txt: collapsed stacks)")
    parser.add_argument("--separate-projector", action="store_true",
                        help="run the projections in their own process (`ledger projections "
                        "run`) instead of inside the API process")
    args = parser.parse_args()
    print("projections: " + ("separate process" if args.separate_projector
                             else "in the API process"), file=sys.stderr)

    url, started_cluster = cluster_url()
    try:
        database = fresh_database(url)
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(database_url=database, data_dir=Path(tmp),
                                master_key=base64.b64encode(os.urandom(32)).decode())
            world = seed_world(settings, args.learners)
            port = args.port or free_port()
            server = Server(settings, port, args.profile, args.separate_projector)
            try:
                http = http_issuance(world, port, args.n, args.clients)
                print(f"HTTP statuses: {http.statuses}", file=sys.stderr)
                lag = catch_up_seconds(database)
                print(f"read models caught up {lag:.2f} s after the last HTTP response",
                      file=sys.stderr)
                bulk = bulk_issuance(world, port, max(args.n, 50_000))
            finally:
                server.stop()
            naive = naive_issuance(settings, world, args.n // 4, args.clients)
            raw = raw_inserts(database, args.n // 4)
        report([("(a) HTTP, 32 clients", http), ("(b) naive save() per command", naive),
                ("(c) raw psycopg INSERT commits", raw), ("(d) bulk, 10,000 per request", bulk)])
    finally:
        if started_cluster:
            stop_cluster()


if __name__ == "__main__":
    main()
