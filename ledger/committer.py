"""Group commit: concurrent commands are applied in one thread and saved together.

The library serialises appends with a table lock held through each commit, so one save per
request tops out near 500/s. Here every command waiting in the queue is run against one unit
of work and the touched aggregates are saved in a single transaction. A command that breaks a
rule fails alone; if the batch's save conflicts with another writer, each command is re-run on
its own so that only the conflicting one fails.
"""

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError

from ledger.calendar import Calendar
from ledger.domain.errors import Conflict, InvalidRequest, LedgerError
from ledger.metrics import APPEND_BATCH_SIZE
from ledger.store import side_tables
from ledger.store.database import Cursor, Database
from ledger.store.recorders import Positions
from ledger.unit_of_work import AggregateCache, Collaborators, UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What a command did, in plain data: its body (ids, statuses; the committer adds the
    store position) and whether it created what it was asked for or found it already there."""
    body: dict[str, Any]
    created: bool = False
    # The learner whose personal data the request carried (an enrolment): its idempotency
    # record is linked to them so that erasure removes it.
    personal_data_of: str | None = None
    # The status answered: set by the committer from the caller's policy (Statuses), or the
    # one stored with an earlier answer to the same Idempotency-Key. Commands never set it.
    status: int | None = None


@dataclass(frozen=True, slots=True)
class Statuses:
    """The caller's status policy (the HTTP route's own codes), kept beside the command because
    the committer stores the answer, status included, in the transaction of its events: a
    replay then returns exactly the first answer. `found` is answered when the command found
    what it was asked to create (an enrolment of someone already enrolled)."""
    created: int = 200
    found: int | None = None

    def of(self, outcome: Outcome) -> int:
        return self.created if outcome.created or self.found is None else self.found


DEFAULT_STATUSES = Statuses()


@dataclass(frozen=True)
class Idempotency:
    principal_id: str
    key: str
    request_hash: str
    # The unkeyed digest of the same request, as releases before keyed digests stored it: a
    # retry of a request they recorded still matches (ledger.store.request_hashes).
    legacy_hash: str = ""


@dataclass
class Command:
    run: Callable[[UnitOfWork], Outcome]
    idempotency: Idempotency | None = None
    statuses: Statuses = DEFAULT_STATUSES
    future: Future = field(default_factory=Future)
    events: list[tuple[Any, int]] = field(default_factory=list)
    outcome: Outcome | None = None


class _Tainted(Exception):
    """A command failed after changing an aggregate: the batch is re-run without it."""


class GroupCommitter:
    def __init__(self, app: Application, database: Database, cache: AggregateCache,
                 max_batch: int, on_commit: Callable[[int], None],
                 max_events: int = 2000,
                 status_indexes: Callable[[], int] | None = None,
                 calendar: Calendar | None = None,
                 collaborators: Collaborators | None = None) -> None:
        self.app = app
        # What commands reach beyond aggregates (vault, principals, lookups): wired once here.
        self.collaborators = collaborators or Collaborators(database)
        self.status_indexes = status_indexes
        self.calendar = calendar or Calendar()
        self.database = database
        self.cache = cache
        self.max_batch = max_batch
        self.max_events = max_events
        self.on_commit = on_commit
        self._queue: queue.SimpleQueue[Command | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="group-commit", daemon=True)
        self._thread.start()

    @property
    def queue_depth(self) -> int:
        """Commands submitted and not yet taken into a batch."""
        return self._queue.qsize()

    def submit(self, command: Command) -> Future:
        self._queue.put(command)
        return command.future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        carried: list[Command] = []
        while True:
            if carried:
                batch, carried = carried, []
            else:
                first = self._queue.get()
                if first is None:
                    return
                batch = [first]
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            try:
                carried = self._commit(batch)
            except Exception as error:  # never let the committer thread die
                log.exception("group commit failed")
                for command in batch:
                    if not command.future.done():
                        command.future.set_exception(error)

    # -- one batch ----------------------------------------------------------------------------

    def _commit(self, batch: list[Command]) -> list[Command]:
        """Save what fits in one transaction; returns the commands left for the next."""
        self.cache.catch_up()
        runnable = self._answer_from_idempotency_records(batch)
        try:
            return self._run_and_save(runnable)
        except IntegrityError:
            log.info("batch of %d conflicted with another writer; re-running singly",
                     len(runnable))
            for command in runnable:
                if not command.future.done():
                    self._commit_single(command)
            return []

    def _commit_single(self, command: Command) -> None:
        self.cache.catch_up()
        if not self._answer_from_idempotency_records([command]):
            return
        try:
            self._run_and_save([command])
        except IntegrityError:
            command.future.set_exception(
                Conflict("a concurrent change to the same record won; retry the request")
            )

    def _answer_from_idempotency_records(self, batch: list[Command]) -> list[Command]:
        """Resolve repeats of stored requests; within the batch, the first of a key leads."""
        runnable: list[Command] = []
        leaders: dict[tuple[str, str], Command] = {}
        for command in batch:
            key = command.idempotency
            if key is None:
                runnable.append(command)
                continue
            stored = side_tables.find_response(self.database, key.principal_id, key.key)
            leader = leaders.get((key.principal_id, key.key))
            if stored is not None:
                _resolve_repeat(command, stored[0], Outcome(stored[2], status=stored[1]))
            elif leader is not None:
                leader.future.add_done_callback(_follow(command, leader.idempotency.request_hash))
            else:
                leaders[(key.principal_id, key.key)] = command
                runnable.append(command)
        return runnable

    def _run_and_save(self, commands: list[Command]) -> list[Command]:
        pending = [c for c in commands if not c.future.done()]
        while True:
            uow = UnitOfWork(self.app, self.cache, self.calendar.today(), self.status_indexes,
                             self.collaborators)
            try:
                succeeded, deferred = self._run(uow, pending)
                break
            except _Tainted:
                self.cache.evict(uow.loaded)
                pending = [c for c in pending if not c.future.done()]
        self._save(uow, succeeded)
        return deferred

    def _run(self, uow: UnitOfWork, commands: list[Command]
             ) -> tuple[list[Command], list[Command]]:
        """Run commands until the transaction holds max_events; the rest are deferred (one
        save of many MB can hang psycopg's pipeline mode)."""
        succeeded = []
        for index, command in enumerate(commands):
            if succeeded and uow.pending_event_count() >= self.max_events:
                return succeeded, commands[index:]
            before = uow.pending_counts()
            try:
                command.outcome = command.run(uow)
            except Exception as error:
                tainted = bool(uow.new_events_since(before))
                if not isinstance(error, LedgerError):
                    log.exception("command failed")
                command.future.set_exception(error)
                if tainted:
                    raise _Tainted from error
                continue
            command.events = uow.new_events_since(before)
            succeeded.append(command)
        return succeeded, []

    def _save(self, uow: UnitOfWork, commands: list[Command]) -> None:
        if not commands:
            return
        dirty = uow.dirty()

        taken: list[int] = []

        def after_insert(cursor: Cursor, positions: Positions) -> None:
            taken[:] = positions.values()
            uow.write_side_rows(cursor, positions)
            last = max(positions.values(), default=self.cache.seen)
            for command in commands:
                own = [positions[e] for e in command.events if e in positions]
                command.outcome.body["position"] = max(own, default=last)
                command.outcome.status = command.statuses.of(command.outcome)
                key = command.idempotency
                if key is not None:
                    side_tables.record_response(cursor, key.principal_id, key.key,
                                                key.request_hash, command.outcome.status,
                                                command.outcome.body,
                                                command.outcome.personal_data_of)

        try:
            if dirty:
                APPEND_BATCH_SIZE.observe(len(commands))
                self.app.save(*dirty, after_insert=after_insert)
            else:
                with self.database.transaction() as cursor:
                    after_insert(cursor, {})
        except Exception:
            self.cache.evict(uow.loaded)
            for command in commands:
                command.events.clear()
            raise
        self.cache.committed(taken)
        for aggregate in uow.loaded.values():
            self.cache.put(aggregate)
        top = max((c.outcome.body["position"] for c in commands), default=0)
        for command in commands:
            command.future.set_result(command.outcome)
        self.on_commit(top)


def _resolve_repeat(command: Command, stored_hash: str, outcome: Outcome) -> None:
    if stored_hash not in (command.idempotency.request_hash,
                           command.idempotency.legacy_hash or command.idempotency.request_hash):
        command.future.set_exception(
            InvalidRequest("this Idempotency-Key was used with a different request body")
        )
    else:
        command.future.set_result(outcome)


def _follow(command: Command, leader_hash: str) -> Callable[[Future], None]:
    def done(leader: Future) -> None:
        error = leader.exception()
        if error is not None:
            command.future.set_exception(error)
        else:
            _resolve_repeat(command, leader_hash, leader.result())
    return done
