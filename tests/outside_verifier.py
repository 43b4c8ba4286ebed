"""Digital Bazaar's verifier (@digitalbazaar/vc with the eddsa-rdfc-2022 cryptosuite, npm
packages in tests/js) run on documents of a served ledger, all in one node process: contexts
from the standards folder, did:web DIDs and status lists fetched from the ledger over http."""

import json
import shutil
import subprocess
import tempfile
from typing import Any

from tests.conftest import ROOT, STANDARDS

JS = ROOT / "tests" / "js"


def verify_all(documents: dict[str, Any], origin: str, timeout: float = 600
               ) -> dict[str, dict[str, Any]]:
    """Each document's result by name: {"verified": bool, "error"?: str, "status"?: {...}}."""
    node = shutil.which("node")
    assert node, "node is not installed (scripts/test.sh installs it)"
    assert (JS / "node_modules" / "@digitalbazaar" / "vc").is_dir(), \
        "run `npm ci` in tests/js (scripts/test.sh does)"
    payload = {"standards": str(STANDARDS), "origin": origin,
               "documents": [{"name": n, "document": d} for n, d in documents.items()]}
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as file:
        json.dump(payload, file, ensure_ascii=False)
        file.flush()
        done = subprocess.run([node, str(JS / "verify.mjs"), file.name], cwd=JS,
                              capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    results = {r["name"]: r for r in json.loads(done.stdout)}
    assert set(results) == set(documents)
    return results


def one_byte_changed(document: dict[str, Any]) -> dict[str, Any]:
    """A copy whose serialised form differs in one byte: the last digit of the top-level
    `validFrom` (still a valid date in the past)."""
    text = json.dumps(document, ensure_ascii=False)
    at = text.index('"validFrom": "') + len('"validFrom": "') + len("2025-01-01T00:00:0")
    digit = text[at]
    assert digit.isdigit(), text[at - 20:at + 5]
    changed = text[:at] + ("1" if digit == "0" else "0") + text[at + 1:]
    assert len(changed.encode()) == len(text.encode())
    return json.loads(changed)
