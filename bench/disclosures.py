"""What the disclosure log costs a read, on PostgreSQL, in one run:

  logged    a provider reads transcripts (Ledger.transcript, no HTTP): each read queues a
            disclosure log entry, which the log's writer thread inserts in batches
  baseline  the same reads with the log's `record` a no-op

Rounds alternate (logged, baseline, ...) so that drift in the machine's load hits both;
prints reads/s per round and the medians, and how long the writer took to store the queued
entries after the last logged round. Not a test: figures, never assertions. Uses
DATABASE_URL's cluster when set, else starts a throwaway one (scripts/local-postgres.sh).
"""

import argparse
import base64
import os
import statistics
import tempfile
import time

from bench.issuance import cluster_url, fresh_database, seed_world, stop_cluster
from ledger import commands
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.domain.actors import Actor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--reads", type=int, default=2000, help="reads per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    url, started = cluster_url()
    try:
        settings = Settings(database_url=fresh_database(url), data_dir=tempfile.mkdtemp(),
                            master_key=base64.b64encode(os.urandom(32)).decode(),
                            kafka_bootstrap_servers=None)
        world = seed_world(settings, args.learners)
        ledger = bootstrap(settings)
        try:
            run(ledger, world, args)
        finally:
            ledger.close()
    finally:
        if started:
            stop_cluster()


def run(ledger, world: dict, args: argparse.Namespace) -> None:
    provider: Actor = world["actor"]
    for i, learner in enumerate(world["learners"]):
        for awarded in ("2025-03-01", "2025-06-01"):
            last = ledger.execute_sync(commands.issue_credential(provider, {
                "learner_id": learner, "microcredential_id": world["programme"],
                "awarded_on": awarded, "grade": str(i % 5)}))
    ledger.wait_for(last.body["position"])
    learners = world["learners"]
    log = ledger.disclosure_log
    record = log.record

    def reads() -> float:
        start = time.perf_counter()
        for i in range(args.reads):
            ledger.transcript(provider, learners[i % len(learners)])
        return args.reads / (time.perf_counter() - start)

    reads()  # warm up caches and connections
    log.flush()
    figures: dict[str, list[float]] = {"logged": [], "baseline": []}
    for _ in range(args.rounds):
        log.record = record
        figures["logged"].append(reads())
        log.record = lambda entry: None
        figures["baseline"].append(reads())
    log.record = record
    start = time.perf_counter()
    log.flush()
    drained = time.perf_counter() - start
    for name, values in figures.items():
        print(f"{name:9} {statistics.median(values):8.0f} reads/s (median of {len(values)}; "
              f"rounds: {', '.join(f'{v:.0f}' for v in values)})")
    ratio = statistics.median(figures["logged"]) / statistics.median(figures["baseline"])
    print(f"logged / baseline: {ratio:.3f}; writer drained the queue {drained * 1000:.0f} ms "
          f"after the last round; log rows: "
          f"{ledger.database.query_one('SELECT COUNT(*) AS n FROM disclosures')['n']}")


if __name__ == "__main__":
    main()
