"""The `ledger` command line: serve the API, manage principals, seed demo data."""

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from ledger.audit import replay_cli
from ledger.audit.cli import audit_app
from ledger.cli_options import DataDir
from ledger.cli_options import settings_for as _settings
from ledger.config import Settings
from ledger.learners_cli import learners_app
from ledger.portability_cli import keys_app, standards_app
from ledger.projections.rebuild_cli import rebuild_projection

app = typer.Typer(help="Learner Record Ledger: a national, event-sourced micro-credential ledger.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
principals_app = typer.Typer(help="Principals (who may call the API) and their tokens.",
                             no_args_is_help=True)
app.add_typer(principals_app, name="principals")
projections_app = typer.Typer(help="Read models: run the projections, rebuild them.",
                              no_args_is_help=True)
app.add_typer(projections_app, name="projections")
projections_app.command("rebuild")(rebuild_projection)
app.add_typer(audit_app, name="audit")
audit_app.command("replay")(replay_cli.replay)
audit_app.command("diff")(replay_cli.diff)
app.add_typer(learners_app, name="learners")
app.add_typer(keys_app, name="keys")
app.add_typer(standards_app, name="standards")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    data_dir: DataDir = None,
    demo: Annotated[bool, typer.Option(help="Seed demo data first when the ledger is empty")]
    = False,
    projections: Annotated[bool, typer.Option(
        help="Run the projections in this process (off when projectors run separately)")]
    = True,
) -> None:
    """Run the HTTP API (and, in the embedded default, the projections in-process)."""
    import uvicorn

    from ledger.bootstrap import bootstrap
    from services.api.app import create_app

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The committer thread waits on PostgreSQL many times per batch; with the default 5 ms
    # switch interval each wake-up can queue behind the event loop for the GIL (a convoy).
    sys.setswitchinterval(0.0005)
    settings = _settings(data_dir)
    settings.serving_at(host, port)  # URLs and DIDs for this address, unless set explicitly
    ledger = bootstrap(settings, run_projections=projections)
    try:
        if demo and (ledger.app.recorder.max_notification_id() or 0) == 0:
            from ledger.demo import seed
            seed(ledger, print_tokens=True, base_url=settings.public_url)
    except BaseException:
        ledger.close()
        raise
    where = (settings.database_url and "PostgreSQL") or f"SQLite in {settings.data_dir}"
    typer.echo(f"Ledger on http://{host}:{port}: public pages at /, API under /v1, docs at "
               f"/docs (store: {where})", err=True)
    # The app closes the ledger in its shutdown; uvicorn then re-raises the stopping signal.
    uvicorn.run(create_app(ledger, close_on_shutdown=True), host=host, port=port,
                log_level="warning", access_log=False)


def _stop_on_signals():
    """An event set by SIGTERM or Ctrl-C, for the long-running worker commands."""
    import signal
    import threading

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


MetricsPort = Annotated[int | None, typer.Option(
    help="Serve Prometheus metrics (projection lag, ...) on this port")]


def _serve_metrics(port: int | None) -> None:
    if port:
        from prometheus_client import start_http_server
        start_http_server(port, addr="0.0.0.0")  # noqa: S104 - scraped from other containers


def _kafka_worker(data_dir: Path | None, metrics_port: int | None, what: str, *,
                  topics: bool = True) -> Settings:
    """Settings of a process that needs Kafka (refused without it), its metrics endpoint
    started and, unless it waits for leadership first, the ledger's topics ensured."""
    from ledger.kafka import ensure_topics

    settings = _settings(data_dir)
    if not settings.kafka_bootstrap_servers:
        typer.echo(f"error: set KAFKA_BOOTSTRAP_SERVERS to run {what}", err=True)
        raise typer.Exit(2)
    _serve_metrics(metrics_port)
    if topics:
        ensure_topics(settings.kafka_bootstrap_servers, prefix=settings.kafka_topic_prefix)
    return settings


@app.command()
def relay(data_dir: DataDir = None, metrics_port: MetricsPort = None) -> None:
    """Publish every stored event to Kafka (ledger.events) in order, recording the position
    only after Kafka confirmed; one relay leads, others wait as standbys."""
    from ledger.bootstrap import bootstrap
    from ledger.kafka import EVENTS, ensure_topics, idempotent_producer
    from services.relay.relay import OUTAGES, LostLeadership, Relay, leadership

    stop = _stop_on_signals()
    settings = _kafka_worker(data_dir, metrics_port, "the relay", topics=False)
    prefix = settings.kafka_topic_prefix
    # Built before contending: a standby takes over without starting up first.
    ensure_topics(settings.kafka_bootstrap_servers, prefix=prefix)
    ledger = bootstrap(settings, run_projections=False)
    producer = idempotent_producer(settings.kafka_bootstrap_servers, "ledger-relay")
    try:
        while not stop.is_set():
            with leadership(settings.database_url, stop) as leader:
                if leader is None:
                    return
                try:
                    relay = Relay(
                        ledger.app, ledger.database, producer, topic=prefix + EVENTS,
                        envelope=settings.kafka_envelope, still_leader=leader.held,
                        renew_producer=lambda: idempotent_producer(
                            settings.kafka_bootstrap_servers, "ledger-relay"))
                except OUTAGES as error:  # the database went away again: contend again
                    logging.getLogger("ledger.relay").warning("not resumed: %s", error)
                    stop.wait(1.0)
                    continue
                try:
                    relay.run(stop)
                except LostLeadership:
                    logging.getLogger("ledger.relay").warning(
                        "the relay lock's connection is gone; contending for it again")
                finally:
                    producer = relay.producer  # renewed after a failed batch
    finally:
        producer.close()
        ledger.close()


@app.command()
def projector(
    projection: Annotated[list[str] | None, typer.Option(
        help="transcripts, register or status; repeat for several [default: all]")] = None,
    data_dir: DataDir = None,
    metrics_port: MetricsPort = None,
) -> None:
    """Consume ledger.events from Kafka into read models: members share the partitions through
    PostgreSQL locks, offsets are committed with the documents; undecodable messages go to
    ledger.events.dlq."""
    import threading

    from ledger.bootstrap import bootstrap
    from ledger.kafka import (
        DEAD_LETTERS,
        EVENTS,
        consumer_factory,
        idempotent_producer,
    )
    from services.projector.projector import Projector

    stop = _stop_on_signals()
    settings = _kafka_worker(data_dir, metrics_port, "a Kafka projector")
    prefix = settings.kafka_topic_prefix
    ledger = bootstrap(settings)
    names = projection or list(ledger.read_models.projections)
    unknown = set(names) - set(ledger.read_models.projections)
    if unknown:
        ledger.close()
        typer.echo(f"error: unknown projection {', '.join(sorted(unknown))}", err=True)
        raise typer.Exit(2)
    dead_letters = idempotent_producer(settings.kafka_bootstrap_servers, "ledger-projector-dlq")
    make = consumer_factory(settings.kafka_bootstrap_servers, group_prefix=prefix)
    failed = threading.Event()

    def consume(name: str) -> None:
        try:
            Projector(name, ledger.read_models, ledger.database, make, dead_letters,
                      topic=prefix + EVENTS, dlq_topic=prefix + DEAD_LETTERS,
                      database_url=settings.database_url).run(stop)
        except Exception:  # one dead consumer stops the process, so its supervisor restarts it
            logging.getLogger("ledger.projector").exception("projector %s failed", name)
            failed.set()
            stop.set()

    workers = [threading.Thread(target=consume, args=(name,), name=f"projector-{name}")
               for name in names]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        dead_letters.close()
        ledger.close()
    if failed.is_set():
        raise typer.Exit(1)


@app.command()
def exporter(data_dir: DataDir = None, metrics_port: MetricsPort = None) -> None:
    """Publish each learner's updated exports (OB 3.0, CLR 2.0, EDC, ELMO; the PDF by digest)
    to ledger.exports whenever their record changes, once the read models have caught up."""
    from ledger.bootstrap import bootstrap
    from ledger.kafka import (
        DEAD_LETTERS,
        EVENTS,
        EXPORTS,
        consumer_factory,
        idempotent_producer,
    )
    from services.exporter.exporter import SCHEMA, Exporter

    stop = _stop_on_signals()
    settings = _kafka_worker(data_dir, metrics_port, "the exporter")
    prefix = settings.kafka_topic_prefix
    ledger = bootstrap(settings)
    ledger.database.execute_script(SCHEMA)
    producer = idempotent_producer(settings.kafka_bootstrap_servers, "ledger-exporter")
    try:
        Exporter(ledger.portability, ledger.progress, ledger.database,
                 consumer_factory(settings.kafka_bootstrap_servers, group_prefix=prefix),
                 producer, topic=prefix + EVENTS, dlq_topic=prefix + DEAD_LETTERS,
                 exports_topic=prefix + EXPORTS, database_url=settings.database_url,
                 envelope=settings.kafka_envelope).run(stop)
    finally:
        producer.close()
        ledger.close()


@projections_app.command("run")
def run_projections(data_dir: DataDir = None) -> None:
    """Follow the store's notification log and keep the read models up to date (for an API
    started with --no-projections); stops cleanly on SIGTERM or Ctrl-C."""
    from ledger.bootstrap import bootstrap

    stop = _stop_on_signals()
    ledger = bootstrap(_settings(data_dir))
    typer.echo(f"projections following the log from position {ledger.read_position()}",
               err=True)
    try:
        stop.wait()
    finally:
        ledger.close()


@principals_app.command("create")
def create_principal(
    role: Annotated[str, typer.Option(help="admin, qa_body, provider, recognition_body, learner "
                                           "or auditor")],
    scope: Annotated[str | None, typer.Option(help="The provider, body or learner id")] = None,
    name: Annotated[str | None, typer.Option(help="A label for people")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a principal; its bearer token is printed alone on the last line."""
    from ledger.bootstrap import bootstrap
    from ledger.domain.errors import LedgerError

    ledger = bootstrap(_settings(data_dir), run_projections=False)
    try:
        actor, token = ledger.principals.create(role, scope, name)
    except LedgerError as error:
        typer.echo(f"error: {error.detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        ledger.close()
    typer.echo(f"principal {actor.principal_id} role={actor.role} scope={actor.scope or '-'}",
               err=True)
    typer.echo(token)


@app.command()
def demo(
    data_dir: DataDir = None,
    host: Annotated[str, typer.Option(help="Where `ledger serve` will listen (for the URLs "
                                      "and DIDs printed)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port `ledger serve` will listen on")] = 8000,
) -> None:
    """Seed realistic demo data (QA agency, providers, programmes, learners, credentials) and
    print a token for each role."""
    from ledger.bootstrap import bootstrap
    from ledger.demo import seed
    from ledger.domain.errors import LedgerError

    settings = _settings(data_dir)
    settings.serving_at(host, port)
    ledger = bootstrap(settings)
    try:
        seed(ledger, print_tokens=True, base_url=settings.public_url)
    except LedgerError as error:
        typer.echo(f"error: {error.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        ledger.close()


def main() -> None:
    app()
