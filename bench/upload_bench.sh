#!/usr/bin/env bash
# Upload throughput, peak memory and CPU time of upfleet-worker next to
# `aws s3 cp` and `rclone`, all storing the same local files in the same S3
# server (S3Proxy on loopback, started here) in the same run. Prints medians
# and ratios against those peers; it has no pass/fail thresholds.
#
#   bench/upload_bench.sh                                          # full: 1 GiB file, 1,000 x 256 KiB
#   BENCH_SIZE_MIB=64 BENCH_FILES=50 BENCH_RUNS=1 bench/upload_bench.sh   # quick look
#   bench/upload_bench.sh --report RAW.csv...   # tables again from saved measurements (pooled),
#                                               # with the BENCH_* sizes of the runs that made them
#
# Environment:
#   BENCH_SIZE_MIB      size of the one-large-file workload, MiB (default 1024)
#   BENCH_ALT_SIZE_MIB  second large size, worker only: peak RSS must not follow file size
#                       (default BENCH_SIZE_MIB / 4)
#   BENCH_FILES         number of files in the many-small-files workload (default 1000)
#   BENCH_FILE_KIB      size of each small file, KiB (default 256)
#   BENCH_RUNS          measured runs per configuration; medians are reported (default 3)
#   BENCH_WARMUP_RUNS   unmeasured runs of every tool and configuration before them
#                       (default 1): S3Proxy's and Kafka's JVMs compile their hot paths
#                       during the first runs, which were up to 2x slower
#   BENCH_WORKLOADS     "large small" (default), or one of them
#   BENCH_DIR           work dir: services, data, logs (default $REPO/.cache/bench; same disk
#                       as the S3 server's data)
#   BENCH_RAW_CSV       also write every single measurement to this file
#   BENCH_NO_BUILD=1    use build/ as it is (no install step, no build)
#
# Output: progress on stderr, the result tables (Markdown) on stdout.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init bench # REPO, logging, scripts/lib helpers, KAFKA_TOOL_OPTS

SIZE_MIB="${BENCH_SIZE_MIB:-1024}"
ALT_SIZE_MIB="${BENCH_ALT_SIZE_MIB:-$((SIZE_MIB / 4))}"
FILES="${BENCH_FILES:-1000}"
FILE_KIB="${BENCH_FILE_KIB:-256}"
RUNS="${BENCH_RUNS:-3}"
WARMUP_RUNS="${BENCH_WARMUP_RUNS:-1}"
COUNTED=1 # 0 during warm-up runs: record() logs them but keeps them out of the results
WORKLOADS="${BENCH_WORKLOADS:-large small}"
BENCH_DIR="${BENCH_DIR:-$REPO/.cache/bench}"
MIN_FREE_GIB=10

# The worker's "matched" settings are the peers' "matched" ones: 16 MiB parts, 8 at a time, 8
# jobs (files) at a time, and a buffer budget of exactly 8 parts. Its defaults: 16 MiB x 8, 16
# jobs at a time (builds before key-ordered concurrency: 1) and a 256 MiB budget.
PART_MIB=16
CONCURRENCY=8
MATCHED_BUDGET_MIB=$((PART_MIB * CONCURRENCY))
DEFAULT_BUDGET_MIB=256

WORKER="$REPO/build/worker/upfleet-worker"
CTL="$REPO/build/tools/upfleetctl"
AWS=/usr/bin/aws # pyenv's aws may come first on PATH
# rclone 1.60 refuses any AWS_CA_BUNDLE ("LoadCustomCABundleError"); the endpoint is plain HTTP.
RCLONE=(env -u AWS_CA_BUNDLE /usr/bin/rclone)

WORK=""       # this invocation's dir under BENCH_DIR: data, logs, measurements
RESULTS=""    # CSV: workload,tool,config,run,bytes,wall_s,rss_kib,cpu_s,ok,client_cpu_s,load1
WORKER_PID="" # the running worker, if any

bench_require_positive SIZE_MIB ALT_SIZE_MIB FILES FILE_KIB RUNS
bench_parse_args "$@" # sets REPORT_FROM (--report: raw CSVs to summarise instead of measuring)

# --- set-up and tear-down ---------------------------------------------------------------------

cleanup() {
  trap - EXIT INT TERM
  stop_worker
  bench_services_down
  [[ -n "$WORK" ]] && rm -rf -- "$WORK/data"
}

generate_data() {
  local data="$WORK/data" i
  upfleet_log "generating data in $data: ${SIZE_MIB} MiB, ${ALT_SIZE_MIB} MiB, $FILES x ${FILE_KIB} KiB"
  mkdir -p "$data/large" "$data/alt" "$data/small"
  head -c 1024 /dev/urandom >"$data/warmup.bin"
  head -c $((SIZE_MIB << 20)) /dev/urandom >"$data/large/large.bin"
  head -c $((ALT_SIZE_MIB << 20)) /dev/urandom >"$data/alt/alt.bin"
  for ((i = 1; i <= FILES; i++)); do
    head -c $((FILE_KIB << 10)) /dev/urandom >"$(printf '%s/small/file-%05d.bin' "$data" "$i")"
  done
  # Written back now, not during the first measured runs.
  sync -f "$data/warmup.bin"
}

start_services() {
  bench_services_up
  export AWS_EC2_METADATA_DISABLED=true
  export RCLONE_CONFIG="$WORK/rclone.conf" # empty: the remote comes from the variables below
  : >"$RCLONE_CONFIG"
  export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other
  export RCLONE_CONFIG_BENCH_ENDPOINT="$UPFLEET_S3_ENDPOINT"
  export RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$UPFLEET_S3_ACCESS_KEY_ID"
  export RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$UPFLEET_S3_SECRET_ACCESS_KEY"
  export RCLONE_CONFIG_BENCH_REGION="$UPFLEET_S3_REGION"
  export RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true
}

# --- upfleet-worker ---------------------------------------------------------------------------

# create_topics TAG — fresh jobs/status/dlq topics for one worker run, so it reads no old jobs
# and `watch` reads a short status topic. Sets TOPIC_ENV (VAR=value words for `env`).
create_topics() {
  local tag="$1"
  bench_create_topics bench "$tag" "jobs 6" "status 6 cleanup.policy=compact" "dlq 3"
  TOPIC_ENV=(UPFLEET_KAFKA_TOPICS_JOBS="bench.$tag.jobs" UPFLEET_KAFKA_TOPICS_STATUS="bench.$tag.status"
    UPFLEET_KAFKA_TOPICS_DLQ="bench.$tag.dlq")
}

# with_topics COMMAND [ARGS...] — COMMAND (a function too) with the topics of create_topics.
with_topics() (
  export "${TOPIC_ENV[@]}"
  "$@"
)

# worker_settings CONFIG — the UPFLEET_UPLOAD_* words for a worker configuration.
worker_settings() {
  case "$1" in
    defaults) ;;
    matched)
      printf '%s\n' "UPFLEET_UPLOAD_PART_SIZE=${PART_MIB}MiB" "UPFLEET_UPLOAD_CONCURRENCY=$CONCURRENCY" \
        "UPFLEET_UPLOAD_MAX_BUFFER_BYTES=${MATCHED_BUDGET_MIB}MiB" "UPFLEET_WORKER_CONCURRENCY=$CONCURRENCY"
      ;;
    *) upfleet_die "unknown worker configuration $1" ;;
  esac
}

worker_budget_mib() { [[ "$1" == matched ]] && echo "$MATCHED_BUDGET_MIB" || echo "$DEFAULT_BUDGET_MIB"; }

worker_metric() {
  curl -sf --max-time 2 "http://$WORKER_METRICS/metrics" 2>/dev/null |
    awk -v name="$1" '$1 == name { print $2; found = 1 } END { exit !found }'
}

_worker_assigned() {
  upfleet_pid_alive "$WORKER_PID" || return 0 # checked again below
  local assigned
  assigned="$(worker_metric upfleet_worker_assigned_partitions)" || return 1
  awk -v n="$assigned" 'BEGIN { exit !(n > 0) }'
}

# start_worker TAG CONFIG — one worker on the topics of TAG; returns once it owns partitions.
start_worker() {
  local tag="$1" config="$2" log="$WORK/logs/worker-$1.log" settings
  mapfile -t settings < <(worker_settings "$config")
  WORKER_METRICS="127.0.0.1:$(upfleet_free_port 127.0.0.1)"
  env "${TOPIC_ENV[@]}" "${settings[@]}" UPFLEET_KAFKA_GROUP_ID="bench-$tag" \
    UPFLEET_WORKER_ID="bench-$tag" UPFLEET_METRICS_LISTEN="$WORKER_METRICS" UPFLEET_LOG_LEVEL=warn \
    "$WORKER" >"$log" 2>&1 &
  WORKER_PID=$!
  upfleet_wait_until 120 0.2 _worker_assigned || true
  if ! upfleet_pid_alive "$WORKER_PID" || ! _worker_assigned; then
    upfleet_log_tail "$log" 30
    upfleet_die "the worker did not get partitions of bench.$tag.jobs within 120s"
  fi
}

# warm_up_worker PREFIX — one 1 KiB job through the fresh worker before the clock starts. A
# fleet's workers run for days; the first job of a process pays one-time costs (connections, and
# about a second of Kafka topic metadata before its first status event) that would otherwise
# land in every measured run.
warm_up_worker() {
  local id
  id="$(with_topics "$CTL" enqueue "$WORK/data/warmup.bin" --prefix "$1" | jq -r .upload_id)"
  with_topics "$CTL" watch "$id" --timeout 2m >"$WORK/logs/warmup.out" 2>&1 ||
    upfleet_die "the worker's warm-up job was not uploaded: $(cat "$WORK/logs/warmup.out")"
}

stop_worker() {
  [[ -n "$WORKER_PID" ]] || return 0
  upfleet_stop_pid "$WORKER_PID" 30 || upfleet_warn "worker $WORKER_PID did not exit"
  wait "$WORKER_PID" 2>/dev/null || true
  WORKER_PID=""
}

# --- measurements -----------------------------------------------------------------------------

# record WORKLOAD TOOL CONFIG RUN BYTES WALL_S RSS_KIB CPU_S OK [CLIENT_CPU_S]
record() {
  if ((!COUNTED)); then
    upfleet_log "$(printf '%-6s %-14s %-9s warm-up %s: %s MB/s (not counted)' "$1" "$2" "$3" "$4" \
      "$(bench_ratio "$5" "$(bench_calc "$6 * 1000000")")")"
    return 0
  fi
  printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" \
    "${10:-}" "$(bench_load | awk '{ print $1 }')" >>"$RESULTS"
  upfleet_log "$(printf '%-6s %-14s %-9s run %s: %s MB/s, peak RSS %s MiB, CPU %s s%s' "$1" "$2" "$3" \
    "$4" "$(bench_ratio "$5" "$(bench_calc "$6 * 1000000")")" "$((${7:-0} / 1024))" "$8" \
    "$([[ "$9" == 1 ]] || echo ' (FAILED)')")"
}

# workload_bytes WORKLOAD — total bytes the workload uploads.
workload_bytes() {
  case "$1" in
    large) echo $((SIZE_MIB << 20)) ;;
    alt) echo $((ALT_SIZE_MIB << 20)) ;;
    small) echo $((FILES * (FILE_KIB << 10))) ;;
  esac
}

# workload_files WORKLOAD — the files, one per line.
workload_files() {
  case "$1" in
    large) echo "$WORK/data/large/large.bin" ;;
    alt) echo "$WORK/data/alt/alt.bin" ;;
    small) printf '%s\n' "$WORK/data/small/"*.bin ;;
  esac
}

# measure_upfleet WORKLOAD CONFIG RUN — enqueue the files (file:// jobs) and watch until every
# one is `uploaded`; the clock runs from enqueue start to watch end.
measure_upfleet() {
  local workload="$1" config="$2" run="$3" tag prefix files ids cpu0 cpu1 t0 t1 ok=1
  tag="$workload-$config-$run-$RANDOM"
  prefix="run-$run/upfleet-$config-$workload/"
  mapfile -t files < <(workload_files "$workload")
  create_topics "$tag"
  start_worker "$tag" "$config"
  warm_up_worker "$prefix"
  cpu0="$(bench_proc_cpu_seconds "$WORKER_PID")"
  t0="$(bench_now)"
  if with_topics bench_time "$WORK/logs/enqueue-$tag.time" "$CTL" enqueue "${files[@]}" \
    --prefix "$prefix" >"$WORK/logs/enqueue-$tag.jsonl" 2>"$WORK/logs/enqueue-$tag.err"; then
    mapfile -t ids < <(jq -r .upload_id "$WORK/logs/enqueue-$tag.jsonl")
    with_topics "$CTL" watch "${ids[@]}" --timeout 30m >"$WORK/logs/watch-$tag.out" 2>&1 || ok=0
  else
    ok=0
  fi
  t1="$(bench_now)"
  cpu1="$(bench_proc_cpu_seconds "$WORKER_PID")"
  local rss client_cpu
  rss="$(bench_proc_peak_rss_kib "$WORKER_PID")"
  client_cpu="$(bench_time_fields "$WORK/logs/enqueue-$tag.time" | awk '{ print $2 + $3 }')"
  stop_worker
  ((ok)) || upfleet_warn "upfleet $config $workload run $run failed; see $WORK/logs/*-$tag.*"
  record "$workload" upfleet-worker "$config" "$run" "$(workload_bytes "$workload")" \
    "$(bench_calc "$t1 - $t0")" "$rss" "$(bench_calc "$cpu1 - $cpu0")" "$ok" "$client_cpu"
  delete_prefix "$prefix"
}

# aws_config_file CONFIG — an AWS CLI config file for the configuration (defaults: empty).
aws_config_file() {
  local file="$WORK/aws-$1.config"
  if [[ ! -f "$file" ]]; then
    : >"$file"
    if [[ "$1" == matched ]]; then
      AWS_CONFIG_FILE="$file" "$AWS" configure set default.s3.multipart_chunksize "${PART_MIB}MB"
      AWS_CONFIG_FILE="$file" "$AWS" configure set default.s3.max_concurrent_requests "$CONCURRENCY"
    fi
  fi
  echo "$file"
}

# peer_command TOOL CONFIG WORKLOAD PREFIX — the command line of a peer, one word per line.
peer_command() {
  local tool="$1" config="$2" workload="$3" prefix="$4" source dest
  if [[ "$workload" == small ]]; then
    source="$WORK/data/small"
  else
    source="$(workload_files "$workload")"
  fi
  case "$tool" in
    aws-s3-cp)
      dest="s3://$UPFLEET_S3_BUCKET/$prefix"
      printf '%s\n' "$AWS" --endpoint-url "$UPFLEET_S3_ENDPOINT" s3 cp --only-show-errors
      if [[ "$workload" == small ]]; then
        printf '%s\n' --recursive "$source" "$dest"
      else
        printf '%s\n' "$source" "$dest${source##*/}"
      fi
      ;;
    rclone)
      dest="bench:$UPFLEET_S3_BUCKET/$prefix"
      if [[ "$workload" == small ]]; then
        printf '%s\n' "${RCLONE[@]}" copy "$source" "$dest"
      else
        printf '%s\n' "${RCLONE[@]}" copyto "$source" "$dest${source##*/}"
      fi
      if [[ "$config" == matched ]]; then
        printf '%s\n' --s3-chunk-size "${PART_MIB}M" --s3-upload-concurrency "$CONCURRENCY" \
          --transfers "$CONCURRENCY"
      fi
      ;;
  esac
}

# measure_peer TOOL CONFIG WORKLOAD RUN — one upload by aws or rclone under /usr/bin/time.
measure_peer() {
  local tool="$1" config="$2" workload="$3" run="$4" prefix tag command t0 t1 ok=1
  prefix="run-$run/$tool-$config-$workload/"
  tag="$tool-$config-$workload-$run"
  mapfile -t command < <(peer_command "$tool" "$config" "$workload" "$prefix")
  t0="$(bench_now)"
  AWS_CONFIG_FILE="$(aws_config_file "$config")" bench_time "$WORK/logs/$tag.time" \
    "${command[@]}" >"$WORK/logs/$tag.log" 2>&1 || ok=0
  t1="$(bench_now)"
  if ((!ok)); then
    upfleet_warn "$tool $config $workload run $run failed:"
    upfleet_log_tail "$WORK/logs/$tag.log" 10
  fi
  local rss cpu
  read -r rss cpu < <(bench_time_fields "$WORK/logs/$tag.time" | awk '{ print $1, $2 + $3 }')
  record "$workload" "$tool" "$config" "$run" "$(workload_bytes "$workload")" \
    "$(bench_calc "$t1 - $t0")" "$rss" "$cpu" "$ok"
  delete_prefix "$prefix"
}

# delete_prefix PREFIX — remove what a run stored, so the S3 server's disk does not fill.
delete_prefix() {
  "${RCLONE[@]}" purge "bench:$UPFLEET_S3_BUCKET/$1" >>"$WORK/logs/delete.log" 2>&1 ||
    upfleet_warn "could not delete $1 from the bucket (see $WORK/logs/delete.log)"
}

# measure TOOL CONFIG WORKLOAD RUN — one measured run of any tool.
measure() {
  case "$1" in
    upfleet-worker) measure_upfleet "$3" "$2" "$4" ;;
    *) measure_peer "$@" ;;
  esac
}

# run_workload WORKLOAD — every tool and configuration. Runs are interleaved, and each run
# starts one step further down the list, so neither a drift in the machine's load nor the
# position in a run (first after a purge, say) favours one tool.
run_workload() {
  local workload="$1" run i n
  local -a order=("upfleet-worker defaults" "aws-s3-cp defaults" "rclone defaults"
    "upfleet-worker matched" "aws-s3-cp matched" "rclone matched")
  # The same worker settings on a file of another size: the peak RSS should not change.
  [[ "$workload" == large ]] && order+=("upfleet-worker matched alt")
  n=${#order[@]}
  upfleet_log "workload $workload: $WARMUP_RUNS warm-up and $RUNS measured run(s); load before: $(bench_load) (uptime: $(uptime))"
  COUNTED=0
  for ((run = 1; run <= WARMUP_RUNS; run++)); do
    for ((i = 0; i < n; i++)); do
      local tool config target
      read -r tool config target <<<"${order[i]}"
      measure "$tool" "$config" "${target:-$workload}" "w$run"
    done
  done
  COUNTED=1
  for ((run = 1; run <= RUNS; run++)); do
    for ((i = 0; i < n; i++)); do
      local tool config target
      read -r tool config target <<<"${order[(i + run - 1) % n]}"
      measure "$tool" "$config" "${target:-$workload}" "$run"
    done
  done
  upfleet_log "workload $workload done; load after: $(bench_load)"
}

# --- report -----------------------------------------------------------------------------------

# medians WORKLOAD TOOL CONFIG — "ok_runs runs mb_s rss_mib cpu_s_per_gib client_cpu_s_per_gib"
medians() {
  local rows mbs rss cpu client
  rows="$(awk -F, -v w="$1" -v t="$2" -v c="$3" '$1 == w && $2 == t && $3 == c' "$RESULTS")"
  [[ -n "$rows" ]] || {
    echo "0 0 n/a n/a n/a n/a"
    return
  }
  local ok_rows
  ok_rows="$(awk -F, '$9 == 1' <<<"$rows")"
  # shellcheck disable=SC2046 # one number per word
  mbs="$(bench_median $(awk -F, 'NF { printf "%.3f\n", $5 / $6 / 1e6 }' <<<"$ok_rows"))"
  # shellcheck disable=SC2046
  rss="$(bench_median $(awk -F, 'NF { printf "%.1f\n", $7 / 1024 }' <<<"$ok_rows"))"
  # shellcheck disable=SC2046
  cpu="$(bench_median $(awk -F, 'NF { printf "%.3f\n", $8 / ($5 / 1073741824) }' <<<"$ok_rows"))"
  # shellcheck disable=SC2046
  client="$(bench_median $(awk -F, 'NF && $10 != "" { printf "%.3f\n", $10 / ($5 / 1073741824) }' <<<"$ok_rows"))"
  echo "$(grep -c . <<<"$ok_rows" || true) $(grep -c . <<<"$rows") $mbs $rss $cpu $client"
}

print_workload_table() {
  local workload="$1" title tool config ok total mbs rss cpu client
  case "$workload" in
    large) title="one ${SIZE_MIB} MiB file" ;;
    small) title="$FILES files of ${FILE_KIB} KiB" ;;
  esac
  printf '\n### %s\n\n' "$title"
  printf '| tool | config | runs ok | MB/s | peak RSS MiB | CPU s/GiB |\n'
  printf '|---|---|---|---|---|---|\n'
  for tool in upfleet-worker aws-s3-cp rclone; do
    for config in defaults matched; do
      read -r ok total mbs rss cpu client < <(medians "$workload" "$tool" "$config")
      local note=""
      [[ "$tool" == upfleet-worker ]] && note=" (+ $(bench_round "$client" 2) in upfleetctl enqueue)"
      printf '| %s | %s | %s/%s | %s | %s | %s%s |\n' "$tool" "$config" "$ok" "$total" \
        "$(bench_round "$mbs")" "$(bench_round "$rss")" "$(bench_round "$cpu" 2)" "$note"
    done
  done
  if [[ "$workload" == large ]]; then
    read -r ok total mbs rss cpu client < <(medians alt upfleet-worker matched)
    printf '| upfleet-worker | matched, %s MiB file | %s/%s | %s | %s | %s |\n' "$ALT_SIZE_MIB" \
      "$ok" "$total" "$(bench_round "$mbs")" "$(bench_round "$rss")" "$(bench_round "$cpu" 2)"
  fi
  print_ratios "$workload"
}

print_ratios() {
  local workload="$1" config up aws rc limit
  printf '\nRatios (medians; >1 means upfleet is faster / uses more):\n\n'
  printf '| config | MB/s upfleet ÷ aws | MB/s upfleet ÷ rclone | CPU s/GiB upfleet ÷ rclone | worker peak RSS ÷ (1.25 × budget + 32 MiB) |\n'
  printf '|---|---|---|---|---|\n'
  for config in defaults matched; do
    read -r -a up < <(medians "$workload" upfleet-worker "$config")
    read -r -a aws < <(medians "$workload" aws-s3-cp "$config")
    read -r -a rc < <(medians "$workload" rclone "$config")
    limit="$(bench_calc "1.25 * $(worker_budget_mib "$config") + 32")"
    printf '| %s | %s | %s | %s | %s / %s = %s |\n' "$config" "$(bench_ratio "${up[2]}" "${aws[2]}")" \
      "$(bench_ratio "${up[2]}" "${rc[2]}")" "$(bench_ratio "${up[4]}" "${rc[4]}")" \
      "$(bench_round "${up[3]}")" "$(bench_round "$limit")" "$(bench_ratio "${up[3]}" "$limit")"
  done
  if [[ "$workload" == large ]]; then
    read -r -a up < <(medians large upfleet-worker matched)
    read -r -a alt < <(medians alt upfleet-worker matched)
    printf '\nWorker peak RSS (matched) by file size: %s MiB file %s MiB, %s MiB file %s MiB (ratio %s).\n' \
      "$SIZE_MIB" "$(bench_round "${up[3]}")" "$ALT_SIZE_MIB" "$(bench_round "${alt[3]}")" \
      "$(bench_ratio "${up[3]}" "${alt[3]}")"
  fi
}

print_report() {
  printf '## Upload benchmark\n\n'
  printf -- '- date: %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf -- '- machine: %s\n' "$(bench_machine)"
  if ((${#REPORT_FROM[@]} == 0)); then
    printf -- '- upfleet: commit %s\n' "$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)"
  fi
  printf -- '- peers: %s; %s\n' "$("$AWS" --version 2>&1 | head -n 1)" "$("${RCLONE[@]}" version | head -n 1)"
  printf -- '- runs per configuration: %s; medians; MB/s = 10^6 bytes/s; load (1 min) per run: %s\n' \
    "$(awk -F, '{ n[$1 FS $2 FS $3]++ } END { for (k in n) if (n[k] > max) max = n[k]; print max }' "$RESULTS")" "$(awk -F, '{ print $11 }' "$RESULTS" | sort -n | awk '{ v[NR] = $1 } END { printf "%s to %s", v[1], v[NR] }')"
  printf -- '- configs: defaults = each tool as installed; matched = %s MiB parts, %s in parallel (aws multipart_chunksize/max_concurrent_requests, rclone --s3-chunk-size/--s3-upload-concurrency/--transfers, worker upload.part_size/concurrency, worker.concurrency and upload.max_buffer_bytes = %s MiB; worker default budget %s MiB)\n' \
    "$PART_MIB" "$CONCURRENCY" "$MATCHED_BUDGET_MIB" "$DEFAULT_BUDGET_MIB"
  # shellcheck disable=SC2016 # backquotes are Markdown here
  printf -- '- upfleet: wall time from `upfleetctl enqueue` start to `upfleetctl watch` end; RSS and CPU of the worker process (/proc); peers: /usr/bin/time\n'
  local workload
  for workload in $WORKLOADS; do print_workload_table "$workload"; done
}

# --- main -------------------------------------------------------------------------------------

# report_only CSV... — the tables for measurements saved with BENCH_RAW_CSV.
report_only() {
  RESULTS="$(mktemp)"
  trap 'rm -f -- "$RESULTS"' EXIT
  cat -- "$@" >"$RESULTS"
  WORKLOADS="$(awk -F, '$1 != "alt" { print $1 }' "$RESULTS" | sort -u | tr '\n' ' ')"
  print_report
}

main() {
  if ((${#REPORT_FROM[@]})); then
    report_only "${REPORT_FROM[@]}"
    return
  fi
  bench_check_free_space "$BENCH_DIR" "$MIN_FREE_GIB"
  if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
    upfleet_install_deps time
    upfleet_fetch_jars
    upfleet_build build
  fi
  upfleet_require_tools java curl jq "$AWS" /usr/bin/rclone /usr/bin/time
  [[ -x "$WORKER" && -x "$CTL" ]] || upfleet_die "no binaries in $REPO/build; run without BENCH_NO_BUILD"
  mkdir -p "$BENCH_DIR"
  WORK="$(mktemp -d "$BENCH_DIR/run.XXXXXX")"
  mkdir -p "$WORK/logs"
  RESULTS="$WORK/results.csv"
  : >"$RESULTS"
  # A snapshot: a rebuild of build/ during the benchmark does not change what is measured.
  mkdir -p "$WORK/bin"
  cp -- "$WORKER" "$CTL" "$WORK/bin/"
  WORKER="$WORK/bin/upfleet-worker"
  CTL="$WORK/bin/upfleetctl"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  start_services
  generate_data
  local workload
  for workload in $WORKLOADS; do
    case "$workload" in
      large | small) run_workload "$workload" ;;
      *) upfleet_die "unknown workload '$workload' in BENCH_WORKLOADS (large, small)" ;;
    esac
  done
  [[ -z "${BENCH_RAW_CSV:-}" ]] || cp -- "$RESULTS" "$BENCH_RAW_CSV"
  print_report
  upfleet_log "logs and raw measurements: $WORK"
}

main
