"""A batch's view of the aggregates: an identity map over a write-through cache.

The cache stays correct with other writers because the committer tails the notification
log before each batch and evicts any aggregate that someone else has advanced.
"""

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate

from ledger.domain.errors import NotFound
from ledger.store import side_tables
from ledger.store.database import Cursor, Database
from ledger.store.principals import Principals
from ledger.store.recorders import Positions
from ledger.store.share_links import ShareLinks
from ledger.store.vault import Vault

A = TypeVar("A", bound=Aggregate)
SideWrite = Callable[[Cursor, Positions], None]


class AggregateCache:
    def __init__(self, app: Application, max_size: int) -> None:
        self.app = app
        self.max_size = max_size
        self._items: OrderedDict[UUID, Aggregate] = OrderedDict()
        self.seen = app.recorder.max_notification_id() or 0

    def get(self, aggregate_id: UUID) -> Aggregate | None:
        aggregate = self._items.get(aggregate_id)
        if aggregate is not None:
            self._items.move_to_end(aggregate_id)
        return aggregate

    def put(self, aggregate: Aggregate) -> None:
        self._items[aggregate.id] = aggregate
        self._items.move_to_end(aggregate.id)
        while len(self._items) > self.max_size:
            self._items.popitem(last=False)

    def evict(self, ids: Iterable[UUID]) -> None:
        for aggregate_id in ids:
            self._items.pop(aggregate_id, None)

    def committed(self, positions: Iterable[int]) -> None:
        """This process's own commit took these positions: when they follow straight on from
        the last look at the log, nobody else wrote in between and the next look can start
        after them (no re-reading of what this process just wrote)."""
        ordered = sorted(positions)
        if ordered and ordered[0] == self.seen + 1 and ordered[-1] - ordered[0] + 1 == len(ordered):
            self.seen = ordered[-1]

    def catch_up(self, scan_limit: int = 10_000) -> None:
        """Evict what other writers changed since the last look at the log."""
        top = self.app.recorder.max_notification_id() or 0
        if top <= self.seen:
            return
        if top - self.seen > scan_limit:
            self._items.clear()
        else:
            for n in self.app.recorder.select_notifications(
                start=self.seen, limit=top - self.seen, stop=top, inclusive_of_start=False
            ):
                cached = self._items.get(UUID(str(n.originator_id)))
                if cached is not None and n.originator_version > cached.version:
                    self._items.pop(cached.id, None)
        self.seen = top


@dataclass(frozen=True)
class Collaborators:
    """What commands use beside aggregates, wired once by the composition root
    (ledger/bootstrap.py) where the committer is built: commands reach them through their unit
    of work, never through their callers' arguments, so no HTTP route holds the store or the
    vault. Vault and principals may be absent where no command needs them (a bare committer
    in a test)."""
    database: Database
    vault: Vault | None = None
    principals: Principals | None = None
    share_links: ShareLinks | None = None

    def learner_of(self, credential_id: str) -> str | None:
        """The learner holding a credential or stack (the credential index)."""
        return side_tables.learner_of(self.database, credential_id)


@lru_cache(maxsize=65536)
def _uuid(text: str) -> UUID:
    return UUID(text)


class UnitOfWork:
    def __init__(self, app: Application, cache: AggregateCache, today: date,
                 status_indexes: Callable[[], int] | None = None,
                 collaborators: Collaborators | None = None) -> None:
        self.app = app
        self.collaborators = collaborators
        self.cache = cache
        # The operator's date when the batch runs: commands compare awards and decisions with it.
        self.today = today
        # Hands out status-list indexes for new credentials (None: position-based, as before).
        self.status_indexes = status_indexes
        self.loaded: dict[UUID, Aggregate] = {}
        self.side_writes: list[SideWrite] = []
        self.rows: dict[tuple[str, tuple[str, ...]], list[tuple[Any, ...]]] = {}

    def get(self, cls: type[A], aggregate_id: UUID | str, what: str | None = None) -> A:
        try:
            key = aggregate_id if isinstance(aggregate_id, UUID) else _uuid(aggregate_id)
        except ValueError:
            raise NotFound(f"{what or cls.__name__} {aggregate_id} not found") from None
        aggregate = self.loaded.get(key) or self.cache.get(key)
        if aggregate is None:
            try:
                aggregate = self.app.repository.get(key)
            except AggregateNotFoundError:
                raise NotFound(f"{what or cls.__name__} {aggregate_id} not found") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{what or cls.__name__} {aggregate_id} not found")
        self.loaded[key] = aggregate
        return aggregate

    def add(self, aggregate: Aggregate) -> None:
        self.loaded[aggregate.id] = aggregate

    def after_insert(self, write: SideWrite) -> None:
        self.side_writes.append(write)

    def insert_row(self, table: str, columns: tuple[str, ...], row: tuple[Any, ...]) -> None:
        """A row for the appending transaction; a table's rows go in one statement."""
        self.rows.setdefault((table, columns), []).append(row)

    def write_side_rows(self, cursor: Cursor, positions: Positions) -> None:
        for (table, columns), rows in self.rows.items():
            cursor.insert_many(table, columns, rows)
        for write in self.side_writes:
            write(cursor, positions)

    def pending_event_count(self) -> int:
        return sum(len(a.pending_events) for a in self.loaded.values())

    def pending_counts(self) -> dict[UUID, int]:
        return {i: len(a.pending_events) for i, a in self.loaded.items()}

    def new_events_since(self, counts: dict[UUID, int]) -> list[tuple[UUID, int]]:
        return [
            (i, e.originator_version)
            for i, a in self.loaded.items()
            for e in a.pending_events[counts.get(i, 0):]
        ]

    def dirty(self) -> list[Aggregate]:
        return [a for a in self.loaded.values() if a.pending_events]

