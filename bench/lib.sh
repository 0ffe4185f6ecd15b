# shellcheck shell=bash
# Shared helpers for upfleet's benchmarks: wall-clock timing, peak RSS and CPU
# time of processes (from /proc, or from /usr/bin/time for commands we run to
# completion), medians and ratios.
#
#   source bench/lib.sh
#
# Source it; it defines functions only and changes no shell options. Numbers
# are printed with awk, so callers need no bc. A benchmark script starts with
#
#   set -euo pipefail
#   # shellcheck source=bench/lib.sh
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   bench_init LOG_PREFIX

[[ -n "${_UPFLEET_BENCH_LIB_SH:-}" ]] && return 0
_UPFLEET_BENCH_LIB_SH=1

# bench_now — seconds since the epoch with microseconds (bash's EPOCHREALTIME,
# so no process is spawned inside a timed region).
bench_now() {
  printf '%s\n' "${EPOCHREALTIME/,/.}"
}

# bench_calc EXPRESSION — evaluate an awk arithmetic expression, print it with
# 3 decimals. bench_calc '1/3' -> 0.333
bench_calc() {
  awk "BEGIN { printf \"%.3f\\n\", ($1) }"
}

# bench_median NUMBER... — the median (mean of the middle two for an even
# count); "n/a" when no number is given. Non-numeric arguments are ignored.
bench_median() {
  printf '%s\n' "$@" | awk '
    $1 ~ /^-?[0-9]+(\.[0-9]+)?$/ { v[n++] = $1 + 0 }
    END {
      if (n == 0) { print "n/a"; exit }
      for (i = 1; i < n; i++) {  # insertion sort: a handful of runs
        x = v[i]
        for (j = i - 1; j >= 0 && v[j] > x; j--) v[j + 1] = v[j]
        v[j + 1] = x
      }
      m = (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
      printf "%.3f\n", m
    }'
}

# bench_ratio A B [DECIMALS] — A / B, or "n/a" when either is missing or B is 0.
bench_ratio() {
  awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN {
    if (a !~ /^-?[0-9.]+$/ || b !~ /^-?[0-9.]+$/ || b + 0 == 0) { print "n/a"; exit }
    printf "%.*f\n", d, a / b
  }'
}

# bench_clock_ticks — kernel clock ticks per second (the unit of utime/stime).
bench_clock_ticks() {
  [[ -n "${_bench_clk_tck:-}" ]] || _bench_clk_tck="$(getconf CLK_TCK)"
  printf '%s\n' "$_bench_clk_tck"
}

# bench_proc_cpu_seconds PID — user + system CPU seconds PID has used so far
# (fields 14 and 15 of /proc/PID/stat; counted after the ")" that ends the
# command name, which may contain spaces).
bench_proc_cpu_seconds() {
  local stat rest
  stat="$(cat "/proc/$1/stat")" || return 1
  rest="${stat##*) }"
  # rest starts at field 3 (state): utime is field 14 -> index 11 here.
  awk -v ticks="$(bench_clock_ticks)" '{ printf "%.3f\n", ($12 + $13) / ticks }' <<<"$rest"
}

# bench_proc_peak_rss_kib PID — peak resident set size (VmHWM) in KiB.
bench_proc_peak_rss_kib() {
  awk '$1 == "VmHWM:" { print $2; found = 1 } END { exit !found }' "/proc/$1/status"
}

# bench_proc_rss_kib PID — current resident set size (VmRSS) in KiB.
bench_proc_rss_kib() {
  awk '$1 == "VmRSS:" { print $2; found = 1 } END { exit !found }' "/proc/$1/status"
}

# bench_time OUT_FILE COMMAND [ARGS...] — run COMMAND under /usr/bin/time and
# write "peak_rss_kib user_s sys_s wall_s" to OUT_FILE. Returns COMMAND's exit
# status. (GNU time reports the peak RSS of the command itself; children the
# command waited for are included by the kernel's rusage accounting.)
bench_time() {
  local out="$1"
  shift
  /usr/bin/time -f '%M %U %S %e' -o "$out" "$@"
}

# bench_time_fields OUT_FILE — the last line of a bench_time file (time adds a
# "Command exited with non-zero status" line before it on failure).
bench_time_fields() {
  tail -n 1 -- "$1"
}

# bench_free_kib DIR — free space (KiB) on the file system that holds DIR.
bench_free_kib() {
  df -Pk -- "$1" | awk 'NR == 2 { print $4 }'
}

# bench_load — the load averages, for the record ("1.23 0.98 0.77").
bench_load() {
  awk '{ print $1, $2, $3 }' /proc/loadavg
}

# bench_machine — one line describing the machine: cores, memory, kernel.
bench_machine() {
  local mem_gib
  mem_gib="$(awk '$1 == "MemTotal:" { printf "%.1f", $2 / 1048576 }' /proc/meminfo)"
  printf '%s cores, %s GiB RAM, Linux %s, %s\n' "$(nproc)" "$mem_gib" "$(uname -r)" \
    "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
}

# --- set-up shared by the benchmark scripts ---------------------------------------------------
# These die through upfleet_die (scripts/lib/log.sh), which bench_init sources.

# bench_init LOG_PREFIX — the start every benchmark script shares: sets REPO (the repository,
# exported as UPFLEET_REPO for scripts/lib), logs with LOG_PREFIX, sources scripts/lib's
# install, build, ports and wait helpers (and so log.sh), and sets KAFKA_TOOL_OPTS (JVM options
# for Kafka's command-line tools) and SERVICES_UP=0 (see bench_services_up).
# shellcheck disable=SC2034 # REPO, KAFKA_TOOL_OPTS and SERVICES_UP are read by the caller
bench_init() {
  REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  export UPFLEET_REPO="$REPO"
  UPFLEET_LOG_PREFIX="$1"
  # shellcheck source=scripts/lib/install.sh
  source "$REPO/scripts/lib/install.sh"
  # shellcheck source=scripts/lib/build.sh
  source "$REPO/scripts/lib/build.sh"
  # shellcheck source=scripts/lib/ports.sh
  source "$REPO/scripts/lib/ports.sh"
  # shellcheck source=scripts/lib/wait.sh
  source "$REPO/scripts/lib/wait.sh"
  KAFKA_TOOL_OPTS=(-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true)
  SERVICES_UP=0
}

# bench_services_up — start Kafka and the S3 server (scripts/services) with their state in
# BENCH_DIR/services, never the caller's UPFLEET_SERVICES_DIR (`down` removes it), and export
# their settings (UPFLEET_KAFKA_BROKERS, UPFLEET_S3_*...). Sets SERVICES_UP=1 first, so that
# bench_services_down also stops a half-started set.
bench_services_up() {
  export UPFLEET_SERVICES_DIR="$BENCH_DIR/services"
  SERVICES_UP=1
  eval "$("$REPO/scripts/services" up)"
}

# bench_services_down — stop what bench_services_up started, if it did (for cleanup traps).
bench_services_down() {
  if ((SERVICES_UP)); then "$REPO/scripts/services" down >&2 || true; fi
}

# bench_create_topics PREFIX TAG SPEC... — create the topics PREFIX.TAG.NAME at once, one per
# SPEC "NAME PARTITIONS [CONFIG]" (e.g. "status 6 cleanup.policy=compact"); their logs go to
# WORK/logs/topic-TAG-NAME.log. Dies, showing the jobs topic's log, if any of them fails.
bench_create_topics() {
  local prefix="$1" tag="$2" spec name partitions config pid pids=() rc=0
  shift 2
  for spec in "$@"; do
    read -r name partitions config <<<"$spec"
    java "${KAFKA_TOOL_OPTS[@]}" -cp "$UPFLEET_KAFKA_CLASSPATH" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "$UPFLEET_KAFKA_BROKERS" --create --topic "$prefix.$tag.$name" \
      --partitions "$partitions" ${config:+--config "$config"} >"$WORK/logs/topic-$tag-$name.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  ((rc == 0)) || {
    upfleet_log_tail "$WORK/logs/topic-$tag-jobs.log" 20
    upfleet_die "creating the topics $prefix.$tag.* failed (logs in $WORK/logs)"
  }
}

# bench_usage [STATUS] — print the running script's header comment (line 2 up to
# `set -euo`) as its usage, and exit with STATUS (2 by default).
bench_usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[-1]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit "${1:-2}"
}

# bench_parse_args [--report CSV... | -h | --help] — the scripts' command line. Sets
# REPORT_FROM: the raw CSVs to summarise instead of measuring (empty: measure).
# shellcheck disable=SC2034 # REPORT_FROM is read by the calling script
bench_parse_args() {
  REPORT_FROM=()
  case "${1:-}" in
    "") ;;
    --report)
      shift
      (($# > 0)) || bench_usage
      REPORT_FROM=("$@")
      ;;
    -h | --help) bench_usage 0 ;;
    *) bench_usage ;;
  esac
}

# bench_require_positive VAR... — die unless each variable holds a positive integer (the
# message names BENCH_VAR, the environment variable it comes from).
bench_require_positive() {
  local var
  for var in "$@"; do
    [[ "${!var}" =~ ^[1-9][0-9]*$ ]] || upfleet_die "BENCH_$var must be a positive integer, not '${!var}'"
  done
}

# bench_check_free_space DIR MIN_GIB — create DIR; die unless its disk has MIN_GIB GiB free.
bench_check_free_space() {
  local dir="$1" min_gib="$2" free_kib
  mkdir -p "$dir"
  free_kib="$(bench_free_kib "$dir")"
  ((free_kib >= min_gib * 1024 * 1024)) ||
    upfleet_die "only $((free_kib / 1024 / 1024)) GiB free on the disk of $dir; the benchmark needs $min_gib GiB (set BENCH_DIR to a bigger disk)"
}

# bench_round NUMBER [DECIMALS] — NUMBER with DECIMALS (default 1) decimals; anything that is
# not a number ("n/a") as is.
bench_round() {
  awk -v x="$1" -v d="${2:-1}" 'BEGIN { if (x ~ /^[0-9.]+$/) printf "%.*f\n", d, x; else print x }'
}
