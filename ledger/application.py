"""The ledger's use cases behind one facade: writes go through the group committer, reads
come from the read models (or, for `as_of`, from a replay of the learner's own stream)."""

import asyncio
import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Recording, Transcoder

from ledger import commands
from ledger.access import active_grant, check_can_read_transcript, visible_to
from ledger.audit.auditor import Audit
from ledger.calendar import Calendar
from ledger.committer import (
    DEFAULT_STATUSES,
    Command,
    GroupCommitter,
    Idempotency,
    Outcome,
    Statuses,
)
from ledger.domain.actors import SCOPED_ROLES, Actor
from ledger.domain.errors import InvalidRequest, NotFound
from ledger.domain.learner import LearnerRecord
from ledger.domain.provider import Provider
from ledger.inputs import IssueCredential
from ledger.loop_delivery import settled
from ledger.portability import Export, Portability
from ledger.projections.progress import KafkaWatermarks, StoredPositions
from ledger.projections.replay import Replayer
from ledger.projections.runner import NotificationLogRunner
from ledger.projections.store import ReadModelStore
from ledger.projections.transcripts import Transcripts, assemble, learner_document, present
from ledger.register_search import ProgrammeFilters, ProviderFilters, PublicRegister
from ledger.sharing import Sharing
from ledger.standards import Standards
from ledger.status_lists import StatusLists, status_entries
from ledger.store import request_hashes
from ledger.store.certificates import XmlSigningKeys
from ledger.store.database import Database
from ledger.store.disclosures import DisclosureLog
from ledger.store.events import EventLog
from ledger.store.keys import KeyStore
from ledger.store.principals import Principals
from ledger.store.request_hashes import RequestHashes
from ledger.store.share_links import ShareLinks
from ledger.store.topics import register_catalogue
from ledger.store.transcoder import OrjsonTranscoder
from ledger.store.vault import Vault
from ledger.store.wallet_exchanges import WalletExchanges
from ledger.urls import PublicUrls
from ledger.verification import verify_record
from ledger.wallet import WalletDelivery

# Where erasure deletes rows (ledger.commands.erase_learner).
ERASED_TABLES = ("learner_vault", "learner_national_ids", "idempotency_keys",
                 "idempotency_subjects", "principals", "principal_subjects", "share_links",
                 "access_grant_notes")


class LedgerApplication(Application):
    name = "Ledger"

    def construct_transcoder(self) -> Transcoder:
        register_catalogue()  # before the mapper resolves any stored topic
        return OrjsonTranscoder()

    def save(self, *aggregates: Aggregate, **kwargs: Any) -> list[Recording]:
        """The library's `save` for the ledger's own aggregates only. Its `collect_events`
        asks of every object whether it is a domain event or has events to collect, by
        `isinstance` against runtime-checkable Protocols, which Python 3.11 answers by walking
        the Protocol's attributes each time: some 4% of an issuance's CPU in the API process.
        The rest is the library's own steps, in its order."""
        processing_event: ProcessingEvent = ProcessingEvent()
        for aggregate in aggregates:
            processing_event.events.extend(aggregate.collect_events())
            processing_event.aggregates[aggregate.id] = aggregate
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the library's deprecated hook, kept as it does
        return recordings


class NotCaughtUp(Exception):
    """The read model has not reached the requested position within the wait."""


@dataclass
class Ledger:
    app: LedgerApplication
    database: Database
    committer: GroupCommitter
    read_models: ReadModelStore
    runner: NotificationLogRunner | None
    progress: "StoredPositions | KafkaWatermarks"
    vault: Vault
    principals: Principals
    events: EventLog
    read_wait_seconds: float
    bulk_chunk_size: int
    audit: Audit
    keys: KeyStore
    standards: Standards
    urls: PublicUrls
    status_lists: StatusLists
    portability: "Portability"
    xml_keys: XmlSigningKeys
    request_hashes: RequestHashes
    share_links: ShareLinks
    disclosure_log: DisclosureLog
    calendar: Calendar = field(default_factory=Calendar)
    # Readiness checks beyond the store (Kafka, when configured): name -> check (ledger/health).
    readiness: dict[str, Any] = field(default_factory=dict)

    @property
    def public_register(self) -> PublicRegister:
        """The register's searches and entries (ledger/register_search.py), dated by the
        operator's calendar."""
        return PublicRegister(self.database, self.calendar)

    @property
    def wallet(self) -> WalletDelivery:
        """"Add to wallet": offers and their VC-API exchanges (ledger/wallet.py)."""
        return WalletDelivery(WalletExchanges(self.database), self.portability,
                              self.standards, self.urls)

    @property
    def sharing(self) -> Sharing:
        """Grants, share links and the disclosure log as the learner reads them
        (ledger/sharing.py)."""
        return Sharing(self.read_models, self.share_links, self.disclosure_log, self.calendar,
                       self.portability, self.verify)

    def now(self) -> datetime:
        """The ledger's clock (injectable: tests move it instead of waiting)."""
        return self.calendar.clock()

    # -- principals -----------------------------------------------------------------------

    def create_principal(self, role: str, scope: str | None, name: str | None,
                         valid_for: timedelta | None = None) -> tuple[Actor, str]:
        """A principal and its token; a scope must name what exists: an organisation of the
        right kind for `provider` and `recognition_body`, a learner for `learner`."""
        if scope and role in SCOPED_ROLES:
            self._check_scope(role, scope)
        return self.principals.create(role, scope, name, valid_for)

    def _check_scope(self, role: str, scope: str) -> None:
        wanted = {"learner": "a learner", "provider": "a provider",
                  "recognition_body": "a recognition body"}[role]
        try:
            found = self.app.repository.get(UUID(scope))
        except (ValueError, AggregateNotFoundError):
            raise InvalidRequest(f"the scope {scope!r} is not {wanted} in the ledger") from None
        fits = (isinstance(found, LearnerRecord) if role == "learner" else
                isinstance(found, Provider)
                and (found.kind == "recognition_body") == (role == "recognition_body"))
        if not fits:
            raise InvalidRequest(f"the scope {scope!r} is not {wanted}")

    # -- writes ---------------------------------------------------------------------------

    def idempotency(self, actor: Actor, key: str, method: str, path: str,
                    body: Any) -> Idempotency:
        """What `key` binds the request to: a keyed digest of its method, path and body."""
        return Idempotency(principal_id=actor.principal_id, key=key,
                           request_hash=self.request_hashes.of(method, path, body),
                           legacy_hash=request_hashes.legacy(method, path, body))

    def submit(self, run: commands.Run, idempotency: Idempotency | None = None,
               statuses: Statuses = DEFAULT_STATUSES) -> Any:
        """Queue a command; returns a concurrent Future of its Outcome, whose status the
        caller's `statuses` decide (or an earlier answer to the same Idempotency-Key)."""
        return self.committer.submit(Command(run=run, idempotency=idempotency,
                                             statuses=statuses))

    async def execute(self, run: commands.Run, idempotency: Idempotency | None = None,
                      statuses: Statuses = DEFAULT_STATUSES) -> Outcome:
        return await settled(self.submit(run, idempotency, statuses))

    def execute_sync(self, run: commands.Run) -> Outcome:
        return self.submit(run).result()

    async def bulk_issue(self, actor: Actor, items: Iterable[tuple[int, IssueCredential]],
                         idempotency: Idempotency | None) -> Outcome:
        """Issue many credentials, each item succeeding or failing on its own. `items` is
        consumed a chunk at a time and each chunk goes to the committer as soon as it is
        taken: when `items` validates lazily, the next chunk is validated while the committer
        waits on the database for the last."""
        seed = f"{actor.principal_id}:{idempotency.key}" if idempotency else None
        futures = []
        remaining = iter(items)
        for number in itertools.count():
            chunk = list(itertools.islice(remaining, self.bulk_chunk_size))
            if not chunk:
                break
            key = None
            if idempotency is not None:
                key = replace(idempotency, key=f"{idempotency.key}#bulk{number}")
            futures.append(self.submit(commands.issue_many(actor, chunk, seed), key))
        outcomes = [await settled(f) for f in futures]
        results = [r for outcome in outcomes for r in outcome.body["results"]]
        position = max((o.body["position"] for o in outcomes), default=0)
        return Outcome({"results": results, "position": position}, status=200)

    async def erase(self, actor: Actor, learner_id: str, reason: str,
                    idempotency: Idempotency | None = None,
                    statuses: Statuses = DEFAULT_STATUSES) -> Outcome:
        """Erase a learner's personal data (commands.erase_learner), then release what the
        database keeps of the deleted rows outside the transaction."""
        run = commands.erase_learner(actor, learner_id, reason)
        outcome = await self.execute(run, idempotency, statuses)
        await asyncio.to_thread(self.database.release_residue, ERASED_TABLES)
        return outcome

    # -- reads ----------------------------------------------------------------------------

    def wait_for(self, min_position: int | None) -> None:
        if not min_position:
            return
        if self.runner is not None:
            reached = self.runner.wait_for(min_position, self.read_wait_seconds)
        else:
            reached = self._poll_positions(min_position)
        if not reached:
            raise NotCaughtUp(f"read models have not reached position {min_position} yet")

    def _poll_positions(self, min_position: int) -> bool:
        """Projections run in another process: watch their recorded progress."""
        deadline = time.monotonic() + self.read_wait_seconds
        pause = 0.005
        while not self.progress.reached(min_position):
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
        return True

    def head_position(self) -> int:
        """The position of the newest stored event (0 for an empty store); raises when the
        store is unreachable (readiness)."""
        return self.app.recorder.max_notification_id() or 0

    def read_position(self) -> int:
        if self.runner is not None:
            return self.runner.position
        return self.progress.position()

    def transcript(self, actor: Actor, learner_id: str, as_of: datetime | None = None
                   ) -> dict[str, Any]:
        if as_of is not None:
            doc, position = self._transcript_as_of(learner_id, as_of)
        else:
            doc, position = self.transcript_document(learner_id), self.read_position()
        if doc is None:
            raise NotFound(f"learner {learner_id} not found")
        live = doc if as_of is None else self.transcript_document(learner_id) or doc
        grant = active_grant(actor, live, self.now())
        check_can_read_transcript(actor, doc, grant)
        result = present(visible_to(actor, doc, grant))
        self.sharing.disclosed(actor, learner_id, "transcript", grant_id=grant,
                               credential_ids=[c["id"] for c in result["credentials"]]
                               if actor.role == "provider" and grant is None else None)
        personal = None if doc.get("erased") else self.vault.read(learner_id)
        if personal is not None:
            result["learner"] = {k: personal.get(k) for k in ("given_name", "family_name",
                                                            "birth_date")}
        result["position"] = position
        if as_of is not None:
            result["as_of"] = as_of.isoformat()
            # The chain entry of the last event replayed: it commits to everything the
            # transcript was computed from, so an auditor can check it against a checkpoint.
            result["chain_head"] = self.audit.link_at(position) if position else None
        return result

    def _transcript_as_of(self, learner_id: str, as_of: datetime) -> tuple[Any, int]:
        replayer = Replayer(self.events, self.app.mapper.transcoder, [Transcripts()],
                            stream=learner_id, as_of=as_of).advance()
        return learner_document(replayer, learner_id)

    def transcript_document(self, learner_id: str) -> dict[str, Any] | None:
        """A learner's transcript as the read model holds it (no personal data)."""
        return assemble(self.read_models.owned("transcripts", learner_id))

    def register(self, kind: str, q: str | None, provider_id: str | None,
                 eqf_level: int | None, on: str) -> list[dict[str, Any]]:
        """Every listed provider or programme matching the filters (tests, the demo)."""
        if kind == "provider":
            return list(self.public_register.all_providers(
                ProviderFilters(q=q, provider_id=provider_id), on))
        return list(self.public_register.all_programmes(
            ProgrammeFilters(q=q, provider_id=provider_id, eqf_level=eqf_level), on))

    def verify(self, credential_id: str) -> dict[str, Any]:
        status = self.read_models.get("status", credential_id)
        if status is None:
            raise NotFound(f"credential {credential_id} not found")
        provider = self.read_models.get("register", status["issuer"])
        programme = (self.read_models.get("register", status["programme_id"])
                     if status["programme_id"] else None)
        return {**verify_record(status, provider, programme),
                "credential_status": status_entries(self.urls, status["status_index"]),
                "position": self.read_position()}

    def export(self, actor: Actor, learner_id: str, kind: str) -> Export:
        """An export of the learner's record (theirs and auditors'), logged when not theirs."""
        export = self.portability.export(actor, learner_id, kind)
        self.sharing.disclosed(actor, learner_id, f"export:{kind}")
        return export

    def credential_ob3(self, actor: Actor | None, credential_id: str) -> dict[str, Any]:
        document = self.portability.credential_ob3(actor, credential_id)
        owner = self.read_models.get("status", credential_id)
        if owner is not None:
            self.sharing.disclosed(actor, owner["learner_id"], "credential",
                                   credential_ids=[credential_id])
        return document

    def close(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        self.committer.close()
        self.disclosure_log.close()
        self.app.close()

