#!/usr/bin/env bash
# Runs the ledger on the embedded default (SQLite under ./var, no Kafka), seeded with demo data
# on first start, with the public pages on http://127.0.0.1:8000/ and the API under /v1 (docs
# at /docs). Ctrl-C stops it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/venv.sh"
cd "$root"
data="${LEDGER_DATA_DIR:-var}"
# Exports are signed offline against a cache of the standards' contexts and schemas: use the
# one beside the checkout if there is one, else download it once (needs the internet).
if [ -z "${LEDGER_STANDARDS_DIR:-}" ] && [ ! -f "$data/standards/contexts/index.json" ]; then
  if [ -f "$root/../shared/standards/contexts/index.json" ]; then
    export LEDGER_STANDARDS_DIR="$root/../shared/standards"
  elif ! .venv/bin/ledger standards pull --dir "$data/standards"; then
    echo "run-demo.sh: no standards cache: exports answer 503 until 'ledger standards pull'" \
         "succeeds" >&2
  fi
fi
exec .venv/bin/ledger serve --demo --data-dir "$data" "$@"
