"""Runs tests/js/canonize.mjs: Digital Bazaar's jsonld.js and rdf-canonize, the canonicaliser
that outside verifiers use, as the reference our canonical forms and proofs must match."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

JS = Path(__file__).parent / "js"


def reference(request: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "node is needed for the reference implementation (tests/js)"
    assert (JS / "node_modules" / "rdf-canonize").is_dir(), \
        "run `npm ci` in tests/js (scripts/test.sh does)"
    done = subprocess.run([node, str(JS / "canonize.mjs")], input=json.dumps(request).encode(),
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)
