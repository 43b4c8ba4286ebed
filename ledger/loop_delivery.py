"""Results of the group committer's futures, handed to an event loop in one wake-up per batch.

`asyncio.wrap_future` wakes the loop once per future (`call_soon_threadsafe`: a lock, a
callback and a write to the loop's self-pipe each). The committer finishes a whole batch at
once, a dozen or more requests, so the first finished future of a batch schedules one
delivery and the rest join it. Unlike `wrap_future`, a waiter cancelled on the loop (a client
that went away) does not cancel the command: a write already queued is carried out, and an
Idempotency-Key retry finds its answer.
"""

import asyncio
import threading
import weakref
from concurrent.futures import Future
from contextlib import suppress
from typing import Any

_deliveries: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopDelivery]" = (
    weakref.WeakKeyDictionary())
_created = threading.Lock()


class LoopDelivery:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._finished: list[tuple[Future, asyncio.Future]] = []
        self._lock = threading.Lock()

    def wrap(self, future: Future) -> "asyncio.Future[Any]":
        """An asyncio future of this loop that settles as `future` does."""
        waiter = self.loop.create_future()
        future.add_done_callback(lambda done: self._finish(done, waiter))
        return waiter

    def _finish(self, done: Future, waiter: asyncio.Future) -> None:
        with self._lock:
            self._finished.append((done, waiter))
            first = len(self._finished) == 1
        if first:
            with suppress(RuntimeError):  # the loop is closed: nobody waits any more
                self.loop.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:
        with self._lock:
            finished, self._finished = self._finished, []
        for done, waiter in finished:
            if waiter.done():  # cancelled meanwhile
                continue
            error = done.exception()
            if error is not None:
                waiter.set_exception(error)
            else:
                waiter.set_result(done.result())


def settled(future: Future) -> "asyncio.Future[Any]":
    """`future` as an awaitable of the running loop (as asyncio.wrap_future, batched)."""
    loop = asyncio.get_running_loop()
    delivery = _deliveries.get(loop)
    if delivery is None:
        with _created:
            delivery = _deliveries.setdefault(loop, LoopDelivery(loop))
    return delivery.wrap(future)
