"""Which partitions a projector consumes, decided through PostgreSQL, not Kafka's groups.

Every member of a projection holds, on a connection of its own, a shared advisory lock that
counts it as a member and an exclusive session-level advisory lock per partition it consumes.
PostgreSQL drops a session's locks the moment its connection closes, so a member killed with
SIGKILL (or cut off by a database restart) frees its partitions at once, and a live member
takes them at its next `refresh()` (called every poll, acting at most every
`interval` seconds). Members share the partitions fairly: nobody holds more than
ceil(partitions / members); a member above its share releases partitions (after finishing the
poll in hand, so everything it applied is committed), one below it takes free ones.

Exclusive ownership is an efficiency, not a correctness condition: documents skip events at or
below their own position, so two members briefly applying one partition (one of them not yet
aware that its connection died) change nothing.
"""

import contextlib
import logging
import math
import time
import zlib

import psycopg

log = logging.getLogger(__name__)

MEMBERSHIP = 2**30  # the second lock key of the membership lock: never a partition number


def group_key(projection: str, topic: str) -> int:
    """The first advisory lock key of (projection, topic): a positive 31-bit number."""
    return zlib.crc32(f"ledger-projector:{projection}:{topic}".encode()) & 0x7FFFFFFF


class PartitionLeases:
    """Partitions owned through advisory locks on a dedicated connection."""

    def __init__(self, database_url: str, projection: str, topic: str, partitions: int, *,
                 interval: float = 1.0) -> None:
        self.database_url = database_url
        self.projection = projection
        self.key = group_key(projection, topic)
        self.partitions = partitions
        self.interval = interval
        self.owned: set[int] = set()
        self._conn: psycopg.Connection | None = None
        self._checked = 0.0

    def _connect(self) -> psycopg.Connection:
        conn = psycopg.connect(self.database_url, autocommit=True, connect_timeout=5,
                               application_name=f"ledger-projector-{self.projection}")
        conn.execute("SELECT pg_advisory_lock_shared(%s, %s)", (self.key, MEMBERSHIP))
        return conn

    def members(self) -> int:
        assert self._conn is not None
        row = self._conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s::oid AND objid = %s::oid AND objsubid = 2",
            (self.key, MEMBERSHIP)).fetchone()
        return max(1, row[0])

    def refresh(self, force: bool = False) -> set[int]:
        """The partitions this member owns now (at most one round trip per `interval`)."""
        now = time.monotonic()
        if not force and now - self._checked < self.interval:
            return self.owned
        self._checked = now
        try:
            self._rebalance()
        except psycopg.Error as error:
            # The connection is gone (database restart, network): so are its locks.
            if self.owned:
                log.warning("%s: lost the partition locks (%s); consuming nothing until the "
                            "database answers", self.projection, error)
            self.owned = set()
            self._close()
        return self.owned

    def _rebalance(self) -> None:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        share = math.ceil(self.partitions / self.members())
        for partition in sorted(self.owned, reverse=True)[:max(0, len(self.owned) - share)]:
            self._conn.execute("SELECT pg_advisory_unlock(%s, %s)", (self.key, partition))
            self.owned.discard(partition)
        # Start the search at a different partition per member, so members that start
        # together do not all race for partition 0.
        start = self._conn.info.backend_pid % self.partitions
        for step in range(self.partitions):
            if len(self.owned) >= share:
                break
            partition = (start + step) % self.partitions
            if partition in self.owned:
                continue
            taken = self._conn.execute("SELECT pg_try_advisory_lock(%s, %s)",
                                       (self.key, partition)).fetchone()[0]
            if taken:
                self.owned.add(partition)

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
        self._conn = None

    def release(self) -> None:
        """On shutdown: closing the session releases every lock it holds."""
        self.owned = set()
        self._close()


class AllPartitions:
    """The embedded store: one process owns the file and every partition."""

    def __init__(self, partitions: int) -> None:
        self.owned = set(range(partitions))

    def refresh(self, force: bool = False) -> set[int]:
        return self.owned

    def release(self) -> None:
        pass
