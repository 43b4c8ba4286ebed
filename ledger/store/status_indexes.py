"""Status-list indexes for new credentials: a counter in the database, handed out in blocks,
each value mapped through the keyed slot permutation (ledger.status_permutation).

The index goes into the issuing event (CredentialIssued/CredentialStacked `status_index`), so
replays and rebuilds give the same bits without this table or the key. A counter value handed
out but never used (a process stopped, a command failed) is only an unused slot.

Cutover: credentials issued before status indexes were allocated carry none in their events and
keep their old index, the store position of their issuing event. The counter therefore starts
at the first list past every such position (list 0 on a new ledger), so the two never collide.
"""

import threading

from ledger.domain.catalogue import BY_TOPIC
from ledger.domain.learner import LearnerRecord
from ledger.status_permutation import LIST_SIZE, SlotPermutation
from ledger.store.database import Cursor, Database
from ledger.store.vault import derive_key

COUNTER = "status"
BLOCK = 1024
# Every topic an issuing event is stored under, today's and older releases' (the catalogue's).
ISSUING_TOPICS = tuple(topic for topic, known in BY_TOPIC.items()
                       if known.event in (LearnerRecord.CredentialIssued,
                                          LearnerRecord.CredentialStacked))


class StatusIndexes:
    def __init__(self, database: Database, master_key: bytes, events_table: str,
                 block: int = BLOCK) -> None:
        self.database = database
        self.events_table = events_table
        self.block = block
        self._permutation = SlotPermutation(derive_key(master_key, b"ledger status list slots"))
        self._next = self._end = 0
        self._lock = threading.Lock()

    def allocate(self) -> int:
        """A status index no other credential has or will have."""
        with self._lock:
            if self._next >= self._end:
                self._end = self._reserve()
                self._next = self._end - self.block
            counter, self._next = self._next, self._next + 1
        return self._permutation.index(counter)

    def _reserve(self) -> int:
        """Reserve the next block of counter values; returns the end of the block."""
        with self.database.transaction() as cursor:
            cursor.execute("INSERT INTO status_index_counter (name, next_value) VALUES (?, ?) "
                           "ON CONFLICT DO NOTHING", (COUNTER, self._first_counter(cursor)))
            row = cursor.execute(
                "UPDATE status_index_counter SET next_value = next_value + ? WHERE name = ? "
                "RETURNING next_value", (self.block, COUNTER)).fetchone()
        return int(row["next_value"])

    def _first_counter(self, cursor: Cursor) -> int:
        """The cutover: the first counter value of the list after every position-indexed
        credential's list (0 when there is none)."""
        if cursor.execute("SELECT 1 FROM status_index_counter WHERE name = ?",
                          (COUNTER,)).fetchone():
            return 0  # already there: the insert does nothing
        position = "notification_id" if self.database.postgres else "rowid"
        row = cursor.execute(
            f"SELECT max({position}) AS last FROM {self.events_table} "
            f"WHERE topic IN ({', '.join('?' * len(ISSUING_TOPICS))})",
            ISSUING_TOPICS).fetchone()
        last = row["last"] if row else None
        return 0 if last is None else (int(last) // LIST_SIZE + 1) * LIST_SIZE
