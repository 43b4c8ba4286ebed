#!/usr/bin/env bash
# The pages' gettext catalogues (services/web/locale). `extract` refreshes messages.pot from the
# templates and merges it into each language's messages.po (tests/web/test_catalogues.py fails
# when one is stale or incomplete). The app compiles the .po files in memory at startup, so no
# .mo is committed (`compile` writes them, for inspection only).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
web=services/web
pybabel=.venv/bin/pybabel
case "${1:-extract}" in
  extract)
    "$pybabel" extract -F "$web/babel.cfg" --no-location --sort-output --omit-header \
      -o "$web/locale/messages.pot" "$web"
    for lang in ka en; do
      if [ -f "$web/locale/$lang/LC_MESSAGES/messages.po" ]; then
        "$pybabel" update --no-fuzzy-matching --ignore-obsolete -i "$web/locale/messages.pot" \
          -d "$web/locale" -l "$lang"
      else
        "$pybabel" init -i "$web/locale/messages.pot" -d "$web/locale" -l "$lang"
      fi
    done ;;
  compile)
    "$pybabel" compile -d "$web/locale" --statistics ;;
  *) echo "usage: $0 [extract|compile]" >&2; exit 2 ;;
esac
