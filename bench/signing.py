"""Cost of an eddsa-rdfc-2022 signature on an OB 3.0-sized credential, and how much of it is
RDFC-1.0 canonicalisation, in one run:

  sign          data_integrity.sign (canonicalise proof options + document, hash, Ed25519)
  canonicalise  data_integrity.canonicalise(document) alone
  verify        data_integrity.verify
  cold          canonicalise with a fresh Standards each time (no context cache: what every
                call would cost if the parsed contexts were not kept)

Documents: an OB 3.0 credential shaped like the ledger's export (tests/documents.py), 1EdTech's
full OB 3.0 example (a rich one, with nested endorsements) and 1EdTech's test vector (minimal).
Each figure is the median of --repeat calls, with the fastest beside it: on a shared machine
the fastest is the uncontended cost. Figures, never assertions.
"""

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from ledger.config import Settings
from ledger.signing import data_integrity, did_key
from ledger.standards import Standards
from ledger.urls import PublicUrls
from tests.documents import achievement_credential

CREATED = "2025-03-01T12:00:00Z"


Key = did_key.EphemeralKey


def per_call_ms(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, fastest) milliseconds per call."""
    call()  # warm
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), min(samples)


def measure(name: str, document: dict, folder: Path, repeat: int) -> None:
    standards = Standards(folder)
    key = Key()
    signed = data_integrity.sign(document, key, CREATED, standards)
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    sign = per_call_ms(lambda: data_integrity.sign(unsigned, key, CREATED, standards), repeat)
    canon = per_call_ms(lambda: data_integrity.canonicalise(unsigned, standards), repeat)
    verify = per_call_ms(lambda: data_integrity.verify(signed, standards), repeat)
    cold = per_call_ms(lambda: data_integrity.canonicalise(unsigned, Standards(folder)),
                       max(3, repeat // 10))
    size = len(json.dumps(unsigned, ensure_ascii=False).encode())
    quads = data_integrity.canonicalise(unsigned, standards).count("\n")
    print(f"{name}: {size:,} bytes, {quads} quads        median    fastest")
    print(f"  sign          {sign[0]:7.2f} ms {sign[1]:7.2f} ms   "
          f"({1000 / sign[0]:,.0f}/s on one core)")
    print(f"  canonicalise  {canon[0]:7.2f} ms {canon[1]:7.2f} ms   "
          f"({canon[0] / sign[0]:.0%} of sign; sign also canonicalises the proof options)")
    print(f"  verify        {verify[0]:7.2f} ms {verify[1]:7.2f} ms")
    print(f"  cold          {cold[0]:7.2f} ms {cold[1]:7.2f} ms   "
          f"(canonicalise without the context cache: {cold[0] / canon[0]:.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=100, help="timed calls per figure")
    parser.add_argument("--standards", type=Path, default=None,
                        help="standards folder (default: LEDGER_STANDARDS_DIR / settings)")
    args = parser.parse_args()
    folder = args.standards or Settings().standards_path
    ours = achievement_credential(PublicUrls("https://ledger.example.ge"), "c-1", "p-1", 4242)
    measure("OB 3.0 as the ledger exports it", ours, folder, args.repeat)
    full = json.loads((folder / "examples/ob3-achievementcredential-full.json").read_text())
    vector = json.loads((folder / "vectors/eddsa-rdfc-2022/signed-ob.json").read_text())
    measure("OB 3.0 full example", full, folder, args.repeat)
    measure("OB 3.0 test vector", vector, folder, args.repeat)


if __name__ == "__main__":
    main()
