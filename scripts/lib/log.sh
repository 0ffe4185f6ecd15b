# shellcheck shell=bash
# Logging helpers for upfleet scripts. Everything goes to stderr so that a
# script's stdout stays machine-readable (e.g. `eval "$(scripts/services up)"`).
#
# Source it; it defines functions only and changes no shell options.

[[ -n "${_UPFLEET_LIB_LOG_SH:-}" ]] && return 0
_UPFLEET_LIB_LOG_SH=1

# upfleet_log MESSAGE... — progress line on stderr, prefixed with the script name.
upfleet_log() {
  printf '%s: %s\n' "${UPFLEET_LOG_PREFIX:-${0##*/}}" "$*" >&2
}

# upfleet_warn MESSAGE... — like upfleet_log, marked as a warning.
upfleet_warn() {
  printf '%s: warning: %s\n' "${UPFLEET_LOG_PREFIX:-${0##*/}}" "$*" >&2
}

# upfleet_die MESSAGE... — print an error on stderr and exit 1.
upfleet_die() {
  printf '%s: error: %s\n' "${UPFLEET_LOG_PREFIX:-${0##*/}}" "$*" >&2
  exit 1
}

# upfleet_log_tail FILE [LINES] — show the end of a log file on stderr, to go
# with an error message ("it did not start; here is why").
upfleet_log_tail() {
  local file="$1" lines="${2:-30}"
  [[ -s "$file" ]] || return 0
  printf -- '--- last %s lines of %s ---\n' "$lines" "$file" >&2
  tail -n "$lines" -- "$file" >&2 || true
  printf -- '---\n' >&2
}
