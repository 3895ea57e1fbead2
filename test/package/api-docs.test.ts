/**
 * The API reference is complete: every export of the package's entry points (`.`, `./express`,
 * `./koa`) has a TSDoc summary and an `@example`, and every public method of an exported class
 * or interface has a summary. TypeDoc converts the entry points with the project's own
 * typedoc.json, so what is checked here is what `npm run docs` publishes; the conversion, its
 * validation and the rendering of the site (guides included, into a temporary directory) must
 * also log no warning (typedoc.json treats them as errors).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  Application,
  type Comment,
  DeclarationReflection,
  type ProjectReflection,
  LiteralType,
  LogLevel,
  ReferenceReflection,
  type Reflection,
  ReflectionKind,
  TSConfigReader,
  TypeDocReader,
} from 'typedoc'
import { beforeAll, describe, expect, it } from 'vitest'
import { METRIC_NAMES } from '../../lib/admin/render-prometheus.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

let project: ProjectReflection
let warnings: string[]

beforeAll(async () => {
  const app = await Application.bootstrapWithPlugins(
    // The type check is `npm run typecheck`'s job; skipping it halves the conversion time.
    { options: join(ROOT, 'typedoc.json'), tsconfig: join(ROOT, 'tsconfig.json'), logLevel: 'Warn', skipErrorChecking: true },
    [new TypeDocReader(), new TSConfigReader()],
  )
  warnings = []
  const log = app.logger.log.bind(app.logger)
  app.logger.log = (message, level) => {
    if (level >= LogLevel.Warn) warnings.push(String(message).replace(/\x1b\[[0-9;]*m/g, '')) // warnings and errors, without colours
    log(message, level)
  }
  const converted = await app.convert()
  if (!converted) throw new Error(`TypeDoc could not convert the entry points:\n${warnings.join('\n')}`)
  project = converted
  app.validate(project)
  // Links between the guides (and their anchors) are checked while the site is rendered.
  const out = mkdtempSync(join(tmpdir(), 'sb-api-docs-'))
  try {
    await app.generateDocs(project, out)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}, 180_000)

/** The comment TypeDoc shows for a reflection: its own, or its first signature's (functions, methods). */
function commentOf(r: Reflection): Comment | undefined {
  if (r.comment) return r.comment
  if (r instanceof DeclarationReflection) {
    for (const s of [...(r.signatures ?? []), r.getSignature, r.setSignature]) if (s?.comment) return s.comment
  }
  return undefined
}

const hasSummary = (c: Comment | undefined): boolean => c !== undefined && c.summary.some((part) => part.text.trim() !== '')
const hasExample = (c: Comment | undefined): boolean => c?.blockTags.some((t) => t.tag === '@example' && t.content.some((part) => part.text.trim() !== '')) ?? false

/** Every export of every entry point, re-exports resolved to the declaration they name. */
function exportsOf(p: ProjectReflection): { entry: string; name: string; target: DeclarationReflection }[] {
  const out: { entry: string; name: string; target: DeclarationReflection }[] = []
  for (const mod of p.getChildrenByKind(ReflectionKind.Module)) {
    for (const child of mod.children ?? []) {
      const target = child instanceof ReferenceReflection ? child.getTargetReflectionDeep() : child
      if (target instanceof DeclarationReflection) out.push({ entry: mod.name, name: child.name, target })
    }
  }
  return out
}

describe('API reference', () => {
  it('covers the three entry points', () => {
    expect(project.getChildrenByKind(ReflectionKind.Module).map((m) => m.name).sort()).toEqual(['adapters/express', 'adapters/koa', 'lib'])
    expect(exportsOf(project).length).toBeGreaterThan(100)
  })

  it('gives every export a summary and an @example', () => {
    const missing = exportsOf(project).flatMap(({ entry, name, target }) => {
      const c = commentOf(target)
      const lacks = [hasSummary(c) ? '' : 'summary', hasExample(c) ? '' : '@example'].filter(Boolean)
      return lacks.length ? [`${entry}: ${name} lacks ${lacks.join(' and ')}`] : []
    })
    expect(missing).toEqual([])
  })

  it('gives every public method of an exported class or interface a summary', () => {
    const missing: string[] = []
    const seen = new Set<DeclarationReflection>()
    for (const { target } of exportsOf(project)) {
      if (seen.has(target) || !target.kindOf(ReflectionKind.Class | ReflectionKind.Interface)) continue
      seen.add(target)
      for (const m of target.children ?? []) {
        if (m.inheritedFrom || m.flags.isPrivate || m.flags.isProtected || m.flags.isExternal) continue
        if (!m.kindOf(ReflectionKind.Method | ReflectionKind.Accessor)) continue
        if (!hasSummary(commentOf(m))) missing.push(`${target.name}.${m.name}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('lists every error code in docs/errors.md', () => {
    const errorsMd = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8')
    const codes = exportsOf(project)
      .filter(({ name }) => name === 'LbErrorCode' || name === 'AjpProtocolErrorCode')
      .flatMap(({ target }) => (target.type?.type === 'union' ? target.type.types : []))
      .flatMap((t) => (t instanceof LiteralType && typeof t.value === 'string' ? [t.value] : []))
    expect(codes).toContain('LB_ERR_NO_MEMBER')
    expect(codes).toContain('AJP_ERR_BAD_MAGIC')
    expect(codes.filter((code) => !errorsMd.includes(`\`${code}\``))).toEqual([])
  })

  it('lists every Prometheus metric in docs/guide/metrics.md', () => {
    const metricsMd = readFileSync(join(ROOT, 'docs/guide/metrics.md'), 'utf8')
    expect(METRIC_NAMES.filter((name) => !metricsMd.includes(`| \`${name}\` |`))).toEqual([])
  })

  it('converts, validates and renders without a warning', () => {
    expect(warnings).toEqual([])
  })
})
