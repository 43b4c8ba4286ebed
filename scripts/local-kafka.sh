#!/usr/bin/env bash
# Run a throwaway single-node Apache Kafka broker (KRaft, combined
# broker+controller) on 127.0.0.1 from Maven Central jars, for local tests.
#
#   scripts/local-kafka.sh start    start it (or find it running); the LAST line
#                                   of stdout is KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:PORT
#   scripts/local-kafka.sh stop     stop it (SIGTERM, SIGKILL after 30 s); 0 if none runs
#   scripts/local-kafka.sh status   print the line and exit 0 if running, else exit 1
#
# Needs java (17+) and, on the first run only, mvn with access to Maven Central:
# the jars are copied into <repo>/.cache/kafka/lib and reused afterwards.
#
# Environment:
#   LOCAL_KAFKA_DIR            state dir (default <repo>/.cache/local-kafka); wiped
#                              and re-formatted on every fresh start
#   LOCAL_KAFKA_PORT           client port (default: a free port)
#   LOCAL_KAFKA_CONTROLLER_PORT controller port (default: a free port)
#   LOCAL_KAFKA_START_TIMEOUT  seconds to wait for the broker (default 90)
#   LOCAL_KAFKA_HEAP           max heap (default 512m)
#   PYTHON                     python for the readiness check (default python3); with
#                              kafka-python importable the check lists topics,
#                              otherwise it is a TCP check plus the broker log
#   JAVA, MVN                  commands to use (default java, mvn)
# Progress goes to stderr.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_SCRIPTS="$REPO_DIR/scripts/kafka"
CACHE_DIR="$REPO_DIR/.cache/kafka"
LIB_DIR="$CACHE_DIR/lib"
LIB_STAMP="$LIB_DIR/.resolved"
STATE_DIR="${LOCAL_KAFKA_DIR:-$REPO_DIR/.cache/local-kafka}"
STATE_MARKER="$STATE_DIR/.local-kafka-state"
PID_FILE="$STATE_DIR/kafka.pid"
LINE_FILE="$STATE_DIR/bootstrap.env"
LOG_FILE="$STATE_DIR/kafka.log"
PROPS_FILE="$STATE_DIR/server.properties"
LOG4J_CONFIG="$KAFKA_SCRIPTS/log4j2.xml"
START_TIMEOUT="${LOCAL_KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT=30
HEAP="${LOCAL_KAFKA_HEAP:-512m}"
PYTHON="${PYTHON:-python3}"
JAVA="${JAVA:-java}"
MVN="${MVN:-mvn}"

log() { printf 'local-kafka: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    cat <<EOF
usage: $(basename "$0") start|stop|status

  start   start a single-node Kafka broker on 127.0.0.1 (or find it running);
          the last line of stdout is KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:PORT
  stop    stop the broker (exit 0 if none runs)
  status  print the line and exit 0 if the broker runs, else exit 1

state dir: ${STATE_DIR}  (set LOCAL_KAFKA_DIR to change it)
EOF
}

# --- process bookkeeping -------------------------------------------------

broker_pid() {
    # Print the pid of the running broker of this state dir; fail if none.
    local pid
    [[ -f "$PID_FILE" ]] || return 1
    pid="$(<"$PID_FILE")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # guard against a recycled pid: the process must be our broker
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
    printf '%s\n' "$pid"
}

lock() {
    # Serialise start/stop of one state dir (the lock lives outside it, as
    # the state dir is wiped on start).
    mkdir -p "$(dirname "$STATE_DIR")"
    exec 9>"${STATE_DIR%/}.lock"
    flock -w 120 9 || die "another local-kafka start/stop holds ${STATE_DIR%/}.lock"
}

# --- jars ----------------------------------------------------------------

pom_hash() { sha256sum "$KAFKA_SCRIPTS/pom.xml" | cut -d' ' -f1; }

resolve_jars() {
    local want
    want="$(pom_hash)"
    if [[ -f "$LIB_STAMP" && "$(<"$LIB_STAMP")" == "$want" ]]; then
        return 0
    fi
    command -v "$MVN" >/dev/null || die "mvn not found; it is needed once to fetch the Kafka jars"
    log "fetching Kafka jars from Maven Central into $LIB_DIR (first run only)"
    local tmp="$CACHE_DIR/lib.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$CACHE_DIR"
    # (mvn's output goes to a log, shown on failure: Debian's mvn 3.8 prints
    # stray ANSI resets even with -q -B)
    if ! "$MVN" -q -B -f "$KAFKA_SCRIPTS/pom.xml" -Dkafka.lib.dir="$tmp" \
            dependency:copy-dependencies >"$CACHE_DIR/mvn.log" 2>&1; then
        sed 's/\x1b\[[0-9;]*m//g' "$CACHE_DIR/mvn.log" >&2
        rm -rf "$tmp"
        die "mvn could not fetch the Kafka jars (log: $CACHE_DIR/mvn.log)"
    fi
    compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || { rm -rf "$tmp"; die "no kafka_2.13 jar after mvn"; }
    printf '%s\n' "$want" >"$tmp/.resolved"
    rm -rf "$LIB_DIR"
    mv "$tmp" "$LIB_DIR"
    rm -rf "$CACHE_DIR/target"
}

# --- start ----------------------------------------------------------------

free_ports() {
    # Print two distinct free TCP ports on 127.0.0.1.
    python3 - <<'EOF'
import socket
socks = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}

cluster_id() {
    # Kafka's Uuid text form: URL-safe base64 of 16 random bytes, no padding
    # (what `kafka-storage.sh random-uuid` prints).
    python3 - <<'EOF'
import base64, uuid
while True:
    text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not text.startswith("-"):
        print(text)
        break
EOF
}

port_open() {
    python3 - "$1" <<'EOF'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)
EOF
}

wipe_state() {
    if [[ -d "$STATE_DIR" ]]; then
        if [[ -f "$STATE_MARKER" ]] || [[ -z "$(ls -A "$STATE_DIR")" ]]; then
            rm -rf "$STATE_DIR"
        else
            die "$STATE_DIR exists and is not a local-kafka state dir; refusing to wipe it"
        fi
    fi
    mkdir -p "$STATE_DIR"
    : >"$STATE_MARKER"
}

write_properties() {
    local port="$1" cport="$2"
    cat >"$PROPS_FILE" <<EOF
# generated by scripts/local-kafka.sh; throwaway single-node KRaft broker
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${cport}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${cport}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${STATE_DIR}/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
EOF
}

java_cmd() {
    # java_cmd MAIN_CLASS ARGS... -> the java command line
    printf '%s\0' "$JAVA" "-Xmx$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$LOG4J_CONFIG" \
        -Dkafka.logs.dir="$STATE_DIR" \
        -cp "$LIB_DIR/*" "$@"
}

broker_ready() {
    # 0: ready, 1: not yet. Admin client check when kafka-python is importable,
    # else TCP plus the broker's "started" log line.
    local port="$1" rc=0
    port_open "$port" || return 1
    if [[ "${_use_tcp_check:-}" != 1 ]]; then
        timeout 20 "$PYTHON" "$KAFKA_SCRIPTS/readiness_check.py" "127.0.0.1:$port" 2>/dev/null || rc=$?
        case "$rc" in
            0) return 0 ;;
            3|127) _use_tcp_check=1
               log "kafka-python not importable with $PYTHON; using TCP + log check" ;;
            *) return 1 ;;
        esac
    fi
    grep -q 'Kafka Server started' "$LOG_FILE" 2>/dev/null
}

fail_start() {
    log "error: $*"
    if [[ -f "$LOG_FILE" ]]; then
        log "last lines of $LOG_FILE:"
        tail -n 40 "$LOG_FILE" >&2 || true
    fi
    do_stop >/dev/null 2>&1 || true
    exit 1
}

do_start() {
    local pid
    if pid="$(broker_pid)"; then
        log "already running (pid $pid)"
        cat "$LINE_FILE"
        return 0
    fi
    command -v "$JAVA" >/dev/null || die "java not found"
    command -v python3 >/dev/null || die "python3 not found"
    resolve_jars

    local port cport ports
    ports="$(free_ports)"
    port="${LOCAL_KAFKA_PORT:-${ports%% *}}"
    cport="${LOCAL_KAFKA_CONTROLLER_PORT:-${ports##* }}"
    [[ "$port" != "$cport" ]] || cport="${ports%% *}"
    if port_open "$port"; then die "port $port is already in use"; fi

    wipe_state
    write_properties "$port" "$cport"

    local -a format_cmd start_cmd
    mapfile -d '' format_cmd < <(java_cmd kafka.tools.StorageTool format \
        -t "$(cluster_id)" -c "$PROPS_FILE")
    mapfile -d '' start_cmd < <(java_cmd kafka.Kafka "$PROPS_FILE")

    log "formatting $STATE_DIR/data"
    if ! "${format_cmd[@]}" >"$STATE_DIR/format.log" 2>&1; then
        cat "$STATE_DIR/format.log" >&2
        die "formatting the storage failed"
    fi

    log "starting Kafka on 127.0.0.1:$port (controller $cport), log: $LOG_FILE"
    # setsid -f: detached from this shell (own session, reparented to init);
    # the child writes its own pid and then becomes java.
    # shellcheck disable=SC2016  # expanded by the inner bash
    setsid -f bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" "${start_cmd[@]}" \
        >"$LOG_FILE" 2>&1 </dev/null 9>&-  # the broker must not hold the lock fd
    printf 'KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:%s\n' "$port" >"$LINE_FILE"

    local deadline=$((SECONDS + START_TIMEOUT)) started=$SECONDS
    while [[ ! -s "$PID_FILE" ]]; do
        ((SECONDS < deadline)) || fail_start "broker process did not start"
        sleep 0.1
    done
    while :; do
        broker_pid >/dev/null || fail_start "broker exited during start-up"
        if broker_ready "$port"; then break; fi
        ((SECONDS < deadline)) || fail_start "broker not ready after ${START_TIMEOUT}s"
        sleep 0.5
    done
    log "ready after $((SECONDS - started))s (pid $(<"$PID_FILE"))"
    cat "$LINE_FILE"
}

# --- stop / status ------------------------------------------------------------

do_stop() {
    local pid
    if ! pid="$(broker_pid)"; then
        rm -f "$PID_FILE"
        log "not running"
        return 0
    fi
    log "stopping broker (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "still running after ${STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 10))
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    fi
    rm -f "$PID_FILE"
    log "stopped"
}

do_status() {
    local pid
    if pid="$(broker_pid)"; then
        cat "$LINE_FILE"
        return 0
    fi
    log "not running"
    return 1
}

main() {
    if (($# != 1)); then
        usage >&2
        exit 2
    fi
    case "$1" in
        start) lock; do_start ;;
        stop) lock; do_stop ;;
        status) do_status ;;
        -h|--help|help) usage ;;
        *) usage >&2; exit 2 ;;
    esac
}

main "$@"
