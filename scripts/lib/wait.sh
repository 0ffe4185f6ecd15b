# shellcheck shell=bash
# Waiting and process helpers: poll a condition with a deadline, stop a
# process we started (TERM, then KILL).
#
# Source it; it defines functions only and changes no shell options.

[[ -n "${_UPFLEET_LIB_WAIT_SH:-}" ]] && return 0
_UPFLEET_LIB_WAIT_SH=1

# upfleet_wait_until TIMEOUT_SECONDS INTERVAL_SECONDS COMMAND [ARGS...]
# Run COMMAND until it succeeds or TIMEOUT_SECONDS have passed. Returns 0 on
# success, 1 on timeout. COMMAND's output is left alone (redirect it yourself).
upfleet_wait_until() {
  local timeout="$1" interval="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  while true; do
    if "$@"; then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep "$interval"
  done
}

# upfleet_pid_alive PID — true when PID is a running (non-zombie) process.
upfleet_pid_alive() {
  local pid="$1" state
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  [[ "$state" != "Z" ]]
}

# upfleet_pid_matches PID NEEDLE — true when PID is alive and its command line
# contains NEEDLE. Guards against signalling an unrelated process that reused
# a PID we recorded earlier.
upfleet_pid_matches() {
  local pid="$1" needle="$2" cmdline
  upfleet_pid_alive "$pid" || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *"$needle"* ]]
}

# upfleet_stop_pid PID [GRACE_SECONDS] — send TERM, wait up to GRACE_SECONDS
# (default 20) for the process to exit, then KILL it. Returns 0 once it is gone.
upfleet_stop_pid() {
  local pid="$1" grace="${2:-20}"
  upfleet_pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  if upfleet_wait_until "$grace" 0.2 _upfleet_pid_gone "$pid"; then
    return 0
  fi
  kill -KILL "$pid" 2>/dev/null || true
  upfleet_wait_until 10 0.1 _upfleet_pid_gone "$pid"
}

_upfleet_pid_gone() { ! upfleet_pid_alive "$1"; }
