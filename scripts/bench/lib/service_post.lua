-- wrk script of scripts/bench/service: POSTs the Rollbar item of UV_BENCH_PREFIX/SUFFIX (files)
-- to /api/1/item/ with a distinct uuid a request (UV_BENCH_UUIDS, below) and the token
-- UV_BENCH_TOKEN; done() prints one RESULT line for the bench to parse.
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
  uuids = os.getenv("UV_BENCH_UUIDS") or "sequential"
  math.randomseed(os.time() * 1000 + tid * 7919 + (tonumber(run:match("%d+")) or 0))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Rollbar-Access-Token"] = os.getenv("UV_BENCH_TOKEN")
end

-- UV_BENCH_UUIDS: "sequential" (run, thread, counter: two insertion points in the uuid
-- index), "random" (version 4, as rollbar.js and pyrollbar send them) or "none" (an empty
-- uuid: the server makes one, as for Raygun payloads, which have none).
local function random_uuid()
  return string.format("%08x-%04x-4%03x-%04x-%08x%04x", math.random(0, 0x7fffffff) * 2,
    math.random(0, 0xffff), math.random(0, 0xfff), math.random(0x8000, 0xbfff),
    math.random(0, 0x7fffffff) * 2, math.random(0, 0xffff))
end

function request()
  counter = counter + 1
  local uuid
  if uuids == "random" then
    uuid = random_uuid()
  elseif uuids == "none" then
    uuid = ""
  else
    uuid = string.format("%s-t%d-n%d", run, tid, counter)
  end
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
