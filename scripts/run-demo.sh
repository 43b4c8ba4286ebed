#!/usr/bin/env bash
# Runs the ledger on the embedded default (SQLite under ./var, no Kafka), seeded with demo data
# on first start, with the API on http://127.0.0.1:8000 (docs at /docs). Ctrl-C stops it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/venv.sh"
cd "$root"
exec .venv/bin/ledger serve --demo --data-dir "${LEDGER_DATA_DIR:-var}" "$@"
