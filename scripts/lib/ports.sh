# Ports for the local-*.sh service scripts (sourced; they define die()).

port_is_free() { # PORT: nothing listens on 127.0.0.1:PORT
    python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

# pick_port NAME PREVIOUS: the port in the variable NAME when it is set (it must be free), else
# PREVIOUS when it is still free (so a URL exported earlier stays valid), else any free port.
pick_port() {
    local name="$1" prev="${2:-}" wanted="${!1:-}"
    if [[ -n "$wanted" ]]; then
        [[ "$wanted" =~ ^[0-9]+$ && "$wanted" -ge 1 && "$wanted" -le 65535 ]] ||
            die "$name must be a port number, got '$wanted'"
        port_is_free "$wanted" || die "$name=$wanted is already in use on 127.0.0.1"
        printf '%s\n' "$wanted"
        return
    fi
    if [[ "$prev" =~ ^[0-9]+$ && "$prev" -ge 1024 && "$prev" -le 65535 ]] && port_is_free "$prev"; then
        printf '%s\n' "$prev"
        return
    fi
    command -v python3 >/dev/null 2>&1 || die "python3 is needed to pick a free port (or set $name)"
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
