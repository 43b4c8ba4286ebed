"""Canonicalisation of untrusted documents in worker processes, each call within a wall-clock
budget: RDFC-1.0 is factorial in the worst case (blank-node cliques), so a document someone
posts is hashed away from the API process, and a worker that overruns is killed and replaced.

The workers load every context of the standards cache at start (their caches stay warm), run
at a lower CPU priority than the API, and share no lock with signing, which canonicalises in
the API process under its own Standards.
"""

import logging
import multiprocessing
import os
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from pebble import ProcessExpired, ProcessPool

from ledger.domain.errors import InvalidRequest, LedgerError

log = logging.getLogger(__name__)

Document = dict[str, Any]
Job = tuple[Document, Document]  # (a document, one of its proofs)
Outcome = bytes | str  # the signed message's hash, or why it cannot be computed

BUDGET_SECONDS = 5.0  # wall clock for all the canonicalisation one verification needs
WORKERS = 2
QUEUE_PER_WORKER = 4  # calls waiting beyond this are turned away (429), not queued
NICENESS = 10  # anonymous work yields the CPU to the API's own requests


class TooComplex(InvalidRequest):
    """The document cannot be checked within the verifier's limits (422)."""

    title = "Document too complex"


class VerifierBusy(LedgerError):
    """Every worker is busy and the queue is full (429 with Retry-After)."""

    title = "Verifier busy"


_standards: Any = None


def _start_worker(standards_dir: str, niceness: int) -> None:
    """Worker initialiser: lower priority, then load and process every known context once."""
    global _standards
    from ledger.standards import CONTEXTS, Standards

    if niceness:
        os.nice(niceness)
    _standards = Standards(standards_dir)
    for url in CONTEXTS:
        try:
            _canonical({"@context": url, "@id": "urn:warm", "urn:p": "x"})
        except Exception as error:  # a context missing here is reported per document
            log.debug("could not warm the context %s: %s", url, error)


def _canonical(document: Document) -> str:
    from ledger.signing.data_integrity import canonicalise

    return canonicalise(document, _standards)


def hash_jobs(jobs: list[Job]) -> list[Outcome]:
    """In a worker: the signed message of each (document, proof), or the reason it has none.
    Parser failures of any kind (RecursionError included) become a reason, never a crash."""
    from ledger.signing.data_integrity import hash_data

    results: list[Outcome] = []
    for document, proof in jobs:
        try:
            results.append(hash_data(document, proof, _standards))
        except Exception as error:  # whatever the parser says, as one line
            cause = error.args[0] if error.args else type(error).__name__
            results.append(f"{type(error).__name__}: {str(cause)[:300]}")
    return results


class Canonicaliser:
    """A lazily started pool of canonicalisation workers with a budget per call."""

    def __init__(self, standards_dir: Path | str, *, workers: int = WORKERS,
                 budget: float = BUDGET_SECONDS, niceness: int = NICENESS) -> None:
        self.standards_dir = str(standards_dir)
        self.workers = workers
        self.budget = budget
        self.niceness = niceness
        self._pool: ProcessPool | None = None
        self._lock = threading.Lock()
        self._pending = 0

    def _get_pool(self) -> ProcessPool:
        with self._lock:
            if self._pool is None or not self._pool.active:
                self._pool = ProcessPool(
                    max_workers=self.workers, initializer=_start_worker,
                    initargs=(self.standards_dir, self.niceness),
                    context=multiprocessing.get_context("spawn"))
            return self._pool

    def warm(self) -> None:
        """Start the workers now rather than on the first verification."""
        pool = self._get_pool()
        for future in [pool.schedule(hash_jobs, args=([],)) for _ in range(self.workers)]:
            future.result()

    def hashes(self, jobs: list[Job]) -> list[Outcome]:
        """Each job's outcome, computed in a worker within the budget (else TooComplex)."""
        if not jobs:
            return []
        with self._lock:
            if self._pending >= self.workers * QUEUE_PER_WORKER:
                raise VerifierBusy("every verification worker is busy; retry shortly")
            self._pending += 1
        try:
            future = self._get_pool().schedule(hash_jobs, args=(jobs,), timeout=self.budget)
            try:
                return future.result()
            except FutureTimeout:
                log.warning("verification: canonicalisation exceeded %.1f s; worker replaced",
                            self.budget)
                raise TooComplex(f"the document cannot be canonicalised within {self.budget:g}"
                                 " s (too many interlinked blank nodes?)") from None
            except ProcessExpired as error:
                log.warning("verification: a canonicalisation worker died (%s)", error)
                raise TooComplex("the document could not be canonicalised (the worker "
                                 "checking it ran out of resources)") from None
        finally:
            with self._lock:
                self._pending -= 1

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()
            pool.join(timeout=10)
