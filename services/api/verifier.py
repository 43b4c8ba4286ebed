"""Verification of posted documents on its own executor: canonicalisation in worker processes
(ledger.canonical_pool), the ledger lookups on a few threads of its own, so a flood of
verifications never takes the threads that serve signing, token checks and reads."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ledger.canonical_pool import Canonicaliser
from ledger.verification import DocumentVerifier

THREADS = 4


class Verifier:
    def __init__(self, ledger: Any, canonicaliser: Canonicaliser | None = None) -> None:
        self.ledger = ledger
        self.canonicaliser = canonicaliser or Canonicaliser(ledger.standards.directory)
        self._threads = ThreadPoolExecutor(THREADS, thread_name_prefix="verify")

    def verify_sync(self, document: Any) -> dict[str, Any]:
        return DocumentVerifier(self.ledger, self.canonicaliser.hashes).verify(document)

    async def verify(self, document: Any) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, self.verify_sync, document)

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
        self.canonicaliser.close()
