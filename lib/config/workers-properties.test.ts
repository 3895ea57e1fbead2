import { describe, expect, it } from 'vitest'
import { fromWorkersProperties } from './workers-properties.js'

const lines = (...l: string[]) => l.join('\n')

describe('fromWorkersProperties', () => {
  it('maps an lb worker with its members, routes, weights and stickiness', () => {
    const { balancers, warnings } = fromWorkersProperties(lines(
      'worker.list=lb',
      'worker.a.type=ajp13', 'worker.a.host=10.0.0.1', 'worker.a.port=8010', 'worker.a.lbfactor=3',
      'worker.b.type=ajp13', 'worker.b.host=10.0.0.2', 'worker.b.route=nodeB',
      'worker.lb.type=lb', 'worker.lb.balance_workers=a,b', 'worker.lb.method=T', 'worker.lb.sticky_session_force=1',
    ))
    expect(warnings).toEqual([])
    expect(balancers).toEqual([{
      name: 'lb',
      mount: '/',
      options: {
        members: [{ url: 'ajp://10.0.0.1:8010', route: 'a', weight: 3 }, { url: 'ajp://10.0.0.2:8009', route: 'nodeB' }],
        scheduler: 'bytraffic',
        sticky: { force: true },
      },
    }])
  })

  it('maps method letters, sticky_session=0 and activation/distance/domain/redirect', () => {
    const base = ['worker.list=lb', 'worker.a.host=h1', 'worker.b.host=h2', 'worker.lb.type=lb', 'worker.lb.balance_workers=a,b']
    const methods = { R: 'byrequests', Busyness: 'bybusyness', t: 'bytraffic', S: 'byrequests', N: 'byrequests' }
    for (const [letter, scheduler] of Object.entries(methods)) {
      const r = fromWorkersProperties(lines(...base, `worker.lb.method=${letter}`))
      expect(r.balancers[0]!.options.scheduler).toBe(scheduler)
      expect(r.warnings.length).toBe(letter === 'S' || letter === 'N' ? 1 : 0)
    }
    const r = fromWorkersProperties(lines(...base, 'worker.lb.sticky_session=0', 'worker.a.activation=disabled', 'worker.b.activation=S',
      'worker.a.distance=2', 'worker.a.domain=dc1', 'worker.a.redirect=b'))
    expect(r.balancers[0]!.options.sticky).toBe(false)
    expect(r.balancers[0]!.options.members).toEqual([
      { url: 'ajp://h1:8009', route: 'a', domain: 'dc1', state: 'draining', group: 2, redirect: 'b' },
      { url: 'ajp://h2:8009', route: 'b', state: 'stopped' },
    ])
  })

  it('follows reference= templates, maps AJP settings, inherits the lb secret', () => {
    const { balancers, warnings } = fromWorkersProperties(lines(
      'worker.list=lb',
      'worker.tpl.type=ajp13', 'worker.tpl.ping_mode=I', 'worker.tpl.ping_timeout=1500', 'worker.tpl.connection_ping_interval=30',
      'worker.tpl.reply_timeout=20000', 'worker.tpl.max_packet_size=65536', 'worker.tpl.connection_pool_size=10',
      'worker.a.reference=worker.tpl', 'worker.a.host=h1',
      'worker.lb.type=lb', 'worker.lb.balance_workers=a', 'worker.lb.secret=s3cret', 'worker.lb.recover_time=15',
      'worker.lb.fail_on_status=500,503,-404',
    ))
    expect(balancers[0]!.options).toMatchObject({
      members: [{ url: 'ajp://h1:8009', route: 'a', secret: 's3cret', ajp: { pingAfterIdle: 30_000, pingTimeout: 1500, replyTimeout: 20_000, packetSize: 65536, maxConnections: 10 } }],
      retryMs: 15_000,
      failOnStatus: [500, 503],
    })
    expect(warnings).toEqual(['workers.properties:15: worker.lb.fail_on_status -404: negative codes (fail the request, keep the member ok) are not supported: ignored'])
  })

  it('mounts by JkMount/JkUnMount (also in <Location>) and turns a status worker into the admin surface', () => {
    const { balancers, warnings } = fromWorkersProperties(lines(
      'worker.list=lb,stat', 'worker.a.host=h1', 'worker.lb.type=lb', 'worker.lb.balance_workers=a', 'worker.stat.type=status', 'worker.stat.read_only=true',
    ), {
      jkMounts: lines('JkMount /shop/* lb', 'JkMount /shop lb', 'JkUnMount /shop/img/* lb', '<Location /shop/jkstatus>', '  JkMount stat', '</Location>'),
      jkMountsFileName: 'jk.conf',
    })
    expect(balancers.map((b) => [b.name, b.mount, b.options.exclude, b.options.admin])).toEqual([
      ['lb', '/shop', ['/img'], { path: '/jkstatus', name: 'lb', readOnly: true }],
    ])
    expect(warnings).toEqual([expect.stringMatching(/^workers\.properties:1: status worker stat → admin surface of lb at \/shop\/jkstatus/)])
  })

  it('accepts uriworkermap.properties lines as mounts', () => {
    const { balancers } = fromWorkersProperties('worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a\n', { jkMounts: '/app/*=lb\n!/app/static/*=lb\n' })
    expect(balancers[0]).toMatchObject({ mount: '/app', options: { exclude: ['/static'] } })
  })

  it('warns, naming the line, about everything it skips', () => {
    const { balancers, warnings } = fromWorkersProperties(lines(
      'worker.list=lb,direct,jni1',
      'worker.a.host=h1', 'worker.a.socket_keepalive=true', 'worker.a.lbfactor=250', 'worker.a.ping_mode=C',
      'worker.lb.type=lb', 'worker.lb.balance_workers=a,missing', 'worker.lb.lb_retries=5',
      'worker.direct.host=h9',
      'worker.jni1.type=jni',
      'worker.orphan.host=h0',
      'this is not a property',
    ))
    expect(balancers.map((b) => b.name)).toEqual(['lb', 'direct'])
    expect(warnings).toEqual(expect.arrayContaining([
      'workers.properties:3: worker.a.socket_keepalive is not supported (TCP keep-alive is not configurable): ignored',
      'workers.properties:4: worker.a.lbfactor=250 becomes weight 100 (weights are integers from 1 to 100)',
      expect.stringMatching(/^workers\.properties:5: worker\.a\.ping_mode=C/),
      expect.stringMatching(/^workers\.properties:7: balance_workers of lb names missing/),
      'workers.properties:8: worker.lb.lb_retries is not supported (maxAttempts bounds the members tried): ignored',
      expect.stringMatching(/^workers\.properties:1: worker direct is a single ajp13 worker/),
      'workers.properties:10: worker jni1 has type jni, which is not supported: not imported',
      expect.stringMatching(/^workers\.properties:11: worker orphan is neither in worker.list/),
      'workers.properties:12: not a property line: "this is not a property": ignored',
    ]))
  })

  it('reports a reference cycle and an unknown template instead of looping', () => {
    const { warnings } = fromWorkersProperties('worker.list=lb\nworker.a.reference=worker.b\nworker.b.reference=worker.a\nworker.c.reference=worker.nope\nworker.lb.type=lb\nworker.lb.balance_workers=a,c\n')
    expect(warnings.some((w) => /cycle/.test(w))).toBe(true)
    expect(warnings.some((w) => /unknown worker "worker.nope"/.test(w))).toBe(true)
  })

  it("keeps an unknown $(name) as written, with a warning: mod_jk would read the environment, we read ${name}", () => {
    const { balancers, warnings } = fromWorkersProperties('base=10.0.0.1\nworker.list=a\nworker.a.type=ajp13\nworker.a.host=$(base)\nworker.a.secret=$(AJP_SECRET)\n')
    expect(balancers[0]!.options.members[0]).toMatchObject({ url: 'ajp://10.0.0.1:8009', secret: '$(AJP_SECRET)' })
    expect(warnings).toContain('workers.properties:5: $(AJP_SECRET) names no property above: kept as written (mod_jk would read the environment; write ${AJP_SECRET} for that)')
  })
})
