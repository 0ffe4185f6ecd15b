-- wrk script for bench/ingest_bench.sh: every request PUTs the same body to a path of its own,
-- so no server overwrites an earlier file (nginx answers 204 instead of 201 then, and the
-- ingest would spool it again under the same key).
--
--   wrk -t T -c C -d D --timeout 120s -s bench/ingest/put.lua URL -- PATH_PREFIX BODY_FILE
--
-- Paths are PATH_PREFIX<thread>-<n>. At the end one line goes to stdout for the script:
--   wrk-result requests=N duration_us=N p50_us=N p99_us=N status_errors=N socket_errors=N

local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_id", next_thread)
end

local prefix
local sent = 0

function init(args)
  prefix = args[1]
  local file = assert(io.open(args[2], "rb"))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "PUT"
  wrk.headers["Content-Type"] = "application/octet-stream"
end

function request()
  sent = sent + 1
  -- thread_id is set by setup() in this thread's Lua state.
  return wrk.format(nil, string.format("%s%d-%d", prefix, thread_id, sent))
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    "wrk-result requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
