"""Portability exports per second: the CLR 2.0 of a learner holding N credentials (default 20),
generated and signed end to end (N OB 3.0 credentials signed by their issuer, then the CLR
signed by the ledger), printed beside the cost of the RDFC-1.0 canonicalisation alone of the
same N + 1 documents, in one run. Also the other formats, a CLR whose nested credentials
are already signed (what the exporter pays when one credential of the record changes), and
verifications per second of the same genuine CLR as POST /v1/verify checks it (every proof,
key, status and record; canonicalisation in the verifier's worker processes) beside the
signing rate: verifying one should cost at most 3x signing it.

    python -m bench.exports [-n 20] [--seconds 10]

Needs LEDGER_STANDARDS_DIR (default ../shared/standards). Figures, never assertions.
"""

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.portability import Portability, SignedCache
from ledger.signing import data_integrity
from tests.helpers import seed_ledger

ROOT = Path(__file__).resolve().parent.parent


def rate(work: Callable[[], object], seconds: float) -> tuple[float, float]:
    """Calls per second over at least `seconds` (and the median call in ms)."""
    times, started = [], time.perf_counter()
    while time.perf_counter() - started < seconds or len(times) < 3:
        begun = time.perf_counter()
        work()
        times.append(time.perf_counter() - begun)
    return len(times) / sum(times), statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="credentials of the learner")
    parser.add_argument("--seconds", type=float, default=10, help="time per measurement")
    args = parser.parse_args()
    standards = Path(os.environ.get("LEDGER_STANDARDS_DIR") or ROOT.parent / "shared/standards")
    with tempfile.TemporaryDirectory() as folder:
        ledger = bootstrap(Settings(data_dir=Path(folder), database_url=None,
                                    kafka_bootstrap_servers=None, standards_dir=standards))
        try:
            seeded, active = seed_learner(ledger, args.n)
            run(ledger.portability, seeded, args)
            verification(ledger, active, args)
        finally:
            ledger.close()


def seed_learner(ledger, count: int) -> tuple[str, str]:
    """The seeded learner (a suspended, corrected and revoked credential among theirs) and a
    second learner whose credentials are all active, each holding `count` credentials."""
    from ledger import commands, inputs

    world = seed_ledger(ledger)
    second = ledger.execute_sync(commands.enrol_learner(world.provider, inputs.PersonalDetails(**{
        "given_name": "გიორგი", "family_name": "მაისურაძე", "birth_date": "2000-02-03"})))
    item = {"microcredential_id": world.programme_id, "awarded_on": "2025-05-01",
            "grade": "A", "assessment": None}
    for learner_id, held in ((world.learner_id, len(world.credential_ids)),
                             (second.body["id"], 0)):
        for _ in range(count - held):
            last = ledger.execute_sync(commands.issue_credential(
                world.provider, inputs.IssueCredential(**{**item, "learner_id": learner_id})))
    ledger.wait_for(last.body["position"])
    return world.learner_id, second.body["id"]


def run(portability: Portability, learner_id: str, args: argparse.Namespace) -> None:
    record = portability.record(learner_id)
    signed_clr = orjson.loads(portability.render(record, "clr").content)
    documents = [*signed_clr["credentialSubject"]["verifiableCredential"], signed_clr]
    unsigned = [{k: v for k, v in d.items() if k != "proof"} for d in documents]

    def canonicalise_all() -> None:
        for document in unsigned:
            data_integrity.canonicalise(document, portability.standards)

    def clr_from_scratch() -> None:
        portability._signed = SignedCache()  # nothing signed before: the full cost
        portability.render(record, "clr")

    print(f"learner with {len(record.credentials)} credentials; CLR of "
          f"{len(portability.render(record, 'clr').content) / 1024:.0f} KB, "
          f"{len(documents)} documents signed per CLR")
    full, full_ms = rate(clr_from_scratch, args.seconds)
    canon, canon_ms = rate(canonicalise_all, args.seconds)
    print(f"{'CLR generated and signed (all N+1 proofs)':52} {full:8.2f}/s  {full_ms:8.1f} ms")
    print(f"{'canonicalisation alone of the same N+1 documents':52} {canon:8.2f}/s  "
          f"{canon_ms:8.1f} ms")
    print(f"{'  canonicalisation share of a CLR export':52} {canon_ms / full_ms:8.0%}")
    # The same CLR without the QA body's endorsements in its credentials' issuer profiles: what
    # carrying accreditation inside every credential costs.
    carried = portability.endorsements.of_provider
    portability.endorsements.of_provider = lambda entry: []
    bare = portability.record(learner_id)
    bare_kb = len(portability.render(bare, "clr").content) / 1024

    def bare_from_scratch() -> None:
        portability._signed = SignedCache()
        portability.render(bare, "clr")

    without, without_ms = rate(bare_from_scratch, args.seconds)
    portability.endorsements.of_provider = carried
    print(f"{'  the same without endorsements (' + f'{bare_kb:.0f} KB)':52} {without:8.2f}/s  "
          f"{without_ms:8.1f} ms")
    resigned = []
    for _ in range(max(3, int(args.seconds))):
        portability._signed = SignedCache()
        for item in record.credentials:
            portability.signed_ob3(record, item)
        begun = time.perf_counter()
        portability.signed_clr(record)
        resigned.append(time.perf_counter() - begun)
    ms = statistics.median(resigned) * 1000
    print(f"{'CLR re-signed, its credentials already signed':52} {1000 / ms:8.2f}/s  "
          f"{ms:8.1f} ms")
    for kind in ("ob3", "edc", "elmo", "pdf"):
        per_second, ms = rate(lambda kind=kind: portability.render(record, kind), args.seconds / 2)
        print(f"{kind + ' export (cached signatures where signed)':52} {per_second:8.2f}/s  "
              f"{ms:8.1f} ms")


def verification(ledger, learner_id: str, args: argparse.Namespace) -> None:
    """Verifying a learner's genuine CLR (every credential active) beside signing it."""
    from ledger.canonical_pool import Canonicaliser
    from ledger.verification import DocumentVerifier

    portability = ledger.portability
    record = portability.record(learner_id)
    signed_clr = orjson.loads(portability.render(record, "clr").content)

    def sign() -> None:
        portability._signed = SignedCache()
        portability.signed_clr(record)

    canonicaliser = Canonicaliser(ledger.standards.directory)
    canonicaliser.warm()
    try:
        pooled = DocumentVerifier(ledger, canonicaliser.hashes)
        verdict = pooled.verify(signed_clr)["verdict"]
        signing, sign_ms = rate(sign, args.seconds)
        verifying, verify_ms = rate(lambda: pooled.verify(signed_clr), args.seconds)
        here, here_ms = rate(lambda: DocumentVerifier(ledger).verify(signed_clr),
                             args.seconds / 2)
    finally:
        canonicaliser.close()
    print(f"{'CLR signed (all N+1 proofs), baseline':52} {signing:8.2f}/s  {sign_ms:8.1f} ms")
    print(f"{'CLR verified, worker processes (verdict ' + verdict + ')':52} {verifying:8.2f}/s  "
          f"{verify_ms:8.1f} ms")
    print(f"{'CLR verified, canonicalised in this process':52} {here:8.2f}/s  {here_ms:8.1f} ms")
    print(f"{'  verifying / signing time':52} {verify_ms / sign_ms:8.2f}x")


if __name__ == "__main__":
    main()
