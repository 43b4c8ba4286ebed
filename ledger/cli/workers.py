"""The worker processes' entry points and composition roots: `ledger relay`, `ledger projector`,
`ledger exporter` and `ledger projections run`. Each builds only what it uses: the relay and
the projectors open the store (and the read models) and never need the master key."""

import logging
import threading
from pathlib import Path
from typing import Annotated

import typer

from ledger import metrics
from ledger.cli.common import (
    DataDir,
    MetricsPort,
    configure_logging,
    exit_on_errors,
    fail,
    freeze_startup_heap,
    settings_for,
    stop_on_signals,
)
from ledger.config import Settings
from ledger.health import Health


def _kafka_worker(data_dir: Path | None, metrics_port: int | None, what: str, *,
                  topics: bool = True) -> tuple[Settings, Health]:
    """Settings of a process that needs Kafka (refused without it), its metrics and health
    endpoint started (with a PostgreSQL check) and, unless it waits for leadership first, the
    ledger's topics ensured."""
    from ledger import health
    from ledger.kafka import ensure_topics

    configure_logging(what.removeprefix("the ").removeprefix("a Kafka "))
    settings = settings_for(data_dir)
    if not settings.kafka_bootstrap_servers:
        raise fail(f"set KAFKA_BOOTSTRAP_SERVERS to run {what}")
    checks = health.Health()
    if settings.database_url:
        checks.add("database", health.postgres_reachable(settings.database_url))
    checks.add("kafka", health.kafka_reachable(settings.kafka_bootstrap_servers))
    port = metrics_port or settings.metrics_port
    if port:
        health.serve(port, checks)
    if topics:
        ensure_topics(settings.kafka_bootstrap_servers, prefix=settings.kafka_topic_prefix)
    return settings, checks


def relay(data_dir: DataDir = None, metrics_port: MetricsPort = None) -> None:
    """Publish every stored event to Kafka (ledger.events) in order, recording the position
    only after Kafka confirmed; one relay leads, others wait as standbys."""
    from ledger.bootstrap import open_store
    from ledger.kafka import EVENTS, ensure_topics, relay_producer
    from services.relay.relay import OUTAGES, LostLeadership, Relay, leadership

    stop = stop_on_signals()
    settings, checks = _kafka_worker(data_dir, metrics_port, "the relay", topics=False)
    role = {"role": "standby"}
    checks.add("role", lambda: role["role"])
    prefix = settings.kafka_topic_prefix
    # Built before contending: a standby takes over without starting up first.
    ensure_topics(settings.kafka_bootstrap_servers, prefix=prefix)
    with exit_on_errors():
        store = open_store(settings)
    metrics.watch("ledger_store_head_position", store.app.recorder.max_notification_id)
    producer = relay_producer(settings.kafka_bootstrap_servers)
    log = logging.getLogger("ledger.relay")
    freeze_startup_heap()
    try:
        while not stop.is_set():
            with leadership(settings.database_url, stop) as leader:
                if leader is None:
                    return
                role["role"] = "leader"
                try:
                    relay = Relay(
                        store.app, store.database, producer, topic=prefix + EVENTS,
                        envelope=settings.kafka_envelope, still_leader=leader.held,
                        renew_producer=lambda: relay_producer(
                            settings.kafka_bootstrap_servers))
                except OUTAGES as error:  # the database went away again: contend again
                    log.warning("not resumed: %s", error)
                    role["role"] = "standby"
                    stop.wait(1.0)
                    continue
                try:
                    relay.run(stop)
                except LostLeadership:
                    log.warning("the relay lock's connection is gone; contending for it again")
                finally:
                    role["role"] = "standby"
                    producer = relay.producer  # renewed after a failed batch
    finally:
        producer.close()
        store.close()


def projector(
    projection: Annotated[list[str] | None, typer.Option(
        help="transcripts, register or status; repeat for several [default: all]")] = None,
    data_dir: DataDir = None,
    metrics_port: MetricsPort = None,
) -> None:
    """Consume ledger.events from Kafka into read models: members share the partitions through
    PostgreSQL locks, offsets are committed with the documents; undecodable messages go to
    ledger.events.dlq."""
    from ledger.bootstrap import open_store, projections
    from ledger.kafka import DEAD_LETTERS, EVENTS, consumer_factory, idempotent_producer
    from services.projector.projector import Projector

    stop = stop_on_signals()
    settings, checks = _kafka_worker(data_dir, metrics_port, "a Kafka projector")
    prefix = settings.kafka_topic_prefix
    known = [p.name for p in projections()]
    names = projection or known
    unknown = set(names) - set(known)
    if unknown:
        raise fail(f"unknown projection {', '.join(sorted(unknown))}")
    with exit_on_errors():
        store = open_store(settings, projections())
    read_models = store.read_models
    dead_letters = idempotent_producer(settings.kafka_bootstrap_servers, "ledger-projector-dlq")
    make = consumer_factory(settings.kafka_bootstrap_servers, group_prefix=prefix)
    failed = threading.Event()

    def consume(name: str) -> None:
        try:
            Projector(name, read_models, store.database, make, dead_letters,
                      topic=prefix + EVENTS, dlq_topic=prefix + DEAD_LETTERS,
                      database_url=settings.database_url).run(stop)
        except Exception:  # one dead consumer stops the process, so its supervisor restarts it
            logging.getLogger("ledger.projector").exception("projector %s failed", name)
            failed.set()
            stop.set()

    workers = [threading.Thread(target=consume, args=(name,), name=f"projector-{name}")
               for name in names]
    checks.add("consumers", lambda: not failed.is_set() and all(w.is_alive() for w in workers))
    freeze_startup_heap()
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        dead_letters.close()
        store.close()
    if failed.is_set():
        raise typer.Exit(1)


def exporter(data_dir: DataDir = None, metrics_port: MetricsPort = None) -> None:
    """Publish each learner's updated exports (OB 3.0, CLR 2.0, EDC, ELMO; the PDF by digest)
    to ledger.exports whenever their record changes, once the read models have caught up.
    Needs the master key: exports carry learners' names from the vault and are signed."""
    from ledger.bootstrap import exports_root
    from ledger.kafka import DEAD_LETTERS, EVENTS, EXPORTS, consumer_factory, idempotent_producer
    from services.exporter.exporter import Exporter

    stop = stop_on_signals()
    settings, _ = _kafka_worker(data_dir, metrics_port, "the exporter")
    prefix = settings.kafka_topic_prefix
    with exit_on_errors():
        store, portability, progress = exports_root(settings)
    producer = idempotent_producer(settings.kafka_bootstrap_servers, "ledger-exporter")
    freeze_startup_heap()
    try:
        Exporter(portability, progress, store.database,
                 consumer_factory(settings.kafka_bootstrap_servers, group_prefix=prefix),
                 producer, topic=prefix + EVENTS, dlq_topic=prefix + DEAD_LETTERS,
                 exports_topic=prefix + EXPORTS, database_url=settings.database_url,
                 envelope=settings.kafka_envelope).run(stop)
    finally:
        producer.close()
        store.close()


def run_projections(data_dir: DataDir = None) -> None:
    """Follow the store's notification log and keep the read models up to date (for an API
    started with --no-projections); stops cleanly on SIGTERM or Ctrl-C."""
    from ledger.bootstrap import open_store, projections
    from ledger.projections.runner import NotificationLogRunner

    configure_logging("projections")
    stop = stop_on_signals()
    with exit_on_errors():
        store = open_store(settings_for(data_dir), projections())
    runner = NotificationLogRunner(store.app, store.read_models)
    freeze_startup_heap()
    runner.start()
    logging.getLogger("ledger.projections").info(
        "projections following the log from position %d", runner.position)
    try:
        stop.wait()
    finally:
        runner.stop()
        store.close()
