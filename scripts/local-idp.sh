#!/usr/bin/env bash
# Throwaway local OpenID Provider for tests and local sign-in: the certified Node library
# `oidc-provider` (scripts/idp, pinned by its package-lock.json), one confidential client, the
# people of scripts/idp/accounts.json, a real login form, PKCE required.
#
#   scripts/local-idp.sh start    # start (no-op if running with the same settings); the last
#                                 # stdout line is OIDC_ISSUER=http://127.0.0.1:PORT
#   scripts/local-idp.sh status   # print OIDC_ISSUER=... and exit 0 if running, else exit 1
#   scripts/local-idp.sh stop     # stop it; exit 0 if nothing is running
#
# Typical use:  eval "export $(scripts/local-idp.sh start | tail -n 1)"
#
# Environment (read by `start`; starting again with other values restarts the provider):
#   LOCAL_IDP_DIR           state directory (default: <repo>/.cache/local-idp)
#   LOCAL_IDP_PORT          port (default: the previous port if free, else a free one)
#   IDP_CLIENT_ID           the client's id (default: ledger)
#   IDP_CLIENT_SECRET       the client's secret (default: ledger-local-secret)
#   IDP_REDIRECT_URIS       its redirect URIs, comma-separated
#                           (default: http://127.0.0.1:8000/signin/callback)
#   IDP_ACCOUNTS            a JSON file of accounts [{login, password, subject, name}]
#                           (default: scripts/idp/accounts.json)
#
# Its state (sessions, codes, tokens, signing key) lives in memory: every start is fresh.
set -euo pipefail

readonly PROG="${0##*/}"
SCRIPT_DIR="$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")" && pwd -P)"
readonly REPO_DIR="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"
readonly IDP_DIR="$SCRIPT_DIR/idp"
readonly HOST=127.0.0.1

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=lib/ports.sh
source "$SCRIPT_DIR/lib/ports.sh"

usage() {
    sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

[[ $# -eq 1 ]] || { usage; exit 2; }
CMD="$1"
case "$CMD" in
    start | stop | status) ;;
    -h | --help | help) usage; exit 0 ;;
    *) log "unknown command: $CMD"; usage; exit 2 ;;
esac

STATE_DIR="${LOCAL_IDP_DIR:-$REPO_DIR/.cache/local-idp}"
mkdir -p -- "$STATE_DIR"
STATE_DIR="$(cd -- "$STATE_DIR" && pwd -P)"
readonly STATE_DIR
readonly PID_FILE="$STATE_DIR/pid" PORT_FILE="$STATE_DIR/port" CONFIG_FILE="$STATE_DIR/config"
readonly LOG_FILE="$STATE_DIR/idp.log"

exec 9>"$STATE_DIR/.lock"
if command -v flock >/dev/null 2>&1; then
    flock -w 60 9 || die "timed out waiting for another $PROG invocation"
fi

CLIENT_ID="${IDP_CLIENT_ID:-ledger}"
CLIENT_SECRET="${IDP_CLIENT_SECRET:-ledger-local-secret}"
REDIRECT_URIS="${IDP_REDIRECT_URIS:-http://127.0.0.1:8000/signin/callback}"
ACCOUNTS="${IDP_ACCOUNTS:-$IDP_DIR/accounts.json}"

is_running() {
    local pid
    [[ -r "$PID_FILE" ]] || return 1
    pid="$(tr -dc '0-9' <"$PID_FILE")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

current_port() { tr -dc '0-9' <"$PORT_FILE"; }
print_issuer() { printf 'OIDC_ISSUER=http://%s:%s\n' "$HOST" "$1"; }

# What a running provider was started with: a start with other settings restarts it.
wanted_config() {
    local accounts_sum
    accounts_sum="$(sha256sum -- "$ACCOUNTS" | cut -d' ' -f1)"
    printf '%s\n' "$CLIENT_ID" "$(printf '%s' "$CLIENT_SECRET" | sha256sum | cut -d' ' -f1)" \
        "$REDIRECT_URIS" "$ACCOUNTS" "$accounts_sum" "${LOCAL_IDP_PORT:-any}"
}

ready() { # the discovery document answers on the port
    python3 - "$1" <<'PY' 2>/dev/null
import json, sys, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/.well-known/openid-configuration"
with urllib.request.urlopen(url, timeout=2) as answer:
    sys.exit(0 if json.load(answer).get("issuer") else 1)
PY
}

pick_idp_port() {
    local prev=""
    [[ -r "$PORT_FILE" ]] && prev="$(current_port)"
    pick_port LOCAL_IDP_PORT "$prev"
}

cmd_stop() {
    if ! is_running; then
        log "not running (state dir: $STATE_DIR)"
        rm -f -- "$PID_FILE"
        return 0
    fi
    local pid i
    pid="$(tr -dc '0-9' <"$PID_FILE")"
    log "stopping the OpenID Provider (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "still running after 10 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f -- "$PID_FILE"
}

cmd_status() {
    if is_running && ready "$(current_port)"; then
        print_issuer "$(current_port)"
        return 0
    fi
    log "not running (state dir: $STATE_DIR)"
    return 1
}

install_packages() {
    command -v node >/dev/null 2>&1 || die "node is needed (Debian: apt-get install nodejs npm)"
    local lock_sum
    lock_sum="$(sha256sum -- "$IDP_DIR/package-lock.json" | cut -d' ' -f1)"
    if [[ "$(cat "$IDP_DIR/node_modules/.lock-sha256" 2>/dev/null)" != "$lock_sum" ]]; then
        log "installing oidc-provider (npm ci in $IDP_DIR)"
        (cd -- "$IDP_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
        printf '%s\n' "$lock_sum" >"$IDP_DIR/node_modules/.lock-sha256"
    fi
}

cmd_start() {
    [[ -r "$ACCOUNTS" ]] || die "no accounts file at $ACCOUNTS"
    local config port pid i
    config="$(wanted_config)"
    if is_running; then
        port="$(current_port)"
        if [[ "$(cat "$CONFIG_FILE" 2>/dev/null)" == "$config" ]] && ready "$port"; then
            log "already running"
            print_issuer "$port"
            return 0
        fi
        log "running with other settings: restarting"
        cmd_stop
    fi
    install_packages
    port="$(pick_idp_port)"
    printf '%s\n' "$port" >"$PORT_FILE"
    printf '%s\n' "$config" >"$CONFIG_FILE"
    log "starting the OpenID Provider on $HOST:$port (log: $LOG_FILE)"
    # Its own session, so it outlives this script and a Ctrl-C of the caller's shell.
    IDP_PORT="$port" IDP_CLIENT_ID="$CLIENT_ID" IDP_CLIENT_SECRET="$CLIENT_SECRET" \
        IDP_REDIRECT_URIS="$REDIRECT_URIS" IDP_ACCOUNTS="$ACCOUNTS" \
        setsid node "$IDP_DIR/server.mjs" >"$LOG_FILE" 2>&1 < /dev/null 9>&- &
    pid=$!
    printf '%s\n' "$pid" >"$PID_FILE"
    for ((i = 0; i < 300; i++)); do
        ready "$port" && break
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 -- "$LOG_FILE" >&2 || true
            rm -f -- "$PID_FILE"
            die "the OpenID Provider exited while starting"
        fi
        sleep 0.1
    done
    if ! ready "$port"; then
        tail -n 30 -- "$LOG_FILE" >&2 || true
        cmd_stop
        die "the OpenID Provider did not answer on $HOST:$port within 30 s"
    fi
    log "ready"
    print_issuer "$port"
}

case "$CMD" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
esac
