-- wrk script of scripts/bench/service: POSTs the Rollbar item of UV_BENCH_PREFIX/SUFFIX (files)
-- to /api/1/item/ with a distinct uuid a request (run id, thread, counter: letters between the
-- digits) and the token UV_BENCH_TOKEN; done() prints one RESULT line for the bench to parse.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local function slurp(name)
  local path = os.getenv(name)
  local f = assert(io.open(path, "rb"), name .. ": cannot open " .. tostring(path))
  local s = f:read("*a")
  f:close()
  return s
end

local counter = 0

function init(args)
  prefix = slurp("UV_BENCH_PREFIX")
  suffix = slurp("UV_BENCH_SUFFIX")
  run = os.getenv("UV_BENCH_RUN")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Rollbar-Access-Token"] = os.getenv("UV_BENCH_TOKEN")
end

function request()
  counter = counter + 1
  local uuid = string.format("%s-t%d-n%d", run, tid, counter)
  return wrk.format(nil, nil, nil, prefix .. uuid .. suffix)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
