#!/usr/bin/env bash
# Throwaway local PostgreSQL 15 cluster for tests and benchmarks.
#
#   scripts/local-postgres.sh start    # (re)create + start; last stdout line is DATABASE_URL=...
#   scripts/local-postgres.sh status   # print DATABASE_URL=... and exit 0 if running, else exit 1
#   scripts/local-postgres.sh stop     # fast shutdown; exit 0 if nothing is running
#   scripts/local-postgres.sh restart  # fast shutdown and start over the same data and port
#
# Typical use:  eval "export $(scripts/local-postgres.sh start | tail -n 1)"
#
# Environment:
#   LOCAL_POSTGRES_DIR      state directory (default: <repo>/.cache/local-postgres)
#   LOCAL_POSTGRES_PORT     port to listen on (default: previous port if free, else a free one)
#   LOCAL_POSTGRES_BIN      directory with initdb/pg_ctl/postgres (default: /usr/lib/postgresql/15/bin)
#   LOCAL_POSTGRES_OS_USER  unprivileged OS user that runs the server when invoked as root
#                           (default: postgres; initdb/postgres refuse to run as root)
#
# The cluster is throwaway: every `start` on a stopped cluster wipes and re-initialises it.
# It listens on 127.0.0.1 only, with trust auth, user and database "ledger", fsync left ON.
set -euo pipefail

readonly PROG="${0##*/}"
SCRIPT_PATH="$(readlink -f -- "${BASH_SOURCE[0]}" 2>/dev/null || printf '%s' "${BASH_SOURCE[0]}")"
SCRIPT_DIR="$(cd -- "$(dirname -- "$SCRIPT_PATH")" && pwd -P)"
readonly REPO_DIR="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"

readonly DB_USER=ledger
readonly DB_NAME=ledger
readonly HOST=127.0.0.1

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=lib/ports.sh
source "$SCRIPT_DIR/lib/ports.sh"

usage() {
    cat >&2 <<EOF
usage: $PROG start|stop|status|restart

  start   create a fresh throwaway PostgreSQL 15 cluster and start it (no-op if already
          running); the last line of stdout is DATABASE_URL=postgresql://$DB_USER@$HOST:PORT/$DB_NAME
  stop    stop the cluster (fast shutdown); exits 0 if nothing is running
  status  print DATABASE_URL=... and exit 0 if running, exit 1 otherwise
  restart stop (fast) and start the running cluster again over its data, on the same port

State directory: \${LOCAL_POSTGRES_DIR:-<repo>/.cache/local-postgres}
EOF
}

# Client/server behaviour must not be influenced by the caller's libpq/pg environment.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE PGOPTIONS PGSERVICE \
      PGSERVICEFILE PGSSLMODE PGTARGETSESSIONATTRS PGDATA PGCLUSTER PGAPPNAME 2>/dev/null || true

if [[ $# -ne 1 ]]; then
    usage
    exit 2
fi
CMD="$1"
case "$CMD" in
    start | stop | status | restart) ;;
    -h | --help | help) usage; exit 0 ;;
    *) log "unknown command: $CMD"; usage; exit 2 ;;
esac

# --- binaries -----------------------------------------------------------------------------
find_bin_dir() {
    if [[ -n "${LOCAL_POSTGRES_BIN:-}" ]]; then
        printf '%s\n' "$LOCAL_POSTGRES_BIN"
    elif [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
        printf '%s\n' /usr/lib/postgresql/15/bin
    elif command -v pg_ctl >/dev/null 2>&1; then
        dirname -- "$(readlink -f -- "$(command -v pg_ctl)")"
    else
        printf '%s\n' /usr/lib/postgresql/15/bin
    fi
}
BIN_DIR="$(find_bin_dir)"
readonly BIN_DIR
for b in initdb pg_ctl postgres pg_isready psql; do
    [[ -x "$BIN_DIR/$b" ]] || die "PostgreSQL binary '$b' not found in $BIN_DIR (install PostgreSQL 15 server packages, or set LOCAL_POSTGRES_BIN)"
done
PG_MAJOR="$("$BIN_DIR/postgres" --version | sed -n 's/.* \([0-9][0-9]*\)\..*/\1/p')"
[[ "$PG_MAJOR" == 15 ]] || log "warning: expected PostgreSQL 15, found: $("$BIN_DIR/postgres" --version)"

# --- who runs the server ---------------------------------------------------------------------
OS_USER=""
if [[ "$(id -u)" -eq 0 ]]; then
    OS_USER="${LOCAL_POSTGRES_OS_USER:-postgres}"
    id -u "$OS_USER" >/dev/null 2>&1 ||
        die "running as root, but OS user '$OS_USER' does not exist (initdb refuses root; create it or set LOCAL_POSTGRES_OS_USER)"
    [[ "$(id -u "$OS_USER")" -ne 0 ]] || die "LOCAL_POSTGRES_OS_USER must not be root"
    if command -v runuser >/dev/null 2>&1; then
        RUNAS=(runuser -u "$OS_USER" --)
    elif command -v setpriv >/dev/null 2>&1; then
        RUNAS=(setpriv --reuid="$OS_USER" --regid="$(id -g "$OS_USER")" --init-groups --)
    else
        die "running as root, but neither runuser nor setpriv is available to drop privileges"
    fi
else
    RUNAS=()
fi

# Run a server-side command as the server's OS user, from a directory it can access,
# without inheriting our lock file descriptor (the postmaster would otherwise keep the lock).
as_pg() {
    (
        cd / && cd -- "$RUN_DIR" 2>/dev/null || true
        exec 9>&-
        if [[ ${#RUNAS[@]} -gt 0 ]]; then
            exec "${RUNAS[@]}" env HOME="$RUN_DIR" "$@"
        else
            exec "$@"
        fi
    )
}

# --- state layout ----------------------------------------------------------------------------
#   $STATE_DIR/port            port of the last started cluster
#   $STATE_DIR/.lock           serialises concurrent invocations
#   $STATE_DIR/cluster/        dir owned by the server user: data/, postgres.log, unix socket.
#                              When running as root and the server user cannot reach
#                              $STATE_DIR (e.g. a repo under /root), this is a symlink to a
#                              private mktemp dir under ${TMPDIR:-/tmp} instead.
STATE_DIR="${LOCAL_POSTGRES_DIR:-$REPO_DIR/.cache/local-postgres}"
mkdir -p -- "$STATE_DIR"
STATE_DIR="$(cd -- "$STATE_DIR" && pwd -P)"
readonly STATE_DIR
readonly PORT_FILE="$STATE_DIR/port"
readonly CLUSTER_LINK="$STATE_DIR/cluster"

exec 9>"$STATE_DIR/.lock"
if command -v flock >/dev/null 2>&1; then
    flock -w 120 9 || die "timed out waiting for another $PROG invocation (lock $STATE_DIR/.lock)"
fi

# Resolve the run dir without creating anything (used by status/stop and the running check).
resolve_run_dir() {
    if [[ -L "$CLUSTER_LINK" ]]; then
        readlink -- "$CLUSTER_LINK"
    else
        printf '%s\n' "$CLUSTER_LINK"
    fi
}
RUN_DIR="$(resolve_run_dir)"
DATA_DIR="$RUN_DIR/data"
LOG_FILE="$RUN_DIR/postgres.log"

set_run_dir() {
    RUN_DIR="$1"
    DATA_DIR="$RUN_DIR/data"
    LOG_FILE="$RUN_DIR/postgres.log"
}

can_use_dir() { # can the server user create files in $1?
    as_pg test -d "$1" -a -w "$1" -a -x "$1" 2>/dev/null
}

# Create (or re-create) an empty run dir the server user owns and can reach.
prepare_run_dir() {
    local old_target=""
    if [[ -L "$CLUSTER_LINK" ]]; then
        old_target="$(readlink -- "$CLUSTER_LINK")"
        rm -f -- "$CLUSTER_LINK"
        # Only ever delete our own mktemp dirs.
        if [[ -d "$old_target" && "${old_target##*/}" == local-postgres.* ]]; then
            rm -rf -- "$old_target"
        fi
    elif [[ -e "$CLUSTER_LINK" ]]; then
        rm -rf -- "$CLUSTER_LINK"
    fi
    mkdir -m 0700 -- "$CLUSTER_LINK"
    set_run_dir "$CLUSTER_LINK"
    [[ -n "$OS_USER" ]] || return 0

    chmod 0755 -- "$STATE_DIR" 2>/dev/null || true
    chown -- "$OS_USER:" "$CLUSTER_LINK"
    if can_use_dir "$CLUSTER_LINK"; then
        return 0
    fi
    # Some parent of $STATE_DIR is not traversable by $OS_USER: use a private temp dir.
    rmdir -- "$CLUSTER_LINK"
    local tmp
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/local-postgres.XXXXXXXX")"
    chown -- "$OS_USER:" "$tmp"
    chmod 0700 -- "$tmp"
    if ! can_use_dir "$tmp"; then
        rm -rf -- "$tmp"
        die "OS user '$OS_USER' can access neither $STATE_DIR nor ${TMPDIR:-/tmp}"
    fi
    ln -s -- "$tmp" "$CLUSTER_LINK"
    log "note: '$OS_USER' cannot reach $STATE_DIR; cluster lives in $tmp (symlinked from $CLUSTER_LINK)"
    set_run_dir "$tmp"
}

is_running() {
    [[ -f "$DATA_DIR/PG_VERSION" ]] || return 1
    as_pg "$BIN_DIR/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1
}

current_port() {
    local p=""
    # postmaster.pid line 4 is the port the running server actually uses.
    if [[ -r "$DATA_DIR/postmaster.pid" ]]; then
        p="$(sed -n 4p -- "$DATA_DIR/postmaster.pid" 2>/dev/null || true)"
    fi
    if [[ ! "$p" =~ ^[0-9]+$ && -r "$PORT_FILE" ]]; then
        p="$(tr -dc '0-9' <"$PORT_FILE")"
    fi
    [[ "$p" =~ ^[0-9]+$ ]] || return 1
    printf '%s\n' "$p"
}

print_url() { printf 'DATABASE_URL=postgresql://%s@%s:%s/%s\n' "$DB_USER" "$HOST" "$1" "$DB_NAME"; }

pick_postgres_port() {
    local prev=""
    [[ -r "$PORT_FILE" ]] && prev="$(tr -dc '0-9' <"$PORT_FILE")"
    pick_port LOCAL_POSTGRES_PORT "$prev"
}

show_log_tail() {
    if [[ -r "$LOG_FILE" ]]; then
        log "---- last lines of $LOG_FILE ----"
        tail -n 40 -- "$LOG_FILE" >&2 || true
        log "---- end of log ----"
    fi
}

# Collation C (byte order), character classes of UTF-8 (C.UTF-8): pg_trgm then indexes
# Georgian text as it does Latin (under LC_CTYPE C it takes no trigram from non-ASCII letters).
init_cluster() {
    local port="$1" sockdir="$RUN_DIR" initdb_out
    log "initialising fresh cluster in $DATA_DIR"
    if ! initdb_out="$(as_pg "$BIN_DIR/initdb" -D "$DATA_DIR" -U "$DB_USER" -A trust \
        --encoding=UTF8 --locale=C --lc-ctype=C.UTF-8 --no-instructions 2>&1)"; then
        printf '%s\n' "$initdb_out" >&2
        die "initdb failed"
    fi
    # Unix socket paths are limited to ~107 bytes; skip the socket if the dir is too deep.
    if ((${#sockdir} + 20 > 107)); then
        sockdir=""
    fi
    cat >>"$DATA_DIR/postgresql.conf" <<EOF

# ---- added by scripts/local-postgres.sh (throwaway test cluster) ----
listen_addresses = '$HOST'
port = $port
unix_socket_directories = '$sockdir'
max_connections = 200
shared_buffers = 256MB
fsync = on
EOF
}

cmd_status() {
    if is_running && port="$(current_port)"; then
        print_url "$port"
        return 0
    fi
    log "not running (state dir: $STATE_DIR)"
    return 1
}

cmd_stop() {
    if ! is_running; then
        log "not running (state dir: $STATE_DIR)"
        return 0
    fi
    log "stopping server (data dir: $DATA_DIR)"
    as_pg "$BIN_DIR/pg_ctl" stop -D "$DATA_DIR" -m fast -w -t 60 >&2 || {
        show_log_tail
        die "pg_ctl stop failed"
    }
}

cmd_restart() {
    is_running || die "not running (state dir: $STATE_DIR): 'start' creates a cluster"
    log "restarting server over its data (data dir: $DATA_DIR)"
    as_pg "$BIN_DIR/pg_ctl" restart -D "$DATA_DIR" -m fast -l "$LOG_FILE" -w -t 60 >&2 || {
        show_log_tail
        die "pg_ctl restart failed"
    }
    print_url "$(current_port)"
}

cmd_start() {
    local port
    if is_running && port="$(current_port)"; then
        if [[ -n "${LOCAL_POSTGRES_PORT:-}" && "$LOCAL_POSTGRES_PORT" != "$port" ]]; then
            log "warning: already running on port $port; LOCAL_POSTGRES_PORT=$LOCAL_POSTGRES_PORT ignored (run '$PROG stop' first)"
        else
            log "already running (data dir: $DATA_DIR)"
        fi
        print_url "$port"
        return 0
    fi

    local attempt max_attempts=3
    [[ -n "${LOCAL_POSTGRES_PORT:-}" ]] && max_attempts=1
    for ((attempt = 1; attempt <= max_attempts; attempt++)); do
        port="$(pick_postgres_port)"
        prepare_run_dir # wipes any previous (stopped) cluster
        init_cluster "$port"
        printf '%s\n' "$port" >"$PORT_FILE"
        log "starting PostgreSQL on $HOST:$port (log: $LOG_FILE)"
        if as_pg "$BIN_DIR/pg_ctl" start -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 >&2; then
            break
        fi
        # Lost a race for the port? Retry with another one; otherwise report.
        if ((attempt < max_attempts)) && grep -qi 'address already in use' -- "$LOG_FILE" 2>/dev/null; then
            log "port $port was taken meanwhile, retrying with another port"
            as_pg "$BIN_DIR/pg_ctl" stop -D "$DATA_DIR" -m immediate >/dev/null 2>&1 || true
            continue
        fi
        show_log_tail
        as_pg "$BIN_DIR/pg_ctl" stop -D "$DATA_DIR" -m immediate >/dev/null 2>&1 || true
        die "PostgreSQL failed to start"
    done

    local i
    for ((i = 0; i < 60; i++)); do
        "$BIN_DIR/pg_isready" -q -h "$HOST" -p "$port" -d postgres -U "$DB_USER" -t 2 && break
        sleep 0.5
    done
    if ((i >= 60)); then
        show_log_tail
        as_pg "$BIN_DIR/pg_ctl" stop -D "$DATA_DIR" -m immediate >/dev/null 2>&1 || true
        die "server started but pg_isready never answered on $HOST:$port"
    fi

    if ! "$BIN_DIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$port" -U "$DB_USER" -d postgres \
        -c "CREATE DATABASE $DB_NAME" >&2; then
        show_log_tail
        as_pg "$BIN_DIR/pg_ctl" stop -D "$DATA_DIR" -m fast >/dev/null 2>&1 || true
        die "could not create database $DB_NAME"
    fi
    log "ready"
    print_url "$port"
}

case "$CMD" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    restart) cmd_restart ;;
esac
