// The wrk workloads of the benchmark, shared by run.mjs (every target) and profile.mjs (one target).
// path: the request; script: a wrk Lua script in bench/wrk/; cookie: send the sticky session cookie
// of BenchA; countsSessions: report the share of responses that set a new JSESSIONID.
export const WORKLOADS = [
  { name: 'static', title: 'static file, 103 bytes (`GET /testapp/static.txt`)', path: '/testapp/static.txt' },
  { name: 'sticky', title: 'session JSP with a sticky cookie (`GET /testapp/index.jsp`, `Cookie: JSESSIONID=<id>.BenchA`)', path: '/testapp/index.jsp', script: 'sticky.lua', cookie: true, countsSessions: true },
  // ttl=2: each new session expires after 2 idle seconds (removed within ~12 s). With the webapp's
  // 30 minutes, the millions of sessions a run creates filled Tomcat's heap and later rounds
  // measured its full GCs.
  { name: 'new', title: 'session JSP without cookie: a new session per request, each expiring after 2 idle seconds (`GET /testapp/index.jsp?ttl=2`)', path: '/testapp/index.jsp?ttl=2', script: 'sticky.lua', countsSessions: true },
  { name: 'download', title: '1 MiB download (`GET /testapp/1m.bin`)', path: '/testapp/1m.bin' },
  { name: 'upload', title: '1 MiB upload (`POST /testapp/echo.jsp`, body read and hashed by the JSP)', path: '/testapp/echo.jsp', script: 'upload.lua' },
]
