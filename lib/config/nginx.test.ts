import { describe, expect, it } from 'vitest'
import { fromNginxConfig } from './nginx.js'

describe('fromNginxConfig', () => {
  it('maps an upstream and the location that proxies to it; nginx defaults (wrr, no stickiness, no X-Forwarded, retry 10 s)', () => {
    const { balancers, warnings } = fromNginxConfig(`
      upstream tc { server 10.0.0.1:8080 weight=2; server 10.0.0.2; }
      server { location /app/ { proxy_pass http://tc/testapp/; } }
    `)
    expect(warnings).toEqual([])
    expect(balancers).toEqual([{
      name: 'tc',
      mount: '/app',
      options: {
        members: [{ url: 'http://10.0.0.1:8080', weight: 2 }, { url: 'http://10.0.0.2:80' }],
        scheduler: 'wrr',
        sticky: false,
        retryMs: 10_000,
        upstreamPath: '/testapp',
        xForwarded: false,
      },
    }])
  })

  it("reads nginx's ${name} as $name: its braces are not a block", () => {
    const { balancers, warnings } = fromNginxConfig('upstream u { server a:1; }\nserver { location / { proxy_pass http://u; proxy_set_header Host ${host}; add_header X-Id ${request_id}; } }')
    expect(warnings.filter((w) => !w.includes('add_header'))).toEqual([])
    expect(balancers).toHaveLength(1)
    expect(balancers[0]!.options.preserveHost).toBe(true)
  })

  it('maps the balancing methods', () => {
    const cases: [string, string][] = [['ip_hash;', 'ip_hash'], ['least_conn;', 'leastconn'], ['random two least_conn;', 'random'], ['least_time header;', 'peakewma'], ['hash $remote_addr consistent;', 'ip_hash'], ['hash $request_uri;', 'wrr']]
    for (const [directive, scheduler] of cases) {
      const { balancers } = fromNginxConfig(`upstream u { ${directive} server a:1; server b:2; } server { location / { proxy_pass http://u; } }`)
      expect(balancers[0]!.options.scheduler, directive).toBe(scheduler)
    }
  })

  it('maps server parameters, sticky cookie, keepalive and proxy_* settings', () => {
    const { balancers, warnings } = fromNginxConfig(`
      upstream u {
        server a:1 route=A max_fails=2 fail_timeout=1m slow_start=30s;
        server b:1 route=B backup;
        server c:1 route=C down;
        server d:1 route=D drain;
        sticky cookie SRV expires=2h path=/app secure samesite=none;
        keepalive 8;
      }
      server {
        proxy_set_header Host $host;
        location / {
          proxy_pass http://u;
          proxy_connect_timeout 500ms;
          proxy_read_timeout 2m;
          proxy_next_upstream error timeout http_502 http_503;
          proxy_next_upstream_tries 3;
        }
      }`)
    expect(warnings).toEqual([expect.stringMatching(/^nginx\.conf:7: sticky cookie SRV → sticky\.balancerCookie/)])
    expect(balancers[0]!.options).toEqual({
      members: [
        { url: 'http://a:1', route: 'A' },
        { url: 'http://b:1', route: 'B', state: 'standby' },
        { url: 'http://c:1', route: 'C', state: 'stopped' },
        { url: 'http://d:1', route: 'D', state: 'draining' },
      ],
      scheduler: 'wrr',
      sticky: { cookie: 'SRV', pathParam: false, balancerCookie: { name: 'SRV', httpOnly: false, secure: true, sameSite: 'None', maxAgeMs: 7_200_000, path: '/app' } },
      http: { maxFreeSockets: 8 },
      maxFails: 2,
      retryMs: 60_000,
      slowStartMs: 30_000,
      xForwarded: false,
      preserveHost: true,
      connectTimeout: 500,
      timeout: 120_000,
      failOnStatus: [502, 503],
      maxAttempts: 2,
    })
  })

  it('warns, naming the line, about what it skips', () => {
    const { balancers, warnings } = fromNginxConfig([
      'upstream u {',
      '  server unix:/tmp/s;',
      '  server a:1 max_conns=3;',
      '  queue 10;',
      '}',
      'upstream lonely { server z:1; }',
      'server {',
      '  location ~ ^/x { proxy_pass http://u; }',
      '  location / { proxy_pass http://u; proxy_cache c; }',
      '  location /v { proxy_pass http://$backend; }',
      '  include extra.conf;',
      '}',
    ].join('\n'))
    expect(balancers).toHaveLength(1)
    expect(warnings).toEqual(expect.arrayContaining([
      'nginx.conf:2: server unix:/tmp/s: unix sockets are not supported: not imported',
      'nginx.conf:3: server a:1 max_conns=3 is not supported (use http.maxSockets or ajp.maxConnections): ignored',
      'nginx.conf:4: queue in upstream u is not supported: ignored',
      'nginx.conf:6: upstream lonely is not used by any proxy_pass location: not imported',
      expect.stringMatching(/^nginx\.conf:8: location ~ \^\/x/),
      'nginx.conf:9: proxy_cache is not supported: ignored',
      'nginx.conf:10: proxy_pass http://$backend: variables are not supported: skipped',
      expect.stringMatching(/^nginx\.conf:11: include extra\.conf is not followed/),
    ]))
  })

  it('survives a missing ";" (as in the tutorial as published) and says so', () => {
    const { balancers, warnings } = fromNginxConfig('upstream tcsrvs {\n server 172.16.31.50:8080\n server 172.16.31.51:8080\n}\nserver { location / { proxy_pass http://tcsrvs; } }')
    expect(warnings[0]).toMatch(/^nginx\.conf:2: "server 172\.16\.31\.50:8080 server 172\.16\.31\.51:8080" is missing its ";"/)
    expect(balancers).toHaveLength(1)
  })

  it.each([['a vertical tab', '\u000b'], ['a form feed', '\f'], ['a no-break space', '\u00a0']])('reads %s between words as white space (it once read an empty word forever)', (_what, space) => {
    const { balancers } = fromNginxConfig(`upstream tc {${space}server 10.0.0.1:8080;${space}}\nserver { location /${space}{ proxy_pass${space}http://tc; } }`)
    expect(balancers.map((b) => [b.mount, b.options.members.map((m) => m.url)])).toEqual([['/', ['http://10.0.0.1:8080']]])
  })
})
