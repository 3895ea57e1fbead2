import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import { Forwarding, InFlightList } from './forward-attempt.js'

function forwarding(name: string): Forwarding {
  const client = { address: '127.0.0.1', port: 1, localAddress: '127.0.0.1', localPort: 2, secure: false }
  return new Forwarding({} as IncomingMessage, { name } as unknown as ServerResponse, name, name, client, 'h', [], undefined, [], '', '')
}

function names(list: InFlightList): string[] {
  const out: string[] = []
  list.forEach((f) => out.push(f.relative))
  return out
}

describe('InFlightList', () => {
  it('adds at the head and removes from anywhere, once', () => {
    const list = new InFlightList()
    expect(list.empty).toBe(true)
    const [a, b, c] = [forwarding('a'), forwarding('b'), forwarding('c')]
    for (const f of [a, b, c]) list.add(f)
    expect(names(list)).toEqual(['c', 'b', 'a'])
    list.delete(b)
    expect(names(list)).toEqual(['c', 'a'])
    list.delete(b) // not there any more: nothing happens
    list.delete(c)
    expect(names(list)).toEqual(['a'])
    list.delete(a)
    expect(list.empty).toBe(true)
    list.delete(a)
    expect(names(list)).toEqual([])
  })

  it('lets forEach remove the entry it is visiting', () => {
    const list = new InFlightList()
    const all = ['a', 'b', 'c'].map(forwarding)
    for (const f of all) list.add(f)
    const seen: string[] = []
    list.forEach((f) => {
      seen.push(f.relative)
      list.delete(f)
    })
    expect(seen).toEqual(['c', 'b', 'a'])
    expect(list.empty).toBe(true)
  })
})
