"""Audit benchmark on a store of N events (default 1,000,000), PostgreSQL, in one run:

  store   built through the use cases' bulk path (enrolments, bulk issuance, revocations)
  replay  (a) raw server-side cursor: SELECT of the same rows, nothing decoded
          (b) the library's own path: app.recorder.select_notifications + app.mapper
              .to_domain_event (the way the eventsourcing library reads its log)
          (c) `ledger audit replay`: every row streamed, decoded into an envelope and folded
              into transcripts by the live projection code
          (d) the same into every read model (transcripts, register, status)

Prints events/s for each beside each other. Not a test: figures, never assertions.
Uses DATABASE_URL's cluster when set, else starts a throwaway one with scripts/local-postgres.sh.
`--database NAME` reuses a store built by an earlier run (`--keep`).
"""

import argparse
import base64
import gc
import os
import statistics
import subprocess
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
from ledger.projections.replay import Replayer

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


# -- replay phases ------------------------------------------------------------------------------

@dataclass
class Phase:
    name: str
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def timed(name: str, run) -> Phase:
    gc.collect()
    started = time.perf_counter()
    events = run()
    return Phase(name, events, time.perf_counter() - started)


def raw_select(ledger: Ledger) -> int:
    """(a) The same rows through a server-side cursor, nothing decoded."""
    return sum(len(rows) for rows in ledger.events.rows())


def library_select_and_decode(ledger: Ledger, page: int = 10_000) -> int:
    """(b) The library's own path: select_notifications pages, each decoded by the mapper."""
    recorder, mapper, count, position = ledger.app.recorder, ledger.app.mapper, 0, 0
    while notifications := recorder.select_notifications(position, page,
                                                         inclusive_of_start=False):
        for notification in notifications:
            mapper.to_domain_event(notification)
        count += len(notifications)
        position = notifications[-1].id
    return count


def replay_into(ledger: Ledger, names: list[str]) -> int:
    """(c) `ledger audit replay`: streamed, decoded into envelopes, folded by the live code."""
    projections = [ledger.read_models.projections[name] for name in names]
    replayer = Replayer(ledger.events, ledger.app.mapper.transcoder, projections).advance()
    return replayer.events


def replay_phases(settings: Settings, rounds: int = 3) -> dict[str, list[Phase]]:
    """Each phase `rounds` times, interleaved (the machine is shared: a median over rounds
    is steadier than one try)."""
    ledger = bootstrap(settings, run_projections=False)
    runs = {
        "(a) raw SELECT, server-side cursor": lambda: raw_select(ledger),
        "(b) library select_notifications + to_domain_event":
            lambda: library_select_and_decode(ledger),
        "(c) audit replay into transcripts": lambda: replay_into(ledger, ["transcripts"]),
        "(d) audit replay into all read models":
            lambda: replay_into(ledger, list(ledger.read_models.projections)),
    }
    results: dict[str, list[Phase]] = {name: [] for name in runs}
    try:
        raw_select(ledger)  # warm PostgreSQL's cache, so no phase pays for the disk alone
        for _ in range(rounds):
            for name, run in runs.items():
                results[name].append(timed(name, run))
    finally:
        ledger.close()
    median = {name: statistics.median(p.rate for p in phases)
              for name, phases in results.items()}
    library = median["(b) library select_notifications + to_domain_event"]
    print(f"\n{'replay phase (median of ' + str(rounds) + ' rounds)':52} {'events':>10} "
          f"{'events/s':>10} {'min-max events/s':>18} {'vs (b)':>7}")
    for name, phases in results.items():
        rates = [p.rate for p in phases]
        print(f"{name:52} {phases[0].events:10,} {median[name]:10,.0f} "
              f"{min(rates):8,.0f}-{max(rates):<9,.0f} {median[name] / library:7.2f}")
    replay = median["(c) audit replay into transcripts"]
    print(f"\nreplay into transcripts: {replay:,.0f} events/s "
          f"({'meets' if replay >= 60_000 else 'misses'} the 60,000 events/s target)")
    return results


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
    url, started_cluster = cluster_url()
    try:
        run(url, args)
    finally:
        if started_cluster:
            subprocess.run(["bash", str(ROOT / "scripts" / "local-postgres.sh"), "stop"],
                           env={**os.environ,
                                "LOCAL_POSTGRES_DIR": str(ROOT / ".cache" / "bench-postgres")},
                           check=False, capture_output=True)


def run(url: str, args: argparse.Namespace) -> None:
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
            replay_phases(settings)
        finally:
            if not args.keep and args.database is None:
                with psycopg.connect(url, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            elif args.keep:
                print(f"kept database {name} (--database {name} reuses it)", file=sys.stderr)


if __name__ == "__main__":
    main()
