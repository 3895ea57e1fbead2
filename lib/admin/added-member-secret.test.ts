import { describe, expect, it } from 'vitest'
import { resolveMemberOptions } from '../options.js'
import { adminAddedMember } from './added-member-secret.js'

const configured = [
  resolveMemberOptions({ url: 'ajp://10.0.0.1:8009', route: 'A' }, 'members[0]'),
  resolveMemberOptions({ url: 'ajp://tomcat-b.internal', route: 'B', secret: 'own', ajp: { packetSize: 65536 } }, 'members[1]'),
  resolveMemberOptions({ url: 'http://10.0.0.3:8080', route: 'C' }, 'members[2]'),
]

describe('adminAddedMember', () => {
  it.each<[string, string, unknown, boolean | undefined]>([
    ['the address of a configured member: its (balancer-wide) settings', 'ajp://10.0.0.1:8009', undefined, true],
    ['its address with the default port written out', 'ajp://tomcat-b.internal:8009', { secret: 'own', packetSize: 65536 }, true],
    ['its address, name in capitals', 'ajp://TOMCAT-B.internal', { secret: 'own', packetSize: 65536 }, true],
    ['another port on a configured host', 'ajp://10.0.0.1:8010', { secret: undefined }, false],
    ['another host, the same port', 'ajp://10.0.0.9:8009', { secret: undefined }, false],
    ['the same host by another name', 'ajp://localhost:8009', { secret: undefined }, false],
    ['an AJP member where an HTTP member is configured', 'ajp://10.0.0.3:8080', { secret: undefined }, false],
    ['an attacker host', 'ajp://attacker.example:8009', { secret: undefined }, false],
  ])('%s', (_name, url, ajp, configuredAjp) => {
    const out = adminAddedMember(configured, { url, route: 'X' })
    expect(out.configuredAjp).toBe(configuredAjp)
    expect(out.options.ajp).toEqual(ajp)
    if (ajp !== undefined) expect(Object.keys(out.options.ajp ?? {})).toContain('secret')
    expect(out.options).toMatchObject({ url, route: 'X' })
  })

  it('leaves HTTP members and unparsable URLs alone', () => {
    expect(adminAddedMember(configured, { url: 'http://attacker.example' })).toEqual({ options: { url: 'http://attacker.example' }, configuredAjp: undefined })
    expect(adminAddedMember(configured, { url: 'not a url' })).toEqual({ options: { url: 'not a url' }, configuredAjp: undefined })
  })
})
