import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../errors.js'
import { expandConfigReferences } from './config-references.js'
import type { ReferenceSyntax } from './config-references.js'
import { importConfig } from './import-config.js'

const ENV = { AJP_SECRET: 's3cr3t', TC_HOST: '10.0.0.2', EMPTY: '', QUOTED: 'a"b\\c', SPACED: 'a b', MULTI: 'a\nb', host: 'env-host', BACKEND: 'from-env' }

function expand(syntax: ReferenceSyntax, text: string, env: Record<string, string | undefined> = ENV): string {
  return expandConfigReferences(text, { syntax, fileName: 'the.conf', env })
}

describe('expandConfigReferences', () => {
  const cases: [string, ReferenceSyntax, string, string][] = [
    ['a whole value', 'workers.properties', 'worker.a.secret=${AJP_SECRET}', 'worker.a.secret=s3cr3t'],
    ['inside a value', 'workers.properties', 'worker.a.host=${TC_HOST}.example', 'worker.a.host=10.0.0.2.example'],
    ['a default, unused', 'workers.properties', 'worker.a.host=${TC_HOST:-x}', 'worker.a.host=10.0.0.2'],
    ['a default for an unset name', 'workers.properties', 'worker.a.port=${TC_PORT:-8009}', 'worker.a.port=8009'],
    ['a default for an empty name (as the shell)', 'workers.properties', 'worker.a.port=${EMPTY:-8009}', 'worker.a.port=8009'],
    ['an empty default, written out', 'workers.properties', 'worker.a.domain=${NONE:-}', 'worker.a.domain='],
    ['a default with colons and slashes', 'httpd', 'BalancerMember ${URL:-ajp://10.0.0.1:8009} route=a', 'BalancerMember ajp://10.0.0.1:8009 route=a'],
    ['two references on a line', 'httpd', 'BalancerMember ajp://${TC_HOST}:8009 secret=${AJP_SECRET}', 'BalancerMember ajp://10.0.0.2:8009 secret=s3cr3t'],
    ['$${ is a literal ${', 'workers.properties', 'worker.a.x=$${AJP_SECRET}', 'worker.a.x=${AJP_SECRET}'],
    ['a lone $ stays', 'workers.properties', 'worker.a.x=pa$$word$', 'worker.a.x=pa$$word$'],
    ["mod_jk's $(name) is the importer's", 'workers.properties', 'worker.a.host=$(base)', 'worker.a.host=$(base)'],
    ['a properties comment is not expanded', 'workers.properties', '# worker.a.secret=${UNSET}\n! ${UNSET}', '# worker.a.secret=${UNSET}\n! ${UNSET}'],
    ['an httpd comment is not expanded', 'httpd', '  # secret=${UNSET}', '  # secret=${UNSET}'],
    ['httpd: Define wins over the environment', 'httpd', 'Define TC_HOST 10.9.9.9\nBalancerMember http://${TC_HOST}:8080', 'Define TC_HOST 10.9.9.9\nBalancerMember http://10.9.9.9:8080'],
    ['httpd: a quoted Define is inserted as written', 'httpd', 'Define OPTS "retry=5 timeout=10"\nBalancerMember http://a:1 ${OPTS}', 'Define OPTS "retry=5 timeout=10"\nBalancerMember http://a:1 retry=5 timeout=10'],
    ['httpd: a Define value may use the environment', 'httpd', 'Define S ${AJP_SECRET}\nBalancerMember ajp://a:1 secret=${S}', 'Define S s3cr3t\nBalancerMember ajp://a:1 secret=s3cr3t'],
    ['httpd: UnDefine falls back to the environment', 'httpd', 'Define TC_HOST x\nUnDefine TC_HOST\nBalancerMember http://${TC_HOST}', 'Define TC_HOST x\nUnDefine TC_HOST\nBalancerMember http://10.0.0.2'],
    ['CRLF lines keep their CR', 'workers.properties', 'worker.a.secret=${AJP_SECRET}\r\nworker.a.port=1\r\n', 'worker.a.secret=s3cr3t\r\nworker.a.port=1\r\n'],
    ['nginx: capitals are ours', 'nginx', 'server ${TC_HOST}:8080;', 'server 10.0.0.2:8080;'],
    ['nginx: ${host} and $host are nginx variables', 'nginx', 'proxy_set_header Host ${host}; proxy_set_header X-Host $host;', 'proxy_set_header Host ${host}; proxy_set_header X-Host $host;'],
    ['nginx: mixed case is nginx', 'nginx', 'proxy_set_header X ${http_X_Real};', 'proxy_set_header X ${http_X_Real};'],
    ['nginx: a capitalised name the file sets is nginx', 'nginx', 'set $BACKEND tc;\nproxy_pass http://${BACKEND};', 'set $BACKEND tc;\nproxy_pass http://${BACKEND};'],
    ['nginx: a map target is nginx', 'nginx', 'map $cookie_x $ROUTE { default a; }\nproxy_pass http://${ROUTE}${TC_HOST};', 'map $cookie_x $ROUTE { default a; }\nproxy_pass http://${ROUTE}10.0.0.2;'],
    ['nginx: a comment is not expanded', 'nginx', 'server a:1; # ${UNSET}\n#${UNSET}', 'server a:1; # ${UNSET}\n#${UNSET}'],
    ['nginx: a # inside a quoted word is not a comment', 'nginx', 'add_header X "a#${TC_HOST}";', 'add_header X "a#10.0.0.2";'],
    ['nginx: an unclosed ${ is left to nginx', 'nginx', 'return 200 "${";', 'return 200 "${";'],
    ['JSON: a string value', 'json', '{ "members": [{ "url": "ajp://${TC_HOST}:8009", "secret": "${AJP_SECRET}" }] }', '{ "members": [{ "url": "ajp://10.0.0.2:8009", "secret": "s3cr3t" }] }'],
    ['JSON: the value is escaped as JSON', 'json', '{ "secret": "${QUOTED}", "x": "${MULTI}" }', '{ "secret": "a\\"b\\\\c", "x": "a\\nb" }'],
    ['JSON: keys are not expanded', 'json', '{ "${UNSET}": 1 }', '{ "${UNSET}": 1 }'],
    ['JSON: a reference gives text, never a number', 'json', '{ "weight": "${W:-5}" }', '{ "weight": "5" }'],
    ['JSON: $${ is a literal ${', 'json', '{ "x": "$${AJP_SECRET}" }', '{ "x": "${AJP_SECRET}" }'],
    ['lower-case names outside nginx', 'json', '{ "x": "${host}" }', '{ "x": "env-host" }'],
    ['no reference: the text as it is', 'httpd', 'ProxyPass / balancer://a/', 'ProxyPass / balancer://a/'],
  ]
  for (const [what, syntax, text, expected] of cases) {
    it(`${syntax}: ${what}`, () => {
      expect(expand(syntax, text)).toBe(expected)
      expect(JSON.parse(JSON.stringify(expected))).toBe(expected)
    })
  }

  const errors: [string, ReferenceSyntax, string, RegExp][] = [
    ['an unset name', 'workers.properties', 'worker.list=a\nworker.a.secret=${AJP_SECRETT}', /^the\.conf:2: AJP_SECRETT is not set in the environment/],
    ['an empty name', 'workers.properties', 'worker.a.secret=${EMPTY}', /^the\.conf:1: EMPTY is empty in the environment/],
    ['httpd: an unset name', 'httpd', '\n\nBalancerMember ajp://a:1 secret=${NOPE}', /^the\.conf:3: NOPE is neither Defined above nor set in the environment/],
    ['httpd: a Define below does not count', 'httpd', 'BalancerMember http://${LATER}\nDefine LATER x', /^the\.conf:1: LATER is neither Defined/],
    ['nginx: an unset capitalised name', 'nginx', 'upstream u {\n  server ${NOPE}:8080;\n}', /^the\.conf:2: NOPE is not set/],
    ['JSON: an unset name, with its line', 'json', '{\n  "members": [\n    { "url": "ajp://a:1", "secret": "${NOPE}" }\n  ]\n}', /^the\.conf:3: NOPE is not set/],
    ['a malformed reference', 'workers.properties', 'worker.a.secret=${AJP SECRET}', /^the\.conf:1: "\$\{AJP SECRET\}" is not a reference .*\(write \$\$\{ for a literal/],
    ['an unclosed reference', 'httpd', 'BalancerMember ajp://a:1 secret=${AJP_SECRET', /^the\.conf:1: "\$\{" is not closed/],
    ['a line break in a properties value', 'workers.properties', 'worker.a.secret=${MULTI}', /^the\.conf:1: the value of MULTI holds a line break/],
    ['a space in an httpd value', 'httpd', 'BalancerMember ajp://a:1 secret=${SPACED}', /^the\.conf:1: the value of SPACED holds a space/],
    ['a quote in an nginx value', 'nginx', 'server ${QUOTED};', /^the\.conf:1: the value of QUOTED holds a space, a quote/],
  ]
  for (const [what, syntax, text, message] of errors) {
    it(`${syntax}: ${what} is an error naming it and the line`, () => {
      let thrown: unknown
      try {
        expand(syntax, text)
      } catch (err) {
        thrown = err
      }
      expect(thrown).toBeInstanceOf(InvalidOptionError)
      expect((thrown as InvalidOptionError).code).toBe('LB_ERR_INVALID_OPTION')
      expect((thrown as Error).message).toMatch(message)
    })
  }

  it('never puts a value into a message', () => {
    const env = { SECRET_A: 'sssss one', SECRET_B: 'ttttt\nline' }
    const messages: string[] = []
    for (const [syntax, text] of [['httpd', 'secret=${SECRET_A}'], ['nginx', 'x ${SECRET_A};'], ['workers.properties', 'x=${SECRET_B}'], ['httpd', 'x=${SECRET_B}']] as const) {
      try {
        expand(syntax, text, env)
      } catch (err) {
        messages.push((err as Error).message)
      }
    }
    expect(messages).toHaveLength(4)
    for (const m of messages) expect(m).not.toMatch(/sssss|ttttt/)
  })

  it('JSON: a syntax error is reported on the file as written, before any value is inserted', () => {
    expect(() => expand('json', '{ "secret": "${AJP_SECRET}", }')).toThrow(SyntaxError)
    try {
      expand('json', '{ "secret": "${AJP_SECRET}", }')
    } catch (err) {
      expect((err as Error).message).not.toContain('s3cr3t')
    }
  })
})

describe('importConfig expands references', () => {
  it('from options.env, in the file and in jkMounts', () => {
    const { balancers } = importConfig('worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a\nworker.a.type=ajp13\nworker.a.host=${TC_HOST}\nworker.a.port=8009\nworker.a.secret=${AJP_SECRET}\n', 'workers.properties', {
      env: ENV,
      jkMounts: 'JkMount ${MOUNT:-/app}/* lb\n',
    })
    expect(balancers).toHaveLength(1)
    expect(balancers[0]!.mount).toBe('/app')
    expect(balancers[0]!.options.members).toEqual([expect.objectContaining({ url: 'ajp://10.0.0.2:8009', secret: 's3cr3t' })])
  })

  it('from process.env by default', () => {
    process.env.SB_TEST_REFERENCE_SECRET = 'from-process'
    try {
      const { balancers } = importConfig('{ "members": [{ "url": "ajp://127.0.0.1:8009", "secret": "${SB_TEST_REFERENCE_SECRET}" }] }', 'balancer.json')
      expect(balancers[0]!.options.members[0]!.secret).toBe('from-process')
    } finally {
      delete process.env.SB_TEST_REFERENCE_SECRET
    }
  })

  it('throws naming the file line and the variable', () => {
    expect(() => importConfig('upstream u {\n  server ${NOPE}:8080;\n}\nserver { location / { proxy_pass http://u; } }', '/etc/nginx/nginx.conf', { env: {} }))
      .toThrow('/etc/nginx/nginx.conf:2: NOPE is not set in the environment')
  })
})
