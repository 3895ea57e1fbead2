import { describe, expect, it } from 'vitest'
import { fromHttpdConfig } from './httpd.js'

describe('fromHttpdConfig', () => {
  it('maps a balancer with members, ProxyPass parameters, ProxySet and exclusions', () => {
    const { balancers, warnings } = fromHttpdConfig([
      '<Proxy balancer://app>',
      '  BalancerMember http://h1:8080 route=n1 loadfactor=3 lbset=1',
      '  BalancerMember ajp://h2:8009 route=n2 status=+H secret=s retry=5',
      '  ProxySet lbmethod=bytraffic',
      '</Proxy>',
      'ProxyPass /shop/img !',
      'ProxyPass /shop balancer://app/store stickysession=JSESSIONID|jsessionid stickysessionsep=Off nofailover=On maxattempts=2 failonstatus=502,503',
      'ProxyPreserveHost On',
      'ProxyVia On',
    ].join('\n'))
    expect(warnings).toEqual([])
    expect(balancers).toEqual([{
      name: 'app',
      mount: '/shop',
      options: {
        members: [{ url: 'http://h1:8080', route: 'n1', weight: 3, group: 1 }, { url: 'ajp://h2:8009', route: 'n2', state: 'standby', secret: 's' }],
        scheduler: 'bytraffic',
        sticky: { cookie: 'JSESSIONID', pathParam: 'jsessionid', queryParam: 'jsessionid', separator: false, force: true },
        retryMs: 5000,
        maxAttempts: 2,
        failOnStatus: [502, 503],
        upstreamPath: '/store',
        preserveHost: true,
        via: true,
        exclude: ['/img'],
      },
    }])
  })

  it('maps forcerecovery=Off to forceRecovery: false, and warns on a value that is not On or Off', () => {
    const conf = (v: string) => `<Proxy balancer://b>\nBalancerMember http://h1\nProxySet forcerecovery=${v}\n</Proxy>\nProxyPass / balancer://b/\n`
    expect(fromHttpdConfig(conf('Off')).balancers[0]!.options.forceRecovery).toBe(false)
    expect(fromHttpdConfig(conf('On')).balancers[0]!.options.forceRecovery).toBe(true)
    const odd = fromHttpdConfig(conf('maybe'))
    expect(odd.balancers[0]!.options.forceRecovery).toBeUndefined()
    expect(odd.warnings).toEqual(['httpd.conf:3: forcerecovery=maybe is not On or Off: ignored'])
  })

  it('has no stickiness without stickysession, as httpd', () => {
    const { balancers } = fromHttpdConfig('<Proxy balancer://b>\nBalancerMember http://h1\n</Proxy>\nProxyPass / balancer://b/\n')
    expect(balancers[0]!.options.sticky).toBe(false)
  })

  it('maps status flags, hc* parameters, ROUTEID header and the balancer-manager location', () => {
    const { balancers, warnings } = fromHttpdConfig([
      'Header add Set-Cookie "ROUTEID=.%{BALANCER_WORKER_ROUTE}e; path=/" env=BALANCER_ROUTE_CHANGED',
      '<Proxy "balancer://c">',
      '  BalancerMember "http://h1" route=1 status=+N+I hcmethod=HEAD hcuri=/ping hcinterval=5 hcfails=2',
      '  BalancerMember "http://h2" route=2 status=S',
      '  BalancerMember "http://h3" route=3 status=D',
      '  ProxySet stickysession=ROUTEID',
      '</Proxy>',
      'ProxyPass "/" "balancer://c/"',
      '<Location "/bm">',
      '  SetHandler balancer-manager',
      '</Location>',
    ].join('\n'), { fileName: 'site.conf' })
    expect(balancers[0]!.options).toMatchObject({
      members: [{ route: '1', state: 'draining', ignoreErrors: true }, { route: '2', state: 'stopped' }, { route: '3', state: 'stopped' }],
      health: { method: 'HEAD', path: '/ping', interval: 5000, fails: 2 },
      sticky: { cookie: 'ROUTEID', balancerCookie: { name: 'ROUTEID' } },
      admin: { path: '/bm', name: 'c' },
    })
    expect(warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^site\.conf:5: BalancerMember http:\/\/h3: status D/),
      expect.stringMatching(/^site\.conf:1: Header … ROUTEID/),
      expect.stringMatching(/^site\.conf:10: balancer-manager at \/bm → admin surface of c/),
    ]))
  })

  it('warns, naming the line, about what it cannot map', () => {
    const { balancers, warnings } = fromHttpdConfig([
      '<Proxy balancer://x>',
      'BalancerMember http://h1 flushpackets=on ping=1',
      'BalancerMember ws://h2',
      'ProxySet lbmethod=heartbeat growth=5',
      '</Proxy>',
      '<Proxy balancer://unused>',
      'BalancerMember http://h9',
      '</Proxy>',
      'ProxyPass / balancer://x/',
      'ProxyPass /late !',
      'ProxyPassMatch ^/(.*)$ http://h/$1',
      'ProxyFancy On',
      'JkMount /* lb',
    ].join('\n'))
    expect(balancers).toHaveLength(1)
    expect(warnings).toEqual(expect.arrayContaining([
      'httpd.conf:2: BalancerMember http://h1: flushpackets is not supported (responses are always streamed): ignored',
      'httpd.conf:2: BalancerMember http://h1: ping on http members (Expect: 100-continue) is not supported: ignored',
      'httpd.conf:3: BalancerMember ws://h2: only http://, https:// and ajp:// members are supported: not imported',
      'httpd.conf:4: lbmethod=heartbeat is not supported (byrequests, bytraffic, bybusyness): byrequests',
      expect.stringMatching(/^httpd\.conf:4: growth=5 is not supported/),
      'httpd.conf:6: balancer://unused is not used by any ProxyPass: not imported',
      expect.stringMatching(/^httpd\.conf:10: ProxyPass \/late ! comes after ProxyPass \//),
      expect.stringMatching(/^httpd\.conf:11: ProxyPassMatch/),
      'httpd.conf:12: ProxyFancy is not supported: ignored',
      expect.stringMatching(/^httpd\.conf:13: JkMount: mod_jk directives/),
    ]))
  })

  it('reads ProxyPass inside <Location> and BalancerMember/ProxySet outside <Proxy>', () => {
    const { balancers } = fromHttpdConfig([
      'BalancerMember balancer://b http://h1 route=r1',
      'BalancerMember balancer://b http://h2 route=r2',
      'ProxySet balancer://b lbmethod=bybusyness',
      '<Location /app>',
      '  ProxyPass balancer://b/app',
      '</Location>',
    ].join('\n'))
    expect(balancers).toMatchObject([{ name: 'b', mount: '/app', options: { scheduler: 'bybusyness', members: [{ route: 'r1' }, { route: 'r2' }] } }])
    expect(balancers[0]!.options.upstreamPath).toBeUndefined()
  })
})
