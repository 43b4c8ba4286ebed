"""Canonicalisation of untrusted documents in worker processes, each call within budgets:
RDFC-1.0 is factorial in the worst case (blank-node cliques), so a document someone posts is
hashed away from the API process. A call that spends its CPU budget is stopped inside the
worker (a timer signal; the worker lives on), and one that overruns its wall-clock budget
(a starved or stuck worker) is killed and the worker replaced. Either is a 422.

The workers load every context of the standards cache at start (their caches stay warm), run
at a slightly lower CPU priority than the API, and share no lock with signing, which
canonicalises in the API process under its own Standards.
"""

import logging
import multiprocessing
import os
import signal
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

# Budgets for the canonicalisation one verification needs: a base plus some per signed
# document (a CLR and each credential in it). A genuine 20-credential CLR needs about 0.3 s
# of CPU here; an 8-node blank-node clique about a minute.
CPU_SECONDS, CPU_PER_DOCUMENT = 2.0, 0.1
BUDGET_SECONDS, PER_DOCUMENT_SECONDS = 7.0, 0.5  # wall clock, queueing excluded
WORKERS = 2
QUEUE_PER_WORKER = 4  # calls waiting beyond this are turned away (429), not queued
NICENESS = 2  # anonymous work yields some CPU to the API's own requests


class CpuBudgetSpent(Exception):
    """Raised inside a worker when a call has used its CPU budget."""


def _spent(signum: int, frame: Any) -> None:
    raise CpuBudgetSpent()


class TooComplex(InvalidRequest):
    """The document cannot be checked within the verifier's limits (422)."""

    title = "Document too complex"


class VerifierBusy(LedgerError):
    """Every worker is busy and the queue is full (429 with Retry-After)."""

    title = "Verifier busy"


class VerifierUnavailable(LedgerError):
    """The worker pool failed to start or broke (503 with Retry-After; the next call starts a
    new one)."""

    title = "Verifier unavailable"


_standards: Any = None


def _start_worker(standards_dir: str, niceness: int) -> None:
    """Worker initialiser: lower priority, then load and process every known context once."""
    global _standards
    from ledger.standards import CONTEXTS, Standards

    if niceness:
        os.nice(niceness)
    signal.signal(signal.SIGVTALRM, _spent)
    _standards = Standards(standards_dir)
    for url in CONTEXTS:
        try:
            _canonical({"@context": url, "@id": "urn:warm", "urn:p": "x"})
        except Exception as error:  # a context missing here is reported per document
            log.debug("could not warm the context %s: %s", url, error)


def _canonical(document: Document) -> str:
    from ledger.signing.data_integrity import canonicalise

    return canonicalise(document, _standards)


def hash_jobs(jobs: list[Job], cpu_seconds: float = 0.0) -> list[Outcome]:
    """In a worker: the signed message of each (document, proof), or the reason it has none.
    Parser failures of any kind (RecursionError included) become a reason, never a crash;
    CpuBudgetSpent ends the call once it has used `cpu_seconds` of CPU time."""
    from ledger.signing.data_integrity import hash_data

    results: list[Outcome] = []
    signal.setitimer(signal.ITIMER_VIRTUAL, cpu_seconds)
    try:
        for document, proof in jobs:
            try:
                results.append(hash_data(document, proof, _standards))
            except CpuBudgetSpent:
                raise
            except Exception as error:  # whatever the parser says, as one line
                cause = error.args[0] if error.args else type(error).__name__
                results.append(f"{type(error).__name__}: {str(cause)[:300]}")
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
    return results


def _context() -> Any:
    """Workers fork from a clean server process that has imported the JSON-LD stack once
    (never from the API process and its threads): a replaced worker starts in milliseconds."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ledger.canonical_pool", "ledger.signing.data_integrity"])
    return context


class Canonicaliser:
    """A lazily started pool of canonicalisation workers with a budget per call."""

    def __init__(self, standards_dir: Path | str, *, workers: int = WORKERS,
                 budget: float = BUDGET_SECONDS, cpu_budget: float = CPU_SECONDS,
                 niceness: int = NICENESS) -> None:
        self.standards_dir = str(standards_dir)
        self.workers = workers
        self.budget = budget
        self.cpu_budget = cpu_budget
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
                    context=_context())
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
            budget = self.budget + PER_DOCUMENT_SECONDS * len(jobs)
            cpu = self.cpu_budget + CPU_PER_DOCUMENT * len(jobs)
            future = self._get_pool().schedule(hash_jobs, args=(jobs, cpu), timeout=budget)
            try:
                return future.result()
            except CpuBudgetSpent:
                log.warning("verification: canonicalisation used its %.1f s of CPU", cpu)
                raise TooComplex(f"the document cannot be canonicalised within {cpu:g} s of "
                                 "CPU time (too many interlinked blank nodes?)") from None
            except FutureTimeout:
                log.warning("verification: canonicalisation exceeded %.1f s; worker replaced",
                            budget)
                raise TooComplex(f"the document cannot be canonicalised within {budget:g} s "
                                 "(too many interlinked blank nodes?)") from None
            except ProcessExpired as error:
                log.warning("verification: a canonicalisation worker died (%s)", error)
                raise TooComplex("the document could not be canonicalised (the worker "
                                 "checking it ran out of resources)") from None
            except Exception as error:  # the pool itself broke: not the caller's fault
                log.warning("verification: the worker pool failed (%s: %s)",
                            type(error).__name__, error)
                raise VerifierUnavailable("the verifier's workers are restarting; retry "
                                          "shortly") from None
        finally:
            with self._lock:
                self._pending -= 1

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()
            pool.join(timeout=10)
