import { describe, expect, it } from 'vitest'
import { parseEnvironmentFile, parseUnitFile, splitCommandLine } from './systemd-unit.js'

describe('parseUnitFile', () => {
  const unit = parseUnitFile([
    '# comment', '; comment', '[Service]', 'User=nobody', 'ExecStart=/usr/bin/node a.js \\', '    --x 1 \\', '    --y 2',
    'CapabilityBoundingSet=CAP_A', 'CapabilityBoundingSet=', 'Environment=A=1', 'Environment=B=2', 'User=later', '[Install]', 'WantedBy=multi-user.target',
  ].join('\n'))
  it.each([
    ['Service', 'User', 'later'],
    ['Service', 'ExecStart', '/usr/bin/node a.js --x 1 --y 2'],
    ['Install', 'WantedBy', 'multi-user.target'],
    ['Install', 'User', undefined],
  ])('[%s] %s = %s', (section, key, value) => expect(unit.get(section, key)).toBe(value))
  it('lists every value, an empty assignment resetting the list', () => {
    expect(unit.all('Service', 'Environment')).toEqual(['A=1', 'B=2'])
    expect(unit.all('Service', 'CapabilityBoundingSet')).toEqual([])
  })
})

describe('splitCommandLine', () => {
  it.each([
    ['/bin/kill -HUP $MAINPID', ['/bin/kill', '-HUP', '42']],
    ['/bin/kill -HUP ${MAINPID}', ['/bin/kill', '-HUP', '42']],
    ['/bin/echo "a b" \'c $d\' e\\ f', ['/bin/echo', 'a b', 'c $d', 'e f']],
    ['/bin/echo "x=$MAINPID" $$', ['/bin/echo', 'x=42', '$']],
    ['/bin/echo $UNSET', ['/bin/echo', '']],
  ])('%s', (line, words) => expect(splitCommandLine(line, { MAINPID: '42' })).toEqual(words))
  it('refuses prefixes and open quotes', () => {
    expect(() => splitCommandLine('-/bin/true')).toThrow(/prefixes/)
    expect(() => splitCommandLine('/bin/echo "a')).toThrow(/quote/)
  })
})

describe('parseEnvironmentFile', () => {
  it.each([
    ['A=1\n# c\n; c\n\nB = two', { A: '1', B: 'two' }],
    ['S="a \\"b\\" c"\nT=\'x y\'', { S: 'a "b" c', T: 'x y' }],
    ['L=a\\\nb', { L: 'ab' }],
  ])('%j', (text, env) => expect(parseEnvironmentFile(text)).toEqual(env))
  it('refuses a line that is no assignment', () => expect(() => parseEnvironmentFile('export A=1')).toThrow(/NAME=value/))
})
