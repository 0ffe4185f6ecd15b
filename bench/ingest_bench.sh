#!/usr/bin/env bash
# Ingest throughput and time to 202 of upfleet-ingest next to nginx (Debian, WebDAV PUT to
# disk) receiving the same PUTs, and next to `dd conv=fsync` writing to the same disk, all in
# the same run. Prints medians and ratios; it has no pass/fail thresholds.
#
#   bench/ingest_bench.sh                                        # full: 1 GiB PUT, 1 MiB PUTs at 1 and 64 clients
#   BENCH_SIZE_MIB=64 BENCH_DURATION=5 BENCH_RUNS=1 bench/ingest_bench.sh   # quick look
#   bench/ingest_bench.sh --report RAW.csv...   # tables again from saved measurements (pooled)
#
# Environment:
#   BENCH_SIZE_MIB      size of the one-large-PUT workload, MiB (default 1024)
#   BENCH_BODY_KIB      body of each small PUT, KiB (default 1024)
#   BENCH_CLIENTS       concurrent clients of the small-PUT workloads (default "1 64")
#   BENCH_DURATION      seconds each small-PUT measurement runs (default 20)
#   BENCH_RUNS          measured runs per configuration; medians are reported (default 3)
#   BENCH_WARMUP_RUNS   unmeasured runs of everything before them (default 1): Kafka's JVM
#                       compiles its hot paths during the first runs
#   BENCH_WORKLOADS     "large small" (default), or one of them
#   BENCH_DIR           work dir: services, data, the servers' files (default
#                       $REPO/.cache/bench-ingest); spool, nginx's files and dd's file share its disk
#   BENCH_RAW_CSV       also write every single measurement to this file
#   BENCH_BUILD_DIR     where upfleet-ingest is built (default $REPO/build-bench: Release, no tests)
#   BENCH_NO_BUILD=1    no install step, no build: use BENCH_INGEST or BENCH_BUILD_DIR's binary
#   BENCH_INGEST        upfleet-ingest binary to measure (default BENCH_BUILD_DIR/producer/upfleet-ingest)
#   BENCH_INGEST_ENV    extra VAR=value words for the ingest, e.g. "UPFLEET_HTTP_BLOCKING_THREADS=64"
#   BENCH_NGINX_WORKERS nginx worker_processes (default auto: one per core)
#
# Output: progress on stderr, the result tables (Markdown) on stdout.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init ingest-bench # REPO, logging, scripts/lib helpers, KAFKA_TOOL_OPTS

SIZE_MIB="${BENCH_SIZE_MIB:-1024}"
BODY_KIB="${BENCH_BODY_KIB:-1024}"
CLIENTS="${BENCH_CLIENTS:-1 64}"
DURATION="${BENCH_DURATION:-20}"
RUNS="${BENCH_RUNS:-3}"
WARMUP_RUNS="${BENCH_WARMUP_RUNS:-1}"
COUNTED=1 # 0 during warm-up runs: record() logs them but keeps them out of the results
WORKLOADS="${BENCH_WORKLOADS:-large small}"
BENCH_DIR="${BENCH_DIR:-$REPO/.cache/bench-ingest}"
BUILD_DIR="${BENCH_BUILD_DIR:-$REPO/build-bench}"
INGEST="${BENCH_INGEST:-$BUILD_DIR/producer/upfleet-ingest}"
NGINX_WORKERS="${BENCH_NGINX_WORKERS:-auto}"
read -r -a INGEST_EXTRA_ENV <<<"${BENCH_INGEST_ENV:-}"
NGINX=/usr/sbin/nginx
PUT_LUA="$REPO/bench/ingest/put.lua"
MIN_FREE_GIB=10

WORK=""       # this invocation's dir under BENCH_DIR
DISK=""       # WORK/disk: the ingest's spool, nginx's root and temp files, dd's file
RESULTS=""    # CSV, see record()
SERVER_PID="" # the running server (ingest, or nginx's master), if any
SERVER_URL="" # http://127.0.0.1:PORT of the running server

bench_require_positive SIZE_MIB BODY_KIB DURATION RUNS
for clients in $CLIENTS; do
  [[ "$clients" =~ ^[1-9][0-9]*$ ]] || upfleet_die "BENCH_CLIENTS must list positive integers, not '$CLIENTS'"
done
bench_parse_args "$@" # sets REPORT_FROM (--report: raw CSVs to summarise instead of measuring)

# --- set-up and tear-down ---------------------------------------------------------------------

cleanup() {
  trap - EXIT INT TERM
  stop_server
  bench_services_down
  [[ -n "$WORK" ]] && rm -rf -- "$WORK/data" "$WORK/disk"
}

# install_and_build — the peers (Debian nginx with its WebDAV module, wrk, GNU time), the jars
# of scripts/services, and a Release upfleet-ingest without tests.
install_and_build() {
  upfleet_install_deps time nginx wrk
  upfleet_fetch_jars
  UPFLEET_BUILD_TARGETS=upfleet-ingest upfleet_build "$BUILD_DIR" \
    -DUPFLEET_BUILD_TESTS=OFF -DUPFLEET_BUILD_BENCH=OFF
}

generate_data() {
  local data="$WORK/data"
  upfleet_log "generating data in $data: ${SIZE_MIB} MiB, ${BODY_KIB} KiB"
  mkdir -p "$data"
  head -c 1024 /dev/urandom >"$data/warmup.bin"
  head -c $((SIZE_MIB << 20)) /dev/urandom >"$data/large.bin"
  head -c $((BODY_KIB << 10)) /dev/urandom >"$data/body.bin"
  # Written back now, not during the first measured runs.
  sync -f "$data/warmup.bin"
}

# clear_disk — remove what a server stored and wait for the disk to catch up, so that neither
# the space nor nginx's unwritten pages carry over into the next measurement.
clear_disk() {
  rm -rf -- "$DISK"
  mkdir -p "$DISK/spool" "$DISK/nginx-root" "$DISK/nginx-tmp"
  sync -f "$DISK"
}

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  upfleet_stop_pid "$SERVER_PID" 30 || upfleet_warn "server $SERVER_PID did not exit"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# server_pids — the running server's processes: the ingest, or nginx's master and workers.
server_pids() {
  echo "$SERVER_PID"
  pgrep -P "$SERVER_PID" || true
}

# server_peak_rss_kib — VmHWM of the server, summed over its processes (nginx: master and
# workers; shared pages count once per process, so this is an upper bound for nginx).
server_peak_rss_kib() {
  local pid total=0 kib
  for pid in $(server_pids); do
    kib="$(bench_proc_peak_rss_kib "$pid" 2>/dev/null)" || continue
    total=$((total + kib))
  done
  echo "$total"
}

# server_cpu_seconds — user + system CPU of the server's processes so far.
server_cpu_seconds() {
  local pid total=0 cpu
  for pid in $(server_pids); do
    cpu="$(bench_proc_cpu_seconds "$pid" 2>/dev/null)" || continue
    total="$(bench_calc "$total + $cpu")"
  done
  echo "$total"
}

# --- upfleet-ingest ---------------------------------------------------------------------------

# create_topics TAG — fresh jobs and status topics for one ingest run: no worker reads them, and
# a fresh ingest reads the whole status topic at start, which would grow with every run.
create_topics() {
  bench_create_topics bench-ingest "$1" "jobs 6" "status 6 cleanup.policy=compact"
}

_ingest_ready() {
  upfleet_pid_alive "$SERVER_PID" || return 0 # checked again below
  curl -sf --max-time 2 -o /dev/null "$SERVER_URL/readyz"
}

# start_ingest TAG — a fresh ingest on fresh topics, an empty spool and a free port; returns
# once it is ready and has accepted one 1 KiB warm-up upload (the first upload of a process pays
# one-time costs a long-running ingest does not).
start_ingest() {
  local tag="$1" log="$WORK/logs/ingest-$1.log" port
  create_topics "$tag"
  port="$(upfleet_free_port 127.0.0.1)"
  SERVER_URL="http://127.0.0.1:$port"
  # Nothing is ever deleted from this spool by a worker: the high-water mark is out of the way
  # and the script empties the spool after every run.
  env UPFLEET_HTTP_LISTEN="127.0.0.1:$port" UPFLEET_SPOOL_DIR="$DISK/spool" \
    UPFLEET_SPOOL_MAX_BYTES=1TiB UPFLEET_INGEST_ID="bench-$tag" UPFLEET_LOG_LEVEL=warn \
    UPFLEET_KAFKA_TOPICS_JOBS="bench-ingest.$tag.jobs" \
    UPFLEET_KAFKA_TOPICS_STATUS="bench-ingest.$tag.status" \
    "${INGEST_EXTRA_ENV[@]}" "$INGEST" >"$log" 2>&1 &
  SERVER_PID=$!
  upfleet_wait_until 120 0.2 _ingest_ready || true
  if ! upfleet_pid_alive "$SERVER_PID" || ! _ingest_ready; then
    upfleet_log_tail "$log" 30
    upfleet_die "the ingest was not ready within 120s"
  fi
  warm_up "$SERVER_URL/v1/files/warmup/$tag" 202
}

# ingest_metric NAME — one unlabelled sample of the running ingest's /metrics.
ingest_metric() {
  curl -sf --max-time 5 "$SERVER_URL/metrics" |
    awk -v name="$1" '$1 == name { print $2; found = 1 } END { exit !found }'
}

# ingest_publish_totals — "seconds count" of the Kafka publish histogram so far.
ingest_publish_totals() {
  echo "$(ingest_metric upfleet_ingest_publish_duration_seconds_sum || echo 0)" \
    "$(ingest_metric upfleet_ingest_publish_duration_seconds_count || echo 0)"
}

# --- nginx ------------------------------------------------------------------------------------

# write_nginx_conf PORT — an nginx of our own: its own prefix, pid and logs under WORK, the
# destination and the body temp files on DISK (one file system, so a finished body is renamed
# into place, not copied), no size limit, no access log.
write_nginx_conf() {
  local conf="$WORK/nginx/nginx.conf" user=""
  mkdir -p "$WORK/nginx"
  # As root, nginx would switch its workers to "nobody", who may not write DISK.
  ((EUID != 0)) || user="user root root;"
  cat >"$conf" <<EOF
# Written by bench/ingest_bench.sh.
$user
worker_processes $NGINX_WORKERS;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/logs/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_max_body_size 0;
  client_body_temp_path $DISK/nginx-tmp;
  proxy_temp_path $WORK/nginx/proxy-tmp;
  fastcgi_temp_path $WORK/nginx/fastcgi-tmp;
  uwsgi_temp_path $WORK/nginx/uwsgi-tmp;
  scgi_temp_path $WORK/nginx/scgi-tmp;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$1;
    root $DISK/nginx-root;
    location / {
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw;
    }
  }
}
EOF
  echo "$conf"
}

_nginx_up() { upfleet_pid_alive "$SERVER_PID" && upfleet_port_open 127.0.0.1 "${SERVER_URL##*:}"; }

# start_nginx TAG — a fresh nginx on a free port; returns once it has stored a warm-up PUT.
start_nginx() {
  local tag="$1" port conf
  port="$(upfleet_free_port 127.0.0.1)"
  SERVER_URL="http://127.0.0.1:$port"
  conf="$(write_nginx_conf "$port")"
  "$NGINX" -p "$WORK/nginx" -c "$conf" -e "$WORK/logs/nginx-error.log" \
    >"$WORK/logs/nginx-$tag.log" 2>&1 &
  SERVER_PID=$!
  if ! upfleet_wait_until 30 0.1 _nginx_up; then
    upfleet_log_tail "$WORK/logs/nginx-error.log" 20
    upfleet_log_tail "$WORK/logs/nginx-$tag.log" 20
    upfleet_die "nginx did not start within 30s"
  fi
  warm_up "$SERVER_URL/warmup/$tag" 201
}

# --- measurements -----------------------------------------------------------------------------

# warm_up URL STATUS — one 1 KiB PUT that must be answered STATUS.
warm_up() {
  local code
  code="$(curl -sS -o "$WORK/logs/warmup.out" -w '%{http_code}' -H 'Expect:' \
    -T "$WORK/data/warmup.bin" "$1")" || true
  [[ "$code" == "$2" ]] ||
    upfleet_die "warm-up PUT $1 got HTTP $code, not $2: $(cat "$WORK/logs/warmup.out" 2>/dev/null)"
}

# start_server SERVER TAG / the status a stored PUT gets from SERVER / its path prefix.
start_server() {
  case "$1" in
    upfleet-ingest) start_ingest "$2" ;;
    nginx) start_nginx "$2" ;;
  esac
}
stored_status() { [[ "$1" == upfleet-ingest ]] && echo 202 || echo 201; }
put_prefix() { [[ "$1" == upfleet-ingest ]] && echo "/v1/files/$2/" || echo "/$2/"; }

# record WORKLOAD SERVER RUN BYTES REQUESTS WALL_S P50_MS P99_MS RSS_KIB CPU_S OK [PUBLISH_MS]
# CSV: workload,server,run,bytes,requests,wall_s,p50_ms,p99_ms,rss_kib,cpu_s,ok,load1,publish_ms
record() {
  if ((!COUNTED)); then
    upfleet_log "$(printf '%-8s %-14s warm-up %s: %s MB/s, %s req/s (not counted)' "$1" "$2" "$3" \
      "$(bench_ratio "$4" "$(bench_calc "$6 * 1000000")")" "$(bench_ratio "$5" "$6" 1)")"
    return 0
  fi
  printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" \
    "$9" "${10}" "${11}" "$(bench_load | awk '{ print $1 }')" "${12:-}" >>"$RESULTS"
  upfleet_log "$(printf '%-8s %-14s run %s: %s MB/s, %s req/s, p50 %s ms, p99 %s ms, peak RSS %s MiB, CPU %s s%s%s' \
    "$1" "$2" "$3" "$(bench_ratio "$4" "$(bench_calc "$6 * 1000000")")" \
    "$(bench_ratio "$5" "$6" 1)" "$7" "$8" "$((${9:-0} / 1024))" "${10}" \
    "${12:+, Kafka publish ${12} ms/upload}" "$([[ "${11}" == 1 ]] || echo ' (FAILED)')")"
}

# measure_server WORKLOAD SERVER RUN — one measurement against a fresh server on an empty disk.
measure_server() {
  local workload="$1" server="$2" run="$3" tag cpu0 cpu1 pub0=() pub1=() publish_ms=""
  tag="${workload//[^a-z0-9]/}-$server-$run-$RANDOM"
  clear_disk
  start_server "$server" "$tag"
  [[ "$server" != upfleet-ingest ]] || read -r -a pub0 < <(ingest_publish_totals)
  cpu0="$(server_cpu_seconds)"
  local result
  if [[ "$workload" == large ]]; then
    result="$(put_large "$server" "$tag")"
  else
    result="$(put_small "$server" "$tag" "${workload#small-}")"
  fi
  cpu1="$(server_cpu_seconds)"
  if [[ "$server" == upfleet-ingest ]]; then
    read -r -a pub1 < <(ingest_publish_totals)
    publish_ms="$(bench_ratio "$(bench_calc "(${pub1[0]} - ${pub0[0]}) * 1000")" \
      "$((${pub1[1]%.*} - ${pub0[1]%.*}))" 1)"
  fi
  local rss
  rss="$(server_peak_rss_kib)"
  stop_server
  clear_disk
  # shellcheck disable=SC2086 # result: bytes requests wall_s p50_ms p99_ms ok
  set -- $result
  record "$workload" "$server" "$run" "$1" "$2" "$3" "$4" "$5" "$rss" \
    "$(bench_calc "$cpu1 - $cpu0")" "$6" "$publish_ms"
}

# put_large SERVER TAG — one PUT of the large file with curl; prints
# "bytes requests wall_s p50_ms p99_ms ok" (the one request's time is both percentiles).
put_large() {
  local server="$1" tag="$2" out code wall ok=1 bytes=$((SIZE_MIB << 20))
  out="$(curl -sS -H 'Expect:' -T "$WORK/data/large.bin" -o "$WORK/logs/large-$tag.out" \
    -w '%{http_code} %{time_total}' "$SERVER_URL$(put_prefix "$server" "$tag")large.bin" \
    2>"$WORK/logs/large-$tag.err")" || ok=0
  read -r code wall <<<"$out"
  if [[ "$code" != "$(stored_status "$server")" ]]; then
    ok=0
    upfleet_warn "$server large PUT got HTTP ${code:-none}: $(head -c 300 "$WORK/logs/large-$tag.out" "$WORK/logs/large-$tag.err" 2>/dev/null)"
  fi
  [[ "$wall" =~ ^[0-9.]+$ ]] || wall=0
  echo "$bytes 1 $wall $(bench_calc "$wall * 1000") $(bench_calc "$wall * 1000") $ok"
}

# put_small SERVER TAG CLIENTS — BENCH_DURATION seconds of PUTs by CLIENTS connections (wrk,
# one thread per core at most); prints "bytes requests wall_s p50_ms p99_ms ok".
put_small() {
  local server="$1" tag="$2" clients="$3" threads log="$WORK/logs/wrk-$2.log" line ok=1
  threads=$((clients < $(nproc) ? clients : $(nproc)))
  wrk -t "$threads" -c "$clients" -d "${DURATION}s" --timeout 120s --latency -s "$PUT_LUA" \
    "$SERVER_URL" -- "$(put_prefix "$server" "$tag")" "$WORK/data/body.bin" >"$log" 2>&1 || ok=0
  line="$(grep '^wrk-result ' "$log" | tail -n 1)" || true
  if [[ -z "$line" ]]; then
    upfleet_warn "$server small PUTs ($clients clients): no result from wrk"
    upfleet_log_tail "$log" 20
    echo "0 0 0 0 0 0"
    return
  fi
  local requests duration p50 p99 status_errors socket_errors
  # The fields come in the order put.lua writes them.
  read -r requests duration p50 p99 status_errors socket_errors < <(
    tr ' ' '\n' <<<"${line#wrk-result }" | cut -d= -f2 | tr '\n' ' ')
  if ((status_errors > 0 || socket_errors > 0 || requests == 0)); then
    ok=0
    upfleet_warn "$server small PUTs ($clients clients): $status_errors non-2xx answers, $socket_errors socket errors"
    upfleet_log_tail "$log" 20
  fi
  echo "$((requests * (BODY_KIB << 10))) $requests $(bench_calc "$duration / 1e6")" \
    "$(bench_calc "$p50 / 1000")" "$(bench_calc "$p99 / 1000")" "$ok"
}

# measure_dd RUN — dd of BENCH_SIZE_MIB MiB of zeros to DISK with conv=fsync: the disk's
# fsync'd write speed, the ceiling for the ingest's large PUT.
measure_dd() {
  local run="$1" t0 t1 ok=1 bytes=$((SIZE_MIB << 20)) wall
  clear_disk
  t0="$(bench_now)"
  dd if=/dev/zero of="$DISK/dd.bin" bs=1M count="$SIZE_MIB" conv=fsync 2>"$WORK/logs/dd-$run.log" || ok=0
  t1="$(bench_now)"
  clear_disk
  wall="$(bench_calc "$t1 - $t0")"
  record large "dd-conv-fsync" "$run" "$bytes" 1 "$wall" "$(bench_calc "$wall * 1000")" \
    "$(bench_calc "$wall * 1000")" 0 0 "$ok"
}

# workload_servers WORKLOAD — what measures it, in the base order of a run.
workload_servers() {
  if [[ "$1" == large ]]; then echo "upfleet-ingest nginx dd-conv-fsync"; else echo "upfleet-ingest nginx"; fi
}

# all_workloads — "large small-1 small-64" from BENCH_WORKLOADS and BENCH_CLIENTS.
all_workloads() {
  local workload clients out=()
  for workload in $WORKLOADS; do
    case "$workload" in
      large) out+=(large) ;;
      small) for clients in $CLIENTS; do out+=("small-$clients"); done ;;
      *) upfleet_die "unknown workload '$workload' in BENCH_WORKLOADS (large, small)" ;;
    esac
  done
  echo "${out[*]}"
}

# run_all — every workload and server, runs interleaved: run 1 of everything, then run 2, ...;
# within a workload each run starts one step further down the list of servers, so neither a
# drift in the machine's load nor going first favours one server.
run_all() {
  upfleet_log "$WARMUP_RUNS warm-up and $RUNS measured run(s) of: $(all_workloads); load before: $(bench_load) (uptime: $(uptime))"
  COUNTED=0
  run_round_robin "$WARMUP_RUNS" w
  COUNTED=1
  run_round_robin "$RUNS" ""
  upfleet_log "done; load after: $(bench_load)"
}

# run_round_robin COUNT LABEL — COUNT runs of everything, run i labelled LABEL<i>.
run_round_robin() {
  local run workload i n servers
  for ((run = 1; run <= $1; run++)); do
    for workload in $(all_workloads); do
      read -r -a servers <<<"$(workload_servers "$workload")"
      n=${#servers[@]}
      for ((i = 0; i < n; i++)); do
        local server="${servers[(i + run - 1) % n]}"
        case "$server" in
          dd-conv-fsync) measure_dd "$2$run" ;;
          *) measure_server "$workload" "$server" "$2$run" ;;
        esac
      done
    done
  done
}

# --- report -----------------------------------------------------------------------------------

# median_of WORKLOAD SERVER METRIC — the median of METRIC over the successful runs: mbs (10^6
# bytes/s), reqs (requests/s), wall (s), p50, p99 (ms), rss (MiB), cpu (s/GiB), publish (ms).
median_of() {
  # shellcheck disable=SC2046 # one number per word
  bench_median $(awk -F, -v w="$1" -v s="$2" -v m="$3" '
    $1 == w && $2 == s && $11 == 1 && $6 > 0 {
      if (m == "mbs") v = $4 / $6 / 1e6
      else if (m == "reqs") v = $5 / $6
      else if (m == "wall") v = $6
      else if (m == "p50") v = $7
      else if (m == "p99") v = $8
      else if (m == "rss") v = $9 / 1024
      else if (m == "cpu") v = $10 / ($4 / 1073741824)
      else if (m == "publish") { if ($13 !~ /^[0-9.]+$/) next; v = $13 }
      printf "%.6f\n", v
    }' "$RESULTS")
}

# workloads_measured — the workloads in RESULTS, in the order they first appear.
workloads_measured() { awk -F, '!seen[$1]++ { print $1 }' "$RESULTS"; }

# runs_ok WORKLOAD SERVER — "ok/total".
runs_ok() {
  awk -F, -v w="$1" -v s="$2" '$1 == w && $2 == s { n++; ok += ($11 == 1) } END { printf "%d/%d\n", ok, n }' "$RESULTS"
}

print_large() {
  local server
  printf '\n### One %s MiB PUT\n\n' "$SIZE_MIB"
  printf '| server | runs ok | MB/s | time to 202/201 s | peak RSS MiB | CPU s/GiB | Kafka publish ms |\n'
  printf '|---|---|---|---|---|---|---|\n'
  for server in upfleet-ingest nginx dd-conv-fsync; do
    if [[ "$server" == dd-conv-fsync ]]; then
      printf '| dd bs=1M conv=fsync | %s | %s | %s | | | |\n' "$(runs_ok large "$server")" \
        "$(bench_round "$(median_of large "$server" mbs)")" "$(bench_round "$(median_of large "$server" wall)" 2)"
      continue
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$server" "$(runs_ok large "$server")" \
      "$(bench_round "$(median_of large "$server" mbs)")" "$(bench_round "$(median_of large "$server" wall)" 2)" \
      "$(bench_round "$(median_of large "$server" rss)")" \
      "$(bench_round "$(median_of large "$server" cpu)" 2)" \
      "$([[ "$server" == upfleet-ingest ]] && bench_round "$(median_of large "$server" publish)" 1)"
  done
}

print_small() {
  local workload="$1" clients="${1#small-}" server
  printf '\n### %s KiB PUTs, %s concurrent client%s, %s s each\n\n' "$BODY_KIB" "$clients" \
    "$([[ "$clients" == 1 ]] || echo s)" "$DURATION"
  printf '| server | runs ok | requests/s | MB/s | p50 ms | p99 ms | peak RSS MiB | CPU s/GiB | Kafka publish ms |\n'
  printf '|---|---|---|---|---|---|---|---|---|\n'
  for server in upfleet-ingest nginx; do
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$server" "$(runs_ok "$workload" "$server")" \
      "$(bench_round "$(median_of "$workload" "$server" reqs)")" \
      "$(bench_round "$(median_of "$workload" "$server" mbs)")" \
      "$(bench_round "$(median_of "$workload" "$server" p50)")" \
      "$(bench_round "$(median_of "$workload" "$server" p99)")" \
      "$(bench_round "$(median_of "$workload" "$server" rss)")" \
      "$(bench_round "$(median_of "$workload" "$server" cpu)" 2)" \
      "$([[ "$server" == upfleet-ingest ]] && bench_round "$(median_of "$workload" "$server" publish)" 1)"
  done
}

print_ratios() {
  local workload ingest nginx dd
  printf '\nRatios of medians (goals from the issue: ingest ÷ nginx ≥ 0.8, ingest ÷ dd ≥ 0.7 for the large PUT):\n\n'
  printf '| workload | ingest ÷ nginx (throughput) | ingest ÷ dd conv=fsync | nginx ÷ dd | p50 ingest ÷ nginx | p99 ingest ÷ nginx | peak RSS ingest ÷ nginx |\n'
  printf '|---|---|---|---|---|---|---|\n'
  for workload in $(workloads_measured); do
    ingest="$(median_of "$workload" upfleet-ingest mbs)"
    nginx="$(median_of "$workload" nginx mbs)"
    dd="n/a"
    [[ "$workload" != large ]] || dd="$(median_of large dd-conv-fsync mbs)"
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$workload" "$(bench_ratio "$ingest" "$nginx")" \
      "$(bench_ratio "$ingest" "$dd")" "$(bench_ratio "$nginx" "$dd")" \
      "$(bench_ratio "$(median_of "$workload" upfleet-ingest p50)" "$(median_of "$workload" nginx p50)")" \
      "$(bench_ratio "$(median_of "$workload" upfleet-ingest p99)" "$(median_of "$workload" nginx p99)")" \
      "$(bench_ratio "$(median_of "$workload" upfleet-ingest rss)" "$(median_of "$workload" nginx rss)")"
  done
}

print_report() {
  printf '## Ingest benchmark\n\n'
  printf -- '- date: %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf -- '- machine: %s\n' "$(bench_machine)"
  if ((${#REPORT_FROM[@]} == 0)); then
    printf -- '- upfleet: %s; ingest settings: defaults%s\n' \
      "${BENCH_INGEST:+binary $BENCH_INGEST (given), scripts of }commit $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)" \
      "${BENCH_INGEST_ENV:+ + $BENCH_INGEST_ENV}"
  fi
  printf -- '- peers: %s (WebDAV PUT, worker_processes %s, no fsync); %s; %s\n' \
    "$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')" "$NGINX_WORKERS" \
    "$(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }')" "$(curl --version | head -n 1 | awk '{ print $1, $2 }')"
  printf -- '- runs per configuration: %s; medians; MB/s = 10^6 bytes/s; load (1 min) per run: %s\n' \
    "$(awk -F, '{ n[$1 FS $2]++ } END { for (k in n) if (n[k] > max) max = n[k]; print max }' "$RESULTS")" \
    "$(awk -F, '{ print $12 }' "$RESULTS" | sort -n | awk '{ v[NR] = $1 } END { printf "%s to %s", v[1], v[NR] }')"
  # shellcheck disable=SC2016 # backquotes are Markdown here
  printf -- '- large: `curl -T` wall time (`time_total`) of one PUT; small: `wrk` with bench/ingest/put.lua (closed loop, a new path per request, latency from request start to the answer); peak RSS = VmHWM summed over the server'"'"'s processes; CPU = the server'"'"'s user + system time; Kafka publish = mean time of the `queued` event + job acknowledgement per upload (ingest metrics)\n'
  local workload
  for workload in $(workloads_measured); do
    if [[ "$workload" == large ]]; then print_large; else print_small "$workload"; fi
  done
  print_ratios
}

# --- main -------------------------------------------------------------------------------------

# report_only CSV... — the tables for measurements saved with BENCH_RAW_CSV.
report_only() {
  RESULTS="$(mktemp)"
  trap 'rm -f -- "$RESULTS"' EXIT
  cat -- "$@" >"$RESULTS"
  print_report
}

main() {
  if ((${#REPORT_FROM[@]})); then
    report_only "${REPORT_FROM[@]}"
    return
  fi
  bench_check_free_space "$BENCH_DIR" "$MIN_FREE_GIB"
  [[ "${BENCH_NO_BUILD:-0}" == 1 ]] || install_and_build
  upfleet_require_tools java curl wrk dd "$NGINX"
  "$NGINX" -V 2>&1 | grep -q -- --with-http_dav_module ||
    upfleet_die "$NGINX has no WebDAV module (Debian's nginx package has it)"
  [[ -x "$INGEST" ]] || upfleet_die "no upfleet-ingest at $INGEST; run without BENCH_NO_BUILD, or set BENCH_INGEST"
  mkdir -p "$BENCH_DIR"
  WORK="$(mktemp -d "$BENCH_DIR/run.XXXXXX")"
  DISK="$WORK/disk"
  mkdir -p "$WORK/logs" "$WORK/bin"
  RESULTS="$WORK/results.csv"
  : >"$RESULTS"
  # A snapshot: a rebuild during the benchmark does not change what is measured.
  cp -- "$INGEST" "$WORK/bin/upfleet-ingest"
  INGEST="$WORK/bin/upfleet-ingest"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  bench_services_up
  generate_data
  run_all
  [[ -z "${BENCH_RAW_CSV:-}" ]] || cp -- "$RESULTS" "$BENCH_RAW_CSV"
  print_report
  upfleet_log "logs and raw measurements: $WORK"
}

main
