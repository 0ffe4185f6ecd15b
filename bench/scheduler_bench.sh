#!/usr/bin/env bash
# Key-ordered concurrency against strict per-partition order and against no order at all,
# with the real worker, broker and S3 server (S3Proxy) in one run. A fault proxy between the
# worker and S3 adds latency to every S3 request, standing in for a remote object store.
#
#   bench/scheduler_bench.sh
#
#   1. One partition, BENCH_JOBS jobs with distinct keys, every S3 request delayed 20 ms:
#      jobs/s with `worker.ordering: key` / with `worker.ordering: partition`.
#   2. One partition, BENCH_JOBS jobs over 20 keys, every S3 request delayed 0-5 ms:
#      jobs/s with `worker.ordering: none` / with `key` (what ordering costs).
#
# Jobs are queued before the worker starts; the rate is measured from the worker's job
# counter between 10 % and 90 % done, so start-up and the tail do not count.
#
# Environment: BENCH_JOBS (default 1000), BENCH_RUNS (default 3), BENCH_CONCURRENCY (worker
# threads, default 32), BENCH_DIR (default $REPO/.cache/bench-scheduler), BENCH_NO_BUILD=1.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init bench # REPO, logging, scripts/lib helpers, KAFKA_TOOL_OPTS

JOBS="${BENCH_JOBS:-1000}"
RUNS="${BENCH_RUNS:-3}"
CONCURRENCY="${BENCH_CONCURRENCY:-32}"
BENCH_DIR="${BENCH_DIR:-$REPO/.cache/bench-scheduler}"
WORKER="$REPO/build/worker/upfleet-worker"
CTL="$REPO/build/tools/upfleetctl"
PROXY="$REPO/build/tests/upfleet-fault-proxy"

WORK=""
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bench_services_down
}
trap cleanup EXIT

# make_files DIR COUNT: COUNT small distinct files.
make_files() {
  mkdir -p "$1"
  local i
  for ((i = 0; i < $2; i++)); do printf 'job %d\n' "$i" >"$1/f$i"; done
}

# create_job_topics TAG: one job partition (the point of the benchmark), status and dlq.
create_job_topics() {
  local tag="$1" spec name partitions config
  for spec in "jobs 1" "status 3 cleanup.policy=compact" "dlq 1"; do
    read -r name partitions config <<<"$spec"
    java "${KAFKA_TOOL_OPTS[@]}" -cp "$UPFLEET_KAFKA_CLASSPATH" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "$UPFLEET_KAFKA_BROKERS" --create --topic "sched.$tag.$name" \
      --partitions "$partitions" ${config:+--config "$config"} >>"$WORK/topics.log" 2>&1 ||
      upfleet_die "creating topic sched.$tag.$name failed (see $WORK/topics.log)"
  done
  TOPIC_ENV=(UPFLEET_KAFKA_TOPICS_JOBS="sched.$tag.jobs" UPFLEET_KAFKA_TOPICS_STATUS="sched.$tag.status"
    UPFLEET_KAFKA_TOPICS_DLQ="sched.$tag.dlq")
}

# start_proxy DELAY JITTER: a fault proxy in front of S3; sets PROXY_URL.
start_proxy() {
  local port_file="$WORK/proxy-$1-$2.port"
  "$PROXY" --upstream "${UPFLEET_S3_ENDPOINT#http://}" --delay "$1" --delay-jitter "$2" \
    >"$port_file" 2>>"$WORK/proxy.log" &
  PIDS+=($!)
  upfleet_wait_until 10 0.1 test -s "$port_file" || upfleet_die "the fault proxy did not start"
  PROXY_URL="http://127.0.0.1:$(head -n 1 "$port_file")"
}

jobs_done() {
  curl -fs "http://$1/metrics" 2>/dev/null |
    awk '/^upfleet_worker_jobs_total\{/ { sum += $2 } END { print sum + 0 }'
}

# measure TAG ORDERING PROXY_URL ENQUEUE_FN: queue the jobs, run one worker, print jobs/s.
measure() {
  local tag="$1" ordering="$2" proxy_url="$3" enqueue="$4" metrics pid t10="" t90="" done_now
  create_job_topics "$tag"
  "$enqueue" >"$WORK/enqueue-$tag.log" 2>&1 || upfleet_die "enqueue failed (see $WORK/enqueue-$tag.log)"
  metrics="127.0.0.1:$(upfleet_free_port 127.0.0.1)"
  env "${TOPIC_ENV[@]}" UPFLEET_S3_ENDPOINT="$proxy_url" UPFLEET_WORKER_ORDERING="$ordering" \
    UPFLEET_WORKER_CONCURRENCY="$CONCURRENCY" UPFLEET_WORKER_MAX_INFLIGHT_JOBS=$((JOBS * 2)) \
    UPFLEET_KAFKA_GROUP_ID="sched-$tag" UPFLEET_METRICS_LISTEN="$metrics" UPFLEET_LOG_LEVEL=warn \
    "$WORKER" >"$WORK/worker-$tag.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  local deadline=$((SECONDS + 900))
  while ((SECONDS < deadline)); do
    done_now="$(jobs_done "$metrics")"
    [[ -z "$t10" && "$done_now" -ge $((JOBS / 10)) ]] && t10="$(bench_now)"
    if [[ "$done_now" -ge $((JOBS * 9 / 10)) ]]; then
      t90="$(bench_now)"
      break
    fi
    kill -0 "$pid" 2>/dev/null || upfleet_die "the worker exited (see $WORK/worker-$tag.log)"
    sleep 0.05
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ -n "$t90" ]] || upfleet_die "the worker did not finish $tag in time"
  bench_calc "($JOBS * 0.8) / ($t90 - $t10)"
}

enqueue_distinct() {
  env "${TOPIC_ENV[@]}" "$CTL" enqueue --prefix "sched/$RANDOM/" "$WORK/distinct"/f*
}

enqueue_20_keys() {
  local k pids=()
  for ((k = 0; k < 20; k++)); do
    env "${TOPIC_ENV[@]}" "$CTL" enqueue --key "sched/hot-$k-$RANDOM" "$WORK/keys/$k"/f* &
    pids+=($!)
  done
  local pid
  for pid in "${pids[@]}"; do wait "$pid"; done
}

main() {
  if [[ "${BENCH_NO_BUILD:-0}" != "1" ]]; then
    upfleet_install_deps
    upfleet_fetch_jars
    UPFLEET_BUILD_TARGETS="upfleet-worker upfleetctl upfleet-fault-proxy" upfleet_build build
  fi
  mkdir -p "$BENCH_DIR"
  WORK="$(mktemp -d "$BENCH_DIR/run.XXXXXX")"
  bench_services_up

  make_files "$WORK/distinct" "$JOBS"
  local k
  for ((k = 0; k < 20; k++)); do make_files "$WORK/keys/$k" $((JOBS / 20)); done

  start_proxy 20ms 0ms
  local slow="$PROXY_URL"
  start_proxy 0ms 5ms
  local jittery="$PROXY_URL"

  local run key=() partition=() none=() key20=()
  for ((run = 1; run <= RUNS; run++)); do
    upfleet_log "run $run/$RUNS (load $(bench_load))"
    key+=("$(measure "k$run-$RANDOM" key "$slow" enqueue_distinct)")
    partition+=("$(measure "p$run-$RANDOM" partition "$slow" enqueue_distinct)")
    key20+=("$(measure "k20-$run-$RANDOM" key "$jittery" enqueue_20_keys)")
    none+=("$(measure "n20-$run-$RANDOM" none "$jittery" enqueue_20_keys)")
    upfleet_log "distinct keys, 20 ms: key ${key[-1]} jobs/s, partition ${partition[-1]} jobs/s;" \
      "20 keys, 0-5 ms: key ${key20[-1]} jobs/s, none ${none[-1]} jobs/s"
  done
  local mk mp mk20 mn
  mk="$(bench_median "${key[@]}")"
  mp="$(bench_median "${partition[@]}")"
  mk20="$(bench_median "${key20[@]}")"
  mn="$(bench_median "${none[@]}")"
  cat <<REPORT

## Key-ordered concurrency (medians of $RUNS runs, $JOBS jobs, one partition, $CONCURRENCY worker threads)

Machine: $(bench_machine)

| workload | ordering | jobs/s |
|---|---|---|
| $JOBS distinct keys, S3 +20 ms | key | $mk |
| $JOBS distinct keys, S3 +20 ms | partition | $mp |
| 20 keys, S3 +0-5 ms | key | $mk20 |
| 20 keys, S3 +0-5 ms | none | $mn |

- key / partition (distinct keys): **$(bench_ratio "$mk" "$mp")x** (goal >= 10x)
- none / key (20 keys): **$(bench_ratio "$mn" "$mk20")x** (goal <= 1.3x)
REPORT
}

main "$@"
