"""Composition roots: the store every process opens (schema migrated), the API's full ledger
(committer, read models, vault, keys) and the exporter's collaborators."""

import base64
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from ledger import health, kafka, metrics
from ledger.application import Ledger, LedgerApplication
from ledger.audit import checkpoints, migrate
from ledger.audit.auditor import Audit
from ledger.audit.progress import bar
from ledger.calendar import Calendar, Clock, utc_now
from ledger.committer import GroupCommitter
from ledger.config import Settings
from ledger.portability import Portability
from ledger.projections.base import Projection
from ledger.projections.exports.model import Operator
from ledger.projections.progress import KafkaWatermarks, StoredPositions
from ledger.projections.register import Register
from ledger.projections.runner import NotificationLogRunner
from ledger.projections.status import CredentialStatus
from ledger.projections.store import ReadModelStore
from ledger.projections.transcripts import Transcripts
from ledger.standards import Standards
from ledger.status_lists import StatusLists
from ledger.store import certificates, keys, principals, status_indexes, vault
from ledger.store.database import Database
from ledger.store.disclosures import DisclosureLog
from ledger.store.events import EventLog
from ledger.store.migrations import Migration, Migrator
from ledger.store.request_hashes import RequestHashes
from ledger.store.share_links import ShareLinks
from ledger.unit_of_work import AggregateCache, Collaborators
from ledger.urls import PublicUrls


class ConfigurationError(Exception):
    pass


def master_key(settings: Settings) -> bytes:
    """The vault's master key: from settings, or (development only) a key file in data_dir."""
    if settings.master_key:
        return vault.Vault.decode_master_key(settings.master_key)
    if settings.environment != "development":
        raise ConfigurationError("LEDGER_MASTER_KEY is required outside development")
    path = Path(settings.data_dir) / "master.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(os.urandom(32)).decode())
    return vault.Vault.decode_master_key(path.read_text())


def projections() -> list:
    return [Transcripts(), Register(), CredentialStatus()]


SCHEMA_LOCK = 7355600


@contextmanager
def schema_lock(settings: Settings) -> Iterator[None]:
    """Processes starting together (api, relay, projectors) create the schema one at a time:
    PostgreSQL refuses concurrent CREATE OR REPLACE on one object ("tuple concurrently
    updated")."""
    if not settings.database_url:
        yield
        return
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        yield


def xml_signing_keys(settings: Settings, database: Database,
                     secret: bytes) -> certificates.XmlSigningKeys:
    """The certificate that signs ELMO reports: the operator's, or a self-signed one."""
    supplied = None
    if settings.xml_signing_certificate and settings.xml_signing_key:
        supplied = certificates.load_supplied(settings.xml_signing_certificate,
                                              settings.xml_signing_key)
    subject = certificates.Subject(settings.operator_name, settings.operator_country,
                                   settings.public_url)
    return certificates.XmlSigningKeys(database, secret, subject, supplied)


@dataclass(frozen=True)
class Store:
    """The event store and the database handle on its pool, the schema brought up to date."""

    app: LedgerApplication
    database: Database
    read_models: ReadModelStore | None = None
    migrated: tuple[Migration, ...] = ()  # the migrations this opening applied

    def close(self) -> None:
        self.app.close()


def open_store(settings: Settings, with_projections: Sequence[Projection] = ()) -> Store:
    """The store every process opens: the events table (the library's own), then any pending
    schema migrations, under the schema lock. With projections, their read models are prepared
    too (a position row each; a table that predates an indexed column gets it)."""
    with schema_lock(settings):
        app = LedgerApplication(env=settings.eventsourcing_env())
        database = Database(app.recorder.datastore, postgres=settings.uses_postgres)
        read_models = ReadModelStore(database, with_projections) if with_projections else None
        outdated = read_models.add_missing_columns() if read_models else []
        migrated = Migrator(database).upgrade()
        if read_models is not None:
            read_models.prepare(outdated)
    return Store(app, database, read_models, tuple(migrated))


def bootstrap(settings: Settings | None = None, *, run_projections: bool = True,
              clock: Clock = utc_now) -> Ledger:
    """The API's composition root (and the CLI's administrative commands'): every
    collaborator, the vault and signing keys included. `clock` (UTC) is what "today" is read
    from, in the operator's time zone."""
    settings = settings or Settings()
    store = open_store(settings, projections())
    app, database, read_models = store.app, store.database, store.read_models
    with schema_lock(settings):
        migrated = 0
        if migrate.needed(database, app.recorder.events_table_name):
            migrated = migrate.migrate(database, app.recorder.events_table_name,
                                       app.mapper.transcoder, bar)
    if settings.kafka_bootstrap_servers:
        # Projectors consume Kafka in their own processes (ledger projector).
        run_projections = False
        progress = KafkaWatermarks(database, settings.kafka_topic_prefix + kafka.EVENTS,
                                   list(read_models.projections))
    else:
        progress = StoredPositions(read_models)
    runner = NotificationLogRunner(app, read_models) if run_projections else None
    secret = master_key(settings)
    urls = PublicUrls(settings.public_url)
    keystore = keys.KeyStore(database, secret, urls)
    audit = Audit(database, app.recorder.events_table_name,
                  checkpoints.Checkpoints(database, keystore, settings.checkpoint_every),
                  app.mapper.transcoder)
    if migrated:
        audit.checkpoint()  # anchor the newly linked history at once

    def on_commit(position: int) -> None:
        if runner is not None:
            runner.wake(position)
        audit.after_commit(position)

    cache = AggregateCache(app, settings.aggregate_cache_size)
    indexes = status_indexes.StatusIndexes(database, secret, app.recorder.events_table_name)
    calendar = Calendar(settings.time_zone, clock)
    ledger_vault = vault.Vault(database, secret)
    ledger_principals = principals.Principals(database)
    share_links = ShareLinks(database, secret)
    committer = GroupCommitter(app, database, cache, settings.batch_max_commands,
                               on_commit=on_commit, status_indexes=indexes.allocate,
                               calendar=calendar,
                               collaborators=Collaborators(database, ledger_vault,
                                                           ledger_principals, share_links))
    standards = Standards(settings.standards_path)
    xml_keys = xml_signing_keys(settings, database, secret)
    ledger = Ledger(
        app=app, database=database, committer=committer, read_models=read_models,
        runner=runner, progress=progress, vault=ledger_vault,
        principals=ledger_principals, audit=audit,
        events=EventLog(database, app.recorder.events_table_name),
        read_wait_seconds=settings.read_wait_seconds, bulk_chunk_size=settings.bulk_chunk_size,
        keys=keystore, standards=standards, urls=urls,
        request_hashes=RequestHashes(secret),
        share_links=share_links,
        disclosure_log=DisclosureLog(database),
        status_lists=StatusLists(read_models, keystore, standards, urls),
        portability=Portability(read_models, ledger_vault, keystore, standards, urls,
                                Operator(settings.operator_name, settings.operator_country,
                                         settings.qa_body_name),
                                xml_keys=xml_keys),
        xml_keys=xml_keys,
        calendar=calendar,
    )
    if runner is not None:
        runner.start()
    if settings.kafka_bootstrap_servers:
        ledger.readiness["kafka"] = health.kafka_reachable(settings.kafka_bootstrap_servers)
    watch_metrics(ledger)
    return ledger


def watch_metrics(ledger: Ledger) -> None:
    """The API process's scrape-time gauges (ledger/metrics.py)."""
    metrics.watch("ledger_store_head_position", ledger.app.recorder.max_notification_id)
    metrics.watch("ledger_committer_queue_depth", lambda: ledger.committer.queue_depth)
    metrics.watch("ledger_audit_checkpoint_age_seconds",
                  ledger.audit.checkpoints.newest_age_seconds)


def exports_root(settings: Settings) -> tuple[Store, Portability, KafkaWatermarks]:
    """The exporter's composition root: the store, the read models it waits for, and the
    exports' collaborators (the vault and the signing keys need the master key)."""
    store = open_store(settings, projections())
    database, read_models = store.database, store.read_models
    secret = master_key(settings)
    progress = KafkaWatermarks(database, settings.kafka_topic_prefix + kafka.EVENTS,
                               list(read_models.projections))
    urls = PublicUrls(settings.public_url)
    portability = Portability(read_models, vault.Vault(database, secret),
                              keys.KeyStore(database, secret, urls),
                              Standards(settings.standards_path), urls,
                              Operator(settings.operator_name, settings.operator_country,
                                       settings.qa_body_name),
                              xml_keys=xml_signing_keys(settings, database, secret))
    return store, portability, progress
