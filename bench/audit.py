"""Audit benchmark on a store of N events (default 1,000,000), PostgreSQL, in one run:

  store   built through the use cases' bulk path (enrolments, bulk issuance, revocations)
  replay  (a) raw server-side cursor: SELECT of the same rows, nothing decoded
          (b) the library's own path: app.recorder.select_notifications + app.mapper
              .to_domain_event (the way the eventsourcing library reads its log)
          (c) `ledger audit replay`: every row streamed, decoded into an envelope and folded
              into transcripts by the live projection code

Prints events/s for each beside each other. Not a test: figures, never assertions.
Uses DATABASE_URL's cluster when set, else starts a throwaway one with scripts/local-postgres.sh.
`--database NAME` reuses a store built by an earlier run (`--keep`).
"""

import argparse
import base64
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

from bench.issuance import PROGRAMME, cluster_url, fresh_database
from ledger import commands
from ledger.application import Ledger
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actors import Actor

ROOT = Path(__file__).resolve().parent.parent
CREDENTIALS_PER_LEARNER = 18
REVOKE_EVERY = 20  # one credential in 20 is revoked


# -- building the store ------------------------------------------------------------------------

@dataclass
class BuiltStore:
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def build_store(settings: Settings, events: int, *, progress: bool = True) -> BuiltStore:
    """At least `events` events through the bulk path: learners enrolled in batches, 18
    credentials each issued with POST /v1/credentials/bulk's use case, one in 20 revoked."""
    per_learner = 1 + CREDENTIALS_PER_LEARNER + CREDENTIALS_PER_LEARNER / REVOKE_EVERY
    learners = max(1, int(events / per_learner) + 1)
    started = time.perf_counter()
    ledger = bootstrap(settings, run_projections=False)
    try:
        provider, programmes = _seed_organisation(ledger)
        learner_ids = _enrol(ledger, provider, learners, progress)
        issued = _issue(ledger, provider, programmes, learner_ids, progress)
        _revoke(ledger, provider, issued[::REVOKE_EVERY], progress)
        head = ledger.app.recorder.max_notification_id() or 0
    finally:
        ledger.close()
    return BuiltStore(events=head, seconds=time.perf_counter() - started)


def _seed_organisation(ledger: Ledger) -> tuple[Actor, list[str]]:
    qa = Actor("bench-qa", "qa_body")
    run = ledger.execute_sync
    provider_id = run(commands.register_provider(qa, {
        "name": "Bench Academy", "country": "GE", "kind": "vocational",
        "legal_identifier": None})).body["id"]
    run(commands.accredit_provider(qa, provider_id, {
        "valid_from": "2020-01-01", "valid_until": "2030-12-31", "scope": None,
        "decision_reference": "BENCH"}))
    provider = Actor("bench-provider", "provider", provider_id)
    programmes = []
    for n in range(4):
        programme = run(commands.submit_programme(
            provider, provider_id, {**PROGRAMME, "title": f"{PROGRAMME['title']} {n}"})
        ).body["id"]
        run(commands.decide_programme(qa, programme, "approve", {
            "approved_on": "2024-01-01", "review_due": "2026-12-31"}))
        programmes.append(programme)
    return provider, programmes


def _report(what: str, done: int, total: int, started: float, enabled: bool) -> None:
    if enabled:
        rate = done / max(time.perf_counter() - started, 1e-9)
        print(f"\r  {what}: {done:,}/{total:,} ({rate:,.0f}/s)", end="", file=sys.stderr)
        if done >= total:
            print(file=sys.stderr)


def _in_waves(ledger: Ledger, runs: list, what: str, progress: bool,
              wave: int = 5000) -> list:
    """Submit commands a wave at a time (the committer batches each wave)."""
    outcomes, started = [], time.perf_counter()
    for start in range(0, len(runs), wave):
        futures = [ledger.submit(run) for run in runs[start:start + wave]]
        outcomes += [f.result() for f in futures]
        _report(what, len(outcomes), len(runs), started, progress)
    return outcomes


def _enrol(ledger: Ledger, provider: Actor, learners: int, progress: bool) -> list[str]:
    runs = [commands.enrol_learner(provider, ledger.vault, {
        "given_name": "Bench", "family_name": f"Learner {i}", "birth_date": "2000-01-01"})
        for i in range(learners)]
    return [o.body["id"] for o in _in_waves(ledger, runs, "learners", progress)]


def _issue(ledger: Ledger, provider: Actor, programmes: list[str], learner_ids: list[str],
           progress: bool, chunk: int = 1000) -> list[str]:
    items = [(i, {"learner_id": learner_ids[i % len(learner_ids)],
                  "microcredential_id": programmes[i % len(programmes)],
                  "awarded_on": "2025-06-01", "grade": "A", "assessment": None})
             for i in range(len(learner_ids) * CREDENTIALS_PER_LEARNER)]
    runs = [commands.issue_many(provider, items[start:start + chunk], None)
            for start in range(0, len(items), chunk)]
    outcomes = _in_waves(ledger, runs, f"credentials (bulk chunks of {chunk})", progress,
                         wave=20)
    return [r["id"] for o in outcomes for r in o.body["results"] if r["status"] == "created"]


def _revoke(ledger: Ledger, provider: Actor, credential_ids: list[str], progress: bool) -> None:
    runs = [commands.change_status(provider, ledger.database, cid, "revoke", "bench")
            for cid in credential_ids]
    _in_waves(ledger, runs, "revocations", progress)


def bench_settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=data_dir,
                    master_key=base64.b64encode(os.urandom(32)).decode(),
                    kafka_bootstrap_servers=None)


def with_database(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--events", type=int, default=1_000_000)
    parser.add_argument("--database", help="reuse this database (built by an earlier --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    url, _ = cluster_url()
    name = args.database
    with tempfile.TemporaryDirectory() as tmp:
        if name is None:
            database = fresh_database(url)
            name = urlparse(database).path.lstrip("/")
            settings = bench_settings(database, Path(tmp))
            built = build_store(settings, args.events)
            print(f"store: {built.events:,} events built in {built.seconds:,.1f} s "
                  f"({built.rate:,.0f} events/s through the bulk path)")
        else:
            settings = bench_settings(with_database(url, name), Path(tmp))
        try:
            from bench.audit_replay import replay_phases
            replay_phases(settings)
        finally:
            if not args.keep and args.database is None:
                with psycopg.connect(url, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            elif args.keep:
                print(f"kept database {name} (--database {name} reuses it)", file=sys.stderr)


if __name__ == "__main__":
    main()
