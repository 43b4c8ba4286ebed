"""Latency of the public register and verification reads over a national-size store, beside
/healthz in the same run, on PostgreSQL (fsync on):

  register page      the HTML search page (/register) when the pages are served, else the API
  programme page     /programmes/{id} when served, else GET /v1/register/microcredentials/{id}
  verification page  /verify/{credential_id} (HTML) when served, else GET /v1/verify/{id}
  API register page  GET /v1/register/microcredentials: first pages, deep cursors, filters and
                     text searches, mixed
  healthz            GET /healthz: the server's floor

Two stores: --programmes/--credentials (default 10,000 programmes and 1,000,000 credentials)
and one ten times smaller. Each is built once through the bulk path (the group committer, no
HTTP: the audit benchmark's way), projected, and kept in .cache/bench-postgres as a database
named by its size, so re-runs only measure (--finish-partial measures what an interrupted
build stored). Both stores are served at once, and the requests of every route on both are
sent one at a time (latency, not throughput) in one shuffled sequence, over one keep-alive
connection per server, so that every figure meets the same background load. Prints p50 and p99
per route and store, and the big store's against the small one's. Not a test: figures, never
assertions.
"""

import argparse
import asyncio
import base64
import hashlib
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlparse, urlunparse

import httpx
import psycopg

from bench.issuance import Server, cluster_url, free_port
from bench.loadgen import LoadResult
from bench.loadgen import _read_response as read_response
from ledger import commands, inputs
from ledger.audit.progress import bar
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actors import Actor
from ledger.projections.runner import NotificationLogRunner
from ledger.register_search import encode_cursor

TOPICS = ["Data Analysis", "Cloud Security", "Machine Learning", "Welding", "Nursing Care",
          "Accounting", "Tourism Management", "Viticulture", "Software Testing", "Logistics",
          "Project Management", "Graphic Design", "Cyber Hygiene", "Solar Installation",
          "Early Childhood Education", "Public Procurement", "Food Safety", "Robotics",
          "Digital Marketing", "Construction Safety"]
GEORGIAN = ["მონაცემთა ანალიზი", "ღვინის წარმოება", "ტურიზმის მართვა", "ბუღალტერია",
            "პროგრამული უზრუნველყოფის ტესტირება"]
LEVELS = ["Introduction to", "Foundations of", "Applied", "Advanced", "Professional"]
FORMS = ["online", "onsite", "blended"]
ISCED = ["0413", "0612", "0613", "0715", "0913", "0411", "1015", "0811", "0613", "0732"]
KEY = base64.b64encode(hashlib.sha256(b"bench/web.py").digest()).decode()  # a bench's key
SAMPLES = 400  # timed requests per route and store
WARM_UP = 60
ROUTES = ("healthz", "register page", "programme page", "verification page",
          "API register page")


@dataclass(frozen=True)
class Size:
    programmes: int
    credentials: int

    @property
    def providers(self) -> int:
        return max(2, self.programmes // 100)

    @property
    def learners(self) -> int:
        return max(10, self.credentials // 10)

    @property
    def database(self) -> str:
        return f"bench_web_p{self.programmes}_c{self.credentials}"


def database_url(cluster: str, size: Size) -> tuple[str, bool]:
    """The size's database in the cluster, and whether it is already built."""
    with psycopg.connect(cluster, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                               (size.database,)).fetchone()
        if not exists:
            # UTF-8 character classes whatever the cluster's default: pg_trgm indexes Georgian.
            admin.execute(f'CREATE DATABASE "{size.database}" TEMPLATE template0 '
                          "LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'")
    url = urlunparse(urlparse(cluster)._replace(path=f"/{size.database}"))
    with psycopg.connect(url) as conn:
        built = conn.execute("SELECT to_regclass('bench_web_built') IS NOT NULL").fetchone()[0]
    return url, bool(built)


def settings_for(url: str, data_dir: Path) -> Settings:
    return Settings(database_url=url, data_dir=data_dir, master_key=KEY,
                    kafka_bootstrap_servers=None, read_wait_seconds=60)


def wait_all(futures: list) -> list:
    return [f.result() for f in futures]


def build(settings: Settings, size: Size) -> None:
    """Providers, programmes (approved over the last two years, some lapsed), learners and
    credentials through the use cases and the group committer, then every read model."""
    started = time.perf_counter()
    rng = random.Random(size.programmes)
    ledger = bootstrap(settings, run_projections=False)
    today = ledger.calendar.today()
    qa = Actor("bench-qa", "qa_body")
    try:
        providers = [r.body["id"] for r in wait_all([ledger.submit(commands.register_provider(
            qa, inputs.RegisterProvider(name=f"{rng.choice(TOPICS)} College {n}", country="GE",
                                        kind="vocational")))
            for n in range(size.providers)])]
        wait_all([ledger.submit(commands.accredit_provider(qa, p, inputs.Accreditation(**{
            "valid_from": "2020-01-01", "valid_until": "2030-12-31", "scope": None,
            "decision_reference": f"NCEQE-{n}"}))) for n, p in enumerate(providers)])
        actors = {p: Actor(f"bench-provider-{n}", "provider", scope=p)
                  for n, p in enumerate(providers)}
        # A provider's programmes in date, each with a day it was approved on (awards then).
        owned: dict[str, list[tuple[str, str]]] = {p: [] for p in providers}
        with bar("Programmes (submitted and approved)", size.programmes) as update:
            for start in range(0, size.programmes, 2000):
                batch = []
                for n in range(start, min(start + 2000, size.programmes)):
                    provider = providers[n % len(providers)]
                    title = (rng.choice(GEORGIAN) if rng.random() < 0.2 else
                             f"{rng.choice(LEVELS)} {rng.choice(TOPICS)}") + f" {n}"
                    spec = {"title": title, "learning_outcomes": ["Do the work well"],
                            "ects": float(rng.choice([2, 3, 4, 5, 6, 10])),
                            "eqf_level": rng.randint(3, 7), "assessment_type": "Project",
                            "participation_form": rng.choice(FORMS),
                            "quality_assurance": "Internal QA", "isced_f": rng.choice(ISCED),
                            "language": "ka" if rng.random() < 0.6 else "en"}
                    batch.append((provider, spec))
                submitted = wait_all([ledger.submit(commands.submit_programme(
                    actors[p], p, spec)) for p, spec in batch])
                decisions = []
                for (provider, _), outcome in zip(batch, submitted, strict=True):
                    lapsed = rng.random() < 0.05
                    approved = today - timedelta(days=1090 if lapsed else rng.randint(1, 700))
                    if not lapsed:
                        owned[provider].append((outcome.body["id"], approved.isoformat()))
                    decisions.append(ledger.submit(commands.decide_programme(
                        qa, outcome.body["id"], inputs.ProgrammeDecision("approve", **{
                            "approved_on": approved.isoformat(),
                            "review_due": (approved + timedelta(days=1000)).isoformat()}))))
                wait_all(decisions)
                update(min(start + 2000, size.programmes))
        learners: list[str] = []
        with bar("Learners", size.learners) as update:
            for start in range(0, size.learners, 2000):
                batch = range(start, min(start + 2000, size.learners))
                learners += [r.body["id"] for r in wait_all([ledger.submit(
                    commands.enrol_learner(actors[providers[0]], inputs.PersonalDetails(**{
                        "given_name": "Bench", "family_name": f"Learner {n}",
                        "birth_date": "2000-01-01"}))) for n in batch])]
                update(len(learners))
        issue(ledger, size, providers, actors, owned, learners)
    finally:
        ledger.close()
    project_and_mark(settings, size, time.perf_counter() - started)


def project_and_mark(settings: Settings, size: Size, events_seconds: float) -> None:
    """Every read model caught up with the store, then the store marked as built."""
    ledger = bootstrap(settings, run_projections=False)
    try:
        projecting = time.perf_counter()
        NotificationLogRunner(ledger.app, ledger.read_models).catch_up()
        projected = time.perf_counter() - projecting
    finally:
        ledger.close()
    with psycopg.connect(settings.database_url) as conn:
        conn.execute("CREATE TABLE bench_web_built (programmes int, credentials int, "
                     "events_seconds real, projection_seconds real)")
        conn.execute("INSERT INTO bench_web_built VALUES (%s, %s, %s, %s)",
                     (size.programmes, size.credentials, events_seconds, projected))
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"built {size.database}: events {events_seconds:.0f} s, read models {projected:.0f} s",
          file=sys.stderr)


def has_events(url: str) -> bool:
    with psycopg.connect(url) as conn:
        return bool(conn.execute("SELECT to_regclass('ledger_events') IS NOT NULL").fetchone()[0]
                    and conn.execute("SELECT EXISTS (SELECT 1 FROM ledger_events)"
                                     ).fetchone()[0])


def contents(url: str) -> tuple[int, int]:
    """What the store holds: programmes in the register, credentials."""
    with psycopg.connect(url) as conn:
        programmes = conn.execute("SELECT count(*) FROM rm_register "
                                  "WHERE kind_of_entry = 'microcredential'").fetchone()[0]
        credentials = conn.execute("SELECT count(*) FROM rm_status").fetchone()[0]
    return programmes, credentials


def issue(ledger, size: Size, providers: list[str], actors: dict, owned: dict,
          learners: list[str]) -> None:
    """The credentials, 10,000 per bulk request, each from one provider's programmes."""
    async def issue_all(update: Callable[[int], None]) -> None:
        pending: set[asyncio.Future] = set()
        done = 0
        for chunk_no, start in enumerate(range(0, size.credentials, 10_000)):
            provider = providers[chunk_no % len(providers)]
            programmes = owned[provider]
            count = min(10_000, size.credentials - start)
            items = [(i, inputs.IssueCredential(
                learner_id=learners[(start + i) % len(learners)],
                microcredential_id=programmes[i % len(programmes)][0],
                awarded_on=programmes[i % len(programmes)][1], grade="A"))
                     for i in range(count)]
            pending.add(asyncio.ensure_future(ledger.bulk_issue(actors[provider], items, None)))
            if len(pending) >= 4:
                finished, pending = await asyncio.wait(pending,
                                                       return_when=asyncio.FIRST_COMPLETED)
                for f in finished:
                    count_results(f.result().body["results"])
                done = issued + failed[0]
                update(done)
        for f in asyncio.as_completed(pending):
            count_results((await f).body["results"])
            update(issued + failed[0])

    issued, failed = 0, [0]

    def count_results(results: list[dict]) -> None:
        nonlocal issued
        issued += sum(r["status"] == "created" for r in results)
        failed[0] += sum(r["status"] != "created" for r in results)

    with bar("Credentials (bulk path)", size.credentials) as update:
        asyncio.run(issue_all(update))
    print(f"credentials: {issued:,} issued, {failed[0]:,} failed", file=sys.stderr)


# -- measuring -------------------------------------------------------------------------------

def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


Sample = tuple["Size", str, str]  # (store, route, path)


def measure(ports: dict["Size", int], samples: list[Sample]) -> dict[tuple, LoadResult]:
    """Every request once, one at a time, in the given (shuffled) order, over one keep-alive
    connection per server: every route of every store meets the same background load."""
    async def main() -> dict[tuple, LoadResult]:
        connections = {size: await asyncio.open_connection("127.0.0.1", port)
                       for size, port in ports.items()}
        results: dict[tuple, LoadResult] = {}
        try:
            for size, route, path in samples:
                reader, writer = connections[size]
                started = time.perf_counter()
                writer.write(get(path))
                status, _ = await read_response(reader)
                result = results.setdefault((size, route), LoadResult(0, 0.0))
                result.latencies.append(time.perf_counter() - started)
                result.requests += 1
                result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            for _, writer in connections.values():
                writer.close()
        return results

    results = asyncio.run(main())
    for (size, route), result in results.items():
        bad = {s: n for s, n in result.statuses.items() if s != 200}
        if bad:
            print(f"  {size.database} {route}: non-200 answers {bad}", file=sys.stderr)
    return results


def routes(url: str, port: int, rng: random.Random) -> tuple[dict[str, list[str]], bool]:
    """The request paths of each route, sampled from the store; whether pages are HTML."""
    with psycopg.connect(url) as conn:
        programmes = [r[0] for r in conn.execute(
            "SELECT key FROM rm_register WHERE kind_of_entry = 'microcredential' "
            "AND status = 'approved' ORDER BY random() LIMIT %s", (SAMPLES,))]
        cursors = [encode_cursor(s, k) for s, k in conn.execute(
            "SELECT sort_key, key FROM rm_register WHERE kind_of_entry = 'microcredential' "
            "ORDER BY random() LIMIT %s", (SAMPLES,))]
        credentials = [r[0] for r in conn.execute(
            "SELECT key FROM rm_status ORDER BY random() LIMIT %s", (SAMPLES,))]
    html = httpx.get(f"http://127.0.0.1:{port}/register").headers.get(
        "content-type", "").startswith("text/html")

    def search(prefix: str) -> list[str]:
        choices = [
            lambda: {},
            lambda: {"cursor": rng.choice(cursors)},
            lambda: {"eqf_level": rng.randint(3, 7)},
            lambda: {"isced_f": rng.choice(ISCED)[:2], "language": "ka"},
            lambda: {"q": rng.choice(TOPICS).split()[-1].lower()},
            lambda: {"q": rng.choice(GEORGIAN).split()[0][:5]},
            lambda: {"participation_form": rng.choice(FORMS), "ects_min": 3, "ects_max": 6},
        ]
        return [f"{prefix}?{urlencode({'limit': 20, **rng.choice(choices)()})}"
                for _ in range(SAMPLES)]

    api = search("/v1/register/microcredentials")
    return {
        "healthz": ["/healthz"] * SAMPLES,
        "register page": search("/register") if html else api,
        "programme page": [(f"/programmes/{p}" if html else
                            f"/v1/register/microcredentials/{p}")
                           for p in rng.choices(programmes, k=SAMPLES)],
        "verification page": [(f"/verify/{c}" if html else f"/v1/verify/{c}")
                              for c in rng.choices(credentials, k=SAMPLES)],
        "API register page": api,
    }, html


def prepare(cluster: str, size: Size, data_dir: Path, finish_partial: bool) -> Settings:
    url, built = database_url(cluster, size)
    settings = settings_for(url, data_dir)
    if not built and finish_partial and has_events(url):
        print("an interrupted build: measuring what it stored", file=sys.stderr)
        project_and_mark(settings, size, 0.0)
    elif not built:
        build(settings, size)
    return settings


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programmes", type=int, default=10_000)
    parser.add_argument("--credentials", type=int, default=1_000_000)
    parser.add_argument("--only-small", action="store_true",
                        help="measure only the store ten times smaller")
    parser.add_argument("--finish-partial", action="store_true",
                        help="a store whose build was interrupted: project and measure what it "
                        "holds (the table says how much) instead of building it again")
    args = parser.parse_args()
    big = Size(args.programmes, args.credentials)
    small = Size(args.programmes // 10, args.credentials // 10)
    cluster, _ = cluster_url()
    rng = random.Random(7)
    sizes = [small] if args.only_small else [small, big]
    servers: dict[Size, Server] = {}
    samples: list[Sample] = []
    warm_up: list[Sample] = []
    held: dict[Size, tuple[int, int]] = {}
    html = False
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for size in sizes:
                print(f"store: {size.programmes:,} programmes, {size.credentials:,} "
                      "credentials", file=sys.stderr)
                settings = prepare(cluster, size, Path(tmp) / size.database,
                                   args.finish_partial)
                held[size] = contents(settings.database_url)
                port = free_port()
                # A busy machine can take long to start a server.
                servers[size] = Server(settings, port, ready_seconds=300)
                paths, html = routes(settings.database_url, port, rng)
                for route, requests in paths.items():
                    samples += [(size, route, path) for path in requests]
                    warm_up += [(size, route, path) for path in requests[:WARM_UP // 5]]
            rng.shuffle(samples)
            measure({s: v.port for s, v in servers.items()}, warm_up)
            figures = measure({s: v.port for s, v in servers.items()}, samples)
        finally:
            for server in servers.values():
                server.stop()
    print(f"\npages: {'HTML' if html else 'not served on this branch: the API stands in'}"
          " (requests of all routes and both stores interleaved in one shuffled sequence)")
    print(f"{'store':>26} | {'route':<18} | {'p50 ms':>7} | {'p99 ms':>7}")
    for size in sizes:
        label = f"{held[size][0]:,} prog, {held[size][1]:,} cred"
        for route in ROUTES:
            result = figures[(size, route)]
            print(f"{label:>26} | {route:<18} | {ms(result.percentile(0.5))} | "
                  f"{ms(result.percentile(0.99))}")
    if len(sizes) == 2:
        print("\nbig store / small store:   p50    p99")
        for route in ROUTES:
            b, s = figures[(big, route)], figures[(small, route)]
            print(f"  {route:<18} {b.percentile(0.5) / s.percentile(0.5):5.2f}x "
                  f"{b.percentile(0.99) / s.percentile(0.99):5.2f}x")


if __name__ == "__main__":
    main()
