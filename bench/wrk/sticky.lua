-- GET with the session cookie from BENCH_COOKIE; counts responses that start a new session
-- (a Set-Cookie: JSESSIONID), so the report can tell whether the target kept the session sticky.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
  new_sessions = 0
  responses = 0
end

function response(status, headers, body)
  responses = responses + 1
  local cookie = headers["Set-Cookie"] or headers["set-cookie"]
  if cookie ~= nil and string.find(cookie, "JSESSIONID=", 1, true) then
    new_sessions = new_sessions + 1
  end
end

function done(summary, latency, requests)
  local n, r = 0, 0
  for _, thread in ipairs(threads) do
    n = n + thread:get("new_sessions")
    r = r + thread:get("responses")
  end
  io.write(string.format("bench-new-sessions: %d of %d\n", n, r))
end
