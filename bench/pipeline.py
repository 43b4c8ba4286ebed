"""The Kafka pipeline's throughput and lag against PostgreSQL (fsync on) and a real broker.

  (a) relay throughput: `Relay.publish_available()` over every stored event (read the log,
      encode CloudEvents, send with the idempotent acks=all producer, wait for every ack,
      record position and watermark), beside kafka-python's own producer rate in the same
      run (the same number of messages of the same sizes, same producer settings, one flush)
  (b) projection lag at a steady write rate (default 500 events/s): for every write, the time
      from its commit until a read with its `min_position` would be answered (every
      projector past the relay's watermark), through `ledger relay` and `ledger projector`
      running as their own processes (--projectors N of them share the partitions): p50, p99,
      max
  (c) lag at saturation: writes as fast as one in-process committer makes them; the write
      rate, the rate the read models keep up with, and the lag

Prints figures; no assertions. Uses DATABASE_URL's cluster and KAFKA_BOOTSTRAP_SERVERS's
broker when set, else starts throwaway ones (scripts/local-postgres.sh, local-kafka.sh).
"""

import argparse
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from kafka import KafkaProducer

from bench.issuance import ROOT, cluster_url, fresh_database, item, seed_world, stop_cluster
from ledger import commands, inputs
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.kafka import EVENTS, ensure_topics, relay_producer
from ledger.projections import wire
from ledger.projections.envelope import from_stored
from ledger.projections.progress import KafkaWatermarks
from services.relay.relay import Relay

KAFKA_DIR = ROOT / ".cache" / "bench-kafka"
LEDGER = str(ROOT / ".venv" / "bin" / "ledger")


def kafka_bootstrap() -> tuple[str, bool]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return os.environ["KAFKA_BOOTSTRAP_SERVERS"], False
    env = {**os.environ, "LOCAL_KAFKA_DIR": str(KAFKA_DIR), "PYTHON": sys.executable}
    out = subprocess.run(["bash", str(ROOT / "scripts" / "local-kafka.sh"), "start"],
                         check=True, capture_output=True, text=True, env=env)
    return out.stdout.strip().splitlines()[-1].removeprefix("KAFKA_BOOTSTRAP_SERVERS="), True


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Pipeline:
    """`ledger relay` and `ledger projector` as their own processes, on their own topics."""

    def __init__(self, settings: Settings, bootstrap_servers: str, prefix: str,
                 logs: Path, projectors: int = 1) -> None:
        env = {**os.environ, "DATABASE_URL": settings.database_url,
               "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
               "LEDGER_KAFKA_TOPIC_PREFIX": prefix, "LEDGER_MASTER_KEY": settings.master_key,
               "LEDGER_ENVIRONMENT": "production", "LEDGER_DATA_DIR": str(logs)}
        self.processes = []
        for n, name in enumerate(["relay"] + ["projector"] * projectors):
            with open(logs / f"{prefix}{name}{n}.log", "wb") as out:
                self.processes.append(subprocess.Popen([LEDGER, name], env=env, stdout=out,
                                                       stderr=subprocess.STDOUT))

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=60)


class Sampler(threading.Thread):
    """Polls the position every projector has passed (what `min_position` waits for)."""

    def __init__(self, progress: KafkaWatermarks) -> None:
        super().__init__(daemon=True)
        self.progress = progress
        self.samples: list[tuple[float, int]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            self.samples.append((time.monotonic(), self.progress.position()))
            self.halt.wait(0.01)

    def reached(self, position: int, after: float) -> float | None:
        """When a sample first showed `position` reached (at or after `after`)."""
        for moment, reached in self.samples:
            if moment >= after and reached >= position:
                return moment
        return None


def write_load(ledger, world: dict, rate: float | None, seconds: float, chunk: int
               ) -> list[tuple[int, float]]:
    """Issue credentials in chunks of `chunk` (one command each), paced to `rate` events/s
    (None: as fast as they commit); returns (position, commit time) of every chunk."""
    written, started, issued = [], time.monotonic(), 0
    while not written or time.monotonic() - started < seconds:
        items = [(i, inputs.IssueCredential(**item(world, issued + i))) for i in range(chunk)]
        outcome = ledger.execute_sync(commands.issue_many(world["actor"], items, None))
        written.append((outcome.body["position"], time.monotonic()))
        issued += chunk
        if rate is not None:
            due = started + issued / rate
            time.sleep(max(0.0, due - time.monotonic()))  # pacing of the load
    return written


def lag_run(ledger, world: dict, settings: Settings, bootstrap_servers: str, logs: Path,
            rate: float | None, seconds: float, chunk: int, projectors: int) -> dict:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    topic = prefix + EVENTS
    ensure_topics(bootstrap_servers, prefix=prefix)
    head = ledger.app.recorder.max_notification_id() or 0
    with ledger.database.transaction() as cursor:  # this run's relay starts at the head
        cursor.execute("INSERT INTO relay_positions (topic, position) VALUES (?, ?)",
                       (topic, head))
    progress = KafkaWatermarks(ledger.database, topic, list(ledger.read_models.projections))
    pipeline = Pipeline(settings, bootstrap_servers, prefix, logs, projectors)
    sampler = Sampler(progress)
    try:
        # Warm: the first write is read back once both processes are up and consuming.
        first = write_load(ledger, world, None, 0, 1)[-1][0]
        deadline = time.monotonic() + 120
        while not progress.reached(first):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the pipeline never caught up; see {logs}")
            time.sleep(0.05)
        sampler.start()
        began = time.monotonic()
        written = write_load(ledger, world, rate, seconds, chunk)
        wrote_for = time.monotonic() - began
        last = written[-1][0]
        while not progress.reached(last):
            time.sleep(0.01)
        done = time.monotonic()
        caught_up = done - began
    finally:
        sampler.halt.set()
        pipeline.stop()
    lags = [(sampler.reached(position, at) or done) - at for position, at in written]
    events = written[-1][0] - first
    return {"events": events, "write_rate": events / wrote_for,
            "projected_rate": events / caught_up, "p50": percentile(lags, 0.5),
            "p99": percentile(lags, 0.99), "max": max(lags),
            "mean": statistics.fmean(lags)}


def relay_throughput(ledger, bootstrap_servers: str, envelope: int) -> tuple[int, float]:
    prefix = f"benchrelay{uuid.uuid4().hex[:6]}."
    ensure_topics(bootstrap_servers, prefix=prefix)
    producer = relay_producer(bootstrap_servers, "bench-relay")
    try:
        relay = Relay(ledger.app, ledger.database, producer, topic=prefix + EVENTS,
                      envelope=envelope)
        started = time.perf_counter()
        sent = relay.publish_available()
        return sent, sent / (time.perf_counter() - started)
    finally:
        producer.close()


def producer_baseline(ledger, bootstrap_servers: str, n: int) -> float:
    """kafka-python alone: the relay's messages (pre-encoded), sent with the same settings."""
    transcoder = ledger.app.mapper.transcoder
    messages, position = [], 0
    while len(messages) < n:
        page = ledger.app.recorder.select_notifications(position, 1000,
                                                        inclusive_of_start=False)
        if not page:
            break
        for notification in page:
            envelope = from_stored(transcoder, notification)
            messages.append((envelope.subject.encode(), *wire.encode(envelope)))
        position = page[-1].id
    prefix = f"benchproducer{uuid.uuid4().hex[:6]}."
    ensure_topics(bootstrap_servers, prefix=prefix)
    producer: KafkaProducer = relay_producer(bootstrap_servers, "bench-producer")
    try:
        started = time.perf_counter()
        for key, headers, value in messages:
            producer.send(prefix + EVENTS, key=key, value=value, headers=headers)
        producer.flush()
        return len(messages) / (time.perf_counter() - started)
    finally:
        producer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500.0, help="events/s of run (b)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of (b) and (c)")
    parser.add_argument("--events", type=int, default=50_000,
                        help="stored events the relay publishes in (a), at least")
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--projectors", type=int, default=1,
                        help="`ledger projector` processes sharing the partitions in (b), (c)")
    args = parser.parse_args()

    url, started_cluster = cluster_url()
    servers, started_kafka = kafka_bootstrap()
    try:
        database = fresh_database(url)
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(database_url=database, data_dir=Path(tmp),
                                master_key=base64.b64encode(os.urandom(32)).decode(),
                                kafka_bootstrap_servers=servers)
            world = seed_world(settings, args.learners)
            ledger = bootstrap(settings, run_projections=False)
            try:
                steady = lag_run(ledger, world, settings, servers, Path(tmp), args.rate,
                                 args.seconds, chunk=max(1, int(args.rate / 10)),
                                 projectors=args.projectors)
                saturated = lag_run(ledger, world, settings, servers, Path(tmp), None,
                                    args.seconds, chunk=500, projectors=args.projectors)
                head = ledger.app.recorder.max_notification_id() or 0
                if head < args.events:
                    while (ledger.app.recorder.max_notification_id() or 0) < args.events:
                        write_load(ledger, world, None, 0, 1000)
                sent, relay_rate = relay_throughput(ledger, servers, wire.CLOUDEVENTS)
                baseline = producer_baseline(ledger, servers, sent)
                _, relay_v1 = relay_throughput(ledger, servers, wire.LEGACY)
            finally:
                ledger.close()
        print(f"(a) relay: {sent:,} events at {relay_rate:,.0f} events/s (CloudEvents), "
              f"{relay_v1:,.0f} events/s (envelope 1); kafka-python's producer alone, same "
              f"messages and settings: {baseline:,.0f} messages/s; relay/producer "
              f"{relay_rate / baseline:.2f}")
        print(f"projector processes: {args.projectors}")
        for label, run in ((f"(b) lag at {args.rate:,.0f} events/s", steady),
                           ("(c) lag at saturation", saturated)):
            print(f"{label}: {run['events']:,} events written at {run['write_rate']:,.0f}/s, "
                  f"read models kept up at {run['projected_rate']:,.0f}/s; write-to-readable "
                  f"lag p50 {run['p50'] * 1000:,.0f} ms, p99 {run['p99'] * 1000:,.0f} ms, "
                  f"max {run['max'] * 1000:,.0f} ms")
    finally:
        if started_kafka:
            subprocess.run(["bash", str(ROOT / "scripts" / "local-kafka.sh"), "stop"],
                           env={**os.environ, "LOCAL_KAFKA_DIR": str(KAFKA_DIR)},
                           check=False, capture_output=True)
        if started_cluster:
            stop_cluster()


if __name__ == "__main__":
    main()
