"""Audit throughput on PostgreSQL over a store of a million events, phases in one run:

  build   the store through the bulk path (Ledger.bulk_issue and the group committer, no
          HTTP), with the hash chain and periodic checkpoints as the ledger writes them
  select  baseline: a raw SELECT of the same event rows (a plain server-side binary cursor)
  scan    the rows verification reads: events joined with their chain entries, the next batch
          fetched while the current one is consumed, not hashed
  verify  chain verification (ledger/audit/verify.py), checkpoints included
  chain   the chain's share of an append: linking 100,000 stored events and writing their
          chain entries as the recorder does (batches of 2,000, one commit each, into a
          scratch table), beside the build's own time per event
  library the library's own read path: app.recorder.select_notifications pages, each event
          decoded by app.mapper.to_domain_event
  replay  `ledger audit replay` into transcripts: rows streamed, decoded into envelopes and
          folded by the live projection code (ledger/projections/replay.py)
  replay-all  the same into every read model
  (library and the replays: the median of three runs, the range in the note)

Prints events/s per phase and each against `select`. Not a test: figures, never assertions.
Add a phase with @phase("name"); choose with --phases. Uses DATABASE_URL's cluster when set,
else starts a throwaway one (scripts/local-postgres.sh). --keep keeps the built database and
prints how to --reuse it.
"""

import argparse
import asyncio
import base64
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench.issuance import cluster_url, fresh_database, item, seed_world, stop_cluster
from ledger import inputs
from ledger.audit.progress import bar
from ledger.audit.scan import BATCH, snapshot
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actors import Actor
from ledger.projections.replay import Replayer
from ledger.store import chain


@dataclass
class Context:
    settings: Settings
    events: int
    learners: int
    results: dict[str, "Figure"] = field(default_factory=dict)


@dataclass
class Figure:
    events: int
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


PHASES: dict[str, Callable[[Context], Figure]] = {}


def phase(name: str) -> Callable:
    def register(run: Callable[[Context], Figure]) -> Callable[[Context], Figure]:
        PHASES[name] = run
        return run
    return register


def events_in_store(settings: Settings) -> int:
    with psycopg.connect(settings.database_url) as conn:
        return conn.execute("SELECT count(*) FROM ledger_events").fetchone()[0]


@phase("build")
def build(ctx: Context) -> Figure:
    started = time.perf_counter()
    world = seed_world(ctx.settings, ctx.learners)
    ledger = bootstrap(ctx.settings, run_projections=False)
    actor: Actor = world["actor"]
    todo = ctx.events - events_in_store(ctx.settings)
    failed = 0

    async def issue_all(update: Callable[[int], None]) -> None:
        nonlocal failed
        pending: set[asyncio.Future] = set()
        done_items = 0
        for start in range(0, todo, 10_000):
            chunk = [(i, inputs.IssueCredential(**item(world, start + i)))
                     for i in range(min(10_000, todo - start))]
            pending.add(asyncio.ensure_future(ledger.bulk_issue(actor, chunk, None)))
            if len(pending) >= 4:  # keep the committer's queue full, memory bounded
                finished, pending = await asyncio.wait(pending,
                                                       return_when=asyncio.FIRST_COMPLETED)
                for f in finished:
                    results = f.result().body["results"]
                    failed += sum(r["status"] != "created" for r in results)
                    done_items += len(results)
                update(done_items)
        for f in asyncio.as_completed(pending):
            failed += sum(r["status"] != "created" for r in (await f).body["results"])

    try:
        with bar("Building the store (bulk path)", todo) as update:
            asyncio.run(issue_all(update))
        checkpoints = len(ledger.audit.checkpoints.all())
    finally:
        ledger.close()
    total = events_in_store(ctx.settings)
    return Figure(total, time.perf_counter() - started,
                  f"{ctx.learners:,} learners, {failed} failed items, {checkpoints} checkpoints")


def _stream(ctx: Context, sql: str) -> Figure:
    with psycopg.connect(ctx.settings.database_url) as conn, conn.transaction():
        started = time.perf_counter()
        count = 0
        with conn.cursor(name="bench_select", binary=True) as cursor:
            cursor.execute(sql)
            while rows := cursor.fetchmany(BATCH):
                count += len(rows)
        return Figure(count, time.perf_counter() - started)


@phase("select")
def select(ctx: Context) -> Figure:
    return _stream(ctx, "SELECT notification_id, uuid_send(originator_id), originator_version, "
                        "topic, state FROM ledger_events ORDER BY notification_id")


@phase("scan")
def scan(ctx: Context) -> Figure:
    ledger = bootstrap(ctx.settings, run_projections=False)
    try:
        started = time.perf_counter()
        with snapshot(ledger.database, ledger.app.recorder.events_table_name) as store:
            count = sum(1 for _ in store.events())
        return Figure(count, time.perf_counter() - started, "events LEFT JOIN event_chain")
    finally:
        ledger.close()


@phase("verify")
def verify(ctx: Context) -> Figure:
    ledger = bootstrap(ctx.settings, run_projections=False)
    try:
        report = ledger.audit.verify()
    finally:
        ledger.close()
    return Figure(report.events_checked, report.seconds,
                  f"ok={report.ok}, {report.checkpoints_checked} checkpoints checked")


@phase("chain")
def chain_cost(ctx: Context) -> Figure:
    ledger = bootstrap(ctx.settings, run_projections=False)
    try:
        stored = ledger.app.recorder.select_notifications(1, 100_000)
    finally:
        ledger.close()
    batches, head = [], chain.Head()
    started = time.perf_counter()
    for i in range(0, len(stored), 2000):
        batch = stored[i:i + 2000]
        recorded_at, links = chain.links(head, batch, [n.id for n in batch], chain.now_micros())
        head = chain.Head(links[-1][0], links[-1][1], recorded_at)
        batches.append((recorded_at, links))
    linking = time.perf_counter() - started
    with psycopg.connect(ctx.settings.database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_chain (LIKE event_chain INCLUDING ALL)")
        try:
            started = time.perf_counter()
            for recorded_at, links in batches:
                with conn.transaction():
                    conn.execute("INSERT INTO bench_chain (position, recorded_at, chain_hash) "
                                 "SELECT position, %b::bigint, chain_hash FROM "
                                 "unnest(%b::bigint[], %b::bytea[]) AS link(position, chain_hash)",
                                 (recorded_at, [p for p, _ in links], [d for _, d in links]))
            writing = time.perf_counter() - started
        finally:
            conn.execute("DROP TABLE bench_chain")
    count = len(stored)
    per_event = (linking + writing) / count
    note = (f"link {linking / count * 1e6:.1f} us + write {writing / count * 1e6:.1f} us "
            "per event")
    if "build" in ctx.results:
        build_per_event = 1 / ctx.results["build"].rate
        note += f" = {per_event / build_per_event:.1%} of the build's time per event"
    return Figure(count, linking + writing, note)


def _median_of(runs: int, measure: Callable[[], int]) -> Figure:
    """The median of several timed runs (the machine is shared), the range in the note."""
    figures = []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        count = measure()
        figures.append(Figure(count, time.perf_counter() - started))
    figures.sort(key=lambda f: f.rate)
    middle = figures[len(figures) // 2]
    middle.note = (f"median of {runs}: {figures[0].rate:,.0f} - {figures[-1].rate:,.0f} "
                   "events/s")
    return middle


@phase("library")
def library(ctx: Context, runs: int = 3, page: int = 10_000) -> Figure:
    ledger = bootstrap(ctx.settings, run_projections=False)
    recorder, mapper = ledger.app.recorder, ledger.app.mapper

    def select_and_decode() -> int:
        count, position = 0, 0
        while notifications := recorder.select_notifications(position, page,
                                                             inclusive_of_start=False):
            for notification in notifications:
                mapper.to_domain_event(notification)
            count += len(notifications)
            position = notifications[-1].id
        return count

    try:
        return _median_of(runs, select_and_decode)
    finally:
        ledger.close()


def _replay(ctx: Context, names: list[str] | None, runs: int = 3) -> Figure:
    ledger = bootstrap(ctx.settings, run_projections=False)
    projections = [ledger.read_models.projections[name]
                   for name in names or list(ledger.read_models.projections)]
    try:
        return _median_of(runs, lambda: Replayer(ledger.events, ledger.app.mapper.transcoder,
                                                 projections).advance().events)
    finally:
        ledger.close()


@phase("replay")
def replay(ctx: Context) -> Figure:
    return _replay(ctx, ["transcripts"])


@phase("replay-all")
def replay_all(ctx: Context) -> Figure:
    return _replay(ctx, None)


def report(results: dict[str, Figure]) -> None:
    baseline = results.get("select")
    print(f"\n{'phase':10} {'events':>11} {'seconds':>9} {'events/s':>11} {'vs select':>10}  "
          "note")
    for name, figure in results.items():
        ratio = f"{figure.rate / baseline.rate:10.2f}" if baseline and baseline.rate else " " * 10
        print(f"{name:10} {figure.events:11,} {figure.seconds:9.2f} {figure.rate:11,.0f} "
              f"{ratio}  {figure.note}")
    if "verify" in results:
        rate = results["verify"].rate
        print(f"\nverify {'meets' if rate >= 150_000 else 'misses'} 150,000 events/s "
              f"({rate:,.0f}/s over {results['verify'].events:,} events)")
    if "replay" in results:
        rate = results["replay"].rate
        print(f"replay into transcripts {'meets' if rate >= 60_000 else 'misses'} 60,000 "
              f"events/s ({rate:,.0f}/s over {results['replay'].events:,} events)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="store size to build")
    parser.add_argument("--learners", type=int, default=50_000)
    parser.add_argument("--phases", default=",".join(PHASES),
                        help=f"comma-separated, in order (default: {','.join(PHASES)})")
    parser.add_argument("--reuse", metavar="DATABASE_URL",
                        help="an existing store (from --keep): skips `build`")
    parser.add_argument("--master-key", help="the reused store's LEDGER_MASTER_KEY")
    parser.add_argument("--keep", action="store_true", help="keep the built database")
    args = parser.parse_args()
    phases = [p for p in args.phases.split(",") if p]
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    started_cluster = False
    if args.reuse:
        phases = [p for p in phases if p != "build"]
        url, database = args.reuse, args.reuse
        key = args.master_key or os.environ.get("LEDGER_MASTER_KEY")
        if not key:
            parser.error("--reuse needs --master-key (or LEDGER_MASTER_KEY)")
    else:
        url, started_cluster = cluster_url()
        database = fresh_database(url)
        key = base64.b64encode(os.urandom(32)).decode()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=database, data_dir=Path(tmp), master_key=key)
        ctx = Context(settings, args.events, args.learners)
        try:
            for name in phases:
                print(f"phase {name} ...", file=sys.stderr)
                ctx.results[name] = PHASES[name](ctx)
        finally:
            if args.keep or args.reuse:
                print(f"reuse with: --reuse {database} --master-key {key}", file=sys.stderr)
            else:
                _drop(url, database)
            if started_cluster:
                stop_cluster()
    report(ctx.results)


def _drop(cluster: str, database: str) -> None:
    name = database.rsplit("/", 1)[-1]
    with psycopg.connect(cluster, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
