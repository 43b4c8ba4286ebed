"""Waiting for the read models to reach a store position (`min_position`) without holding a
thread: a position beyond the store's head was never handed to anyone and is refused at once."""

import asyncio
import time
from typing import Any

from ledger.application import NotCaughtUp
from ledger.domain.errors import LedgerError

MAX_POSITION = 2**63 - 1  # positions are PostgreSQL bigints


class BeyondHead(LedgerError):
    """`min_position` names a position the store has not reached (400, naming the head)."""

    title = "Position beyond the head"

    def __init__(self, position: int, head: int) -> None:
        super().__init__(f"min_position {position} is beyond the ledger's head ({head}): no "
                         "write has been given that position")
        self.head = head


async def wait_for(ledger: Any, position: int | None) -> None:
    """Return once the read models reached `position`; BeyondHead when the store never did,
    NotCaughtUp after the ledger's read wait."""
    if not position or await _reached(ledger, position):
        return
    head = await asyncio.to_thread(ledger.app.recorder.max_notification_id) or 0
    if position > head:
        raise BeyondHead(position, head)
    deadline = time.monotonic() + ledger.read_wait_seconds
    pause = 0.002
    while not await _reached(ledger, position):
        if time.monotonic() >= deadline:
            raise NotCaughtUp(f"read models have not reached position {position} yet")
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)


async def _reached(ledger: Any, position: int) -> bool:
    runner = ledger.runner
    if runner is not None:  # projections in this process: their position is in memory
        if runner.position >= position:
            return True
        runner.wake()
        return False
    return await asyncio.to_thread(ledger.progress.reached, position)
