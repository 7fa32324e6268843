-- wrk script: POST a predict body; with DISTINCT=1 every request carries a new input, so no
-- query is a cache hit; with GET=1 it sends plain GETs instead. Prints one machine-readable line
-- at the end.
local distinct = os.getenv("DISTINCT") == "1"
local counter = 0
wrk.method = os.getenv("GET") == "1" and "GET" or "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"input": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]}'

function setup(thread)
  thread:set("offset", math.random(1, 1000000000))
end

function request()
  if distinct then
    counter = counter + 1
    local body = string.format('{"input": [%d.0, %d.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]}', offset, counter)
    return wrk.format(nil, nil, nil, body)
  end
  if wrk.method == "GET" then
    return wrk.format("GET", nil, nil, "")
  end
  return wrk.format()
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d requests=%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.requests))
end
