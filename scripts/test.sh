#!/usr/bin/env bash
# Runs the whole test suite: installs the project into .venv, starts a throwaway PostgreSQL
# cluster (unless DATABASE_URL is set), lints, and runs pytest three times (see the end).
# Extra arguments go to one pytest run instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/venv.sh

# The PDF transcript prints Georgian names with DejaVu Sans (Debian: fonts-dejavu-core).
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && [ "$(id -u)" = 0 ] \
    && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq fonts-dejavu-core >/dev/null
fi

# ELMO signatures are checked with Debian's xmlsec1 (an outside XML-DSig implementation).
if ! command -v xmlsec1 >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq xmlsec1 >/dev/null
fi

# Outside implementations run on the ledger's documents: Digital Bazaar's @digitalbazaar/vc,
# jsonld.js and rdf-canonize, and the DCC wallet's signing libraries (@digitalcredentials/*)
# under node (Debian: nodejs, npm), pinned by tests/js/package-lock.json.
if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
lock_sum=$(sha256sum tests/js/package-lock.json | cut -d' ' -f1)
if [ "$(cat tests/js/node_modules/.lock-sha256 2>/dev/null)" != "$lock_sum" ]; then
  (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" > tests/js/node_modules/.lock-sha256
fi

# The pages' browser tests drive Debian's Chromium (Playwright with executable_path, never
# `playwright install`) and read the PDF's QR codes with zbarimg (Debian: zbar-tools).
if { ! command -v chromium >/dev/null || ! command -v zbarimg >/dev/null; } \
    && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium zbar-tools >/dev/null
fi
# The local OpenID Provider the sign-in tests log in through (scripts/local-idp.sh, Node's
# oidc-provider), pinned by scripts/idp/package-lock.json; the script would install it on first
# start, done here so that a test session does not wait on npm.
idp_sum=$(sha256sum scripts/idp/package-lock.json | cut -d' ' -f1)
if [ "$(cat scripts/idp/node_modules/.lock-sha256 2>/dev/null)" != "$idp_sum" ]; then
  (cd scripts/idp && npm ci --no-audit --no-fund --loglevel=error)
  echo "$idp_sum" > scripts/idp/node_modules/.lock-sha256
fi
# axe-core for the accessibility tests, pinned by tests/web/axe/package-lock.json.
if [ ! -f tests/web/axe/node_modules/axe-core/axe.min.js ]; then
  (cd tests/web/axe && npm ci --no-audit --no-fund --silent)
fi

started_postgres=""
cleanup() {
  if [ -n "$started_postgres" ]; then bash scripts/local-postgres.sh stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

if [ -z "${DATABASE_URL:-}" ]; then
  line=$(bash scripts/local-postgres.sh start | tail -n 1)
  export "${line?}"
  started_postgres=1
fi

# Exports are signed and validated offline against the standards bodies' artifacts.
export LEDGER_STANDARDS_DIR="${LEDGER_STANDARDS_DIR:-$(cd "$root/.." && pwd)/shared/standards}"

.venv/bin/ruff check .
if [ "$#" -gt 0 ]; then
  exec .venv/bin/pytest "$@"
fi
# The whole suite: the fast tier (unit and SQLite) across every core, then the tests that need
# PostgreSQL alone (each has a database of its own) across every core, then the rest serially
# (they share one broker, the demo data, a browser, or restart what they use). The slowest
# tests are listed.
.venv/bin/pytest -m fast -n auto --durations=10
.venv/bin/pytest -m isolated -n auto --durations=10
.venv/bin/pytest -m "not fast and not isolated" --durations=25
