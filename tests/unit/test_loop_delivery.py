"""The committer's futures reach the event loop batched: every waiter gets its own result or
error, one wake-up serves a whole batch, and a cancelled waiter leaves the command alone."""

import asyncio
import threading
from concurrent.futures import Future

import pytest

from ledger.loop_delivery import settled


def test_each_waiter_gets_its_own_result_or_error_in_one_wake_up_per_batch():
    async def main() -> tuple[list, int]:
        loop = asyncio.get_running_loop()
        futures = [Future() for _ in range(20)]
        waiters = [settled(f) for f in futures]
        wake_ups = 0
        original = loop.call_soon_threadsafe

        def counting(*args, **kwargs):
            nonlocal wake_ups
            wake_ups += 1
            return original(*args, **kwargs)

        loop.call_soon_threadsafe = counting  # type: ignore[method-assign]

        def committer() -> None:  # a batch finished on another thread
            for n, future in enumerate(futures):
                if n == 7:
                    future.set_exception(ValueError("conflict"))
                else:
                    future.set_result(n)

        thread = threading.Thread(target=committer)
        thread.start()
        thread.join()
        results = await asyncio.gather(*waiters, return_exceptions=True)
        return results, wake_ups

    results, wake_ups = asyncio.run(main())
    assert [r for n, r in enumerate(results) if n != 7] == [n for n in range(20) if n != 7]
    assert isinstance(results[7], ValueError) and str(results[7]) == "conflict"
    assert wake_ups == 1


def test_a_cancelled_waiter_leaves_the_command_to_finish():
    async def main() -> Future:
        future: Future = Future()
        waiter = settled(future)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        future.set_result("written")  # the committer carries on
        other: Future = Future()
        later = settled(other)  # and the loop still delivers to the others
        threading.Thread(target=other.set_result, args=("next",)).start()
        assert await asyncio.wait_for(later, 10) == "next"
        return future

    assert asyncio.run(main()).result() == "written"
