# shellcheck shell=bash
# Port helpers: find a free loopback port, check whether something listens.
#
# Source it; it defines functions only and changes no shell options.

[[ -n "${_UPFLEET_LIB_PORTS_SH:-}" ]] && return 0
_UPFLEET_LIB_PORTS_SH=1

# upfleet_port_open HOST PORT — true when a TCP connect to HOST:PORT succeeds
# within a second. Uses bash's /dev/tcp, so it needs no extra tool.
upfleet_port_open() {
  local host="$1" port="$2"
  # shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments.
  timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null
}

# upfleet_free_port [HOST] — print a TCP port on HOST (default 127.0.0.1) that
# nothing listens on right now. The kernel picks it (bind to port 0), so two
# callers get different ports; like any "find a free port" helper it can race
# with another process binding the same port before we do.
upfleet_free_port() {
  local host="${1:-127.0.0.1}" port attempt
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$host" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((sys.argv[1], 0))
print(s.getsockname()[1])
s.close()
PY
    return
  fi
  # No python3: probe random ports from the ephemeral range.
  for attempt in $(seq 1 100); do
    port=$((32768 + (RANDOM * 32768 + RANDOM) % 28000))
    if ! upfleet_port_open "$host" "$port"; then
      printf '%s\n' "$port"
      return 0
    fi
    : "$attempt"
  done
  return 1
}

# upfleet_port_free HOST PORT — true when nothing listens on HOST:PORT and it
# can be bound (used to reuse a recorded port on restart).
upfleet_port_free() {
  local host="$1" port="$2"
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$host" "$port" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.close()
PY
    return
  fi
  ! upfleet_port_open "$host" "$port"
}
