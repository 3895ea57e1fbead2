/**
 * The import graph of lib/ has no cycle, types included: the house reads top-down. Every
 * `import`, `import type`, `export … from` and `import()` of a relative module counts.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const LIB = join(import.meta.dirname, '../../lib')

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.test-d.ts') ? [path] : []
  })
}

/** The lib/ file a relative specifier names (`./x.js` is `./x.ts`), or undefined for packages. */
function resolve(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined
  const base = join(dirname(from), specifier)
  for (const candidate of [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate
  }
  throw new Error(`${relative(LIB, from)}: cannot resolve ${specifier}`)
}

/** File → the lib/ files it imports (values and types alike). */
export function importGraph(files: readonly string[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>()
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
    const targets = new Set<string>()
    for (const ref of info.importedFiles) {
      const target = resolve(file, ref.fileName)
      if (target !== undefined) targets.add(target)
    }
    graph.set(file, targets)
  }
  return graph
}

/** Strongly connected components with more than one file (or a file importing itself): Tarjan. */
export function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let index = 0
  const indices = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const out: string[][] = []
  const visit = (v: string): void => {
    indices.set(v, index)
    low.set(v, index)
    index++
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!))
      }
    }
    if (low.get(v) === indices.get(v)) {
      const scc: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1 || graph.get(v)?.has(v)) out.push(scc.sort())
    }
  }
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) visit(v)
  return out
}

/** One shortest cycle through `start` inside its component, as a readable `a → b → a` path. */
function exampleCycle(graph: ReadonlyMap<string, ReadonlySet<string>>, scc: readonly string[]): string {
  const members = new Set(scc)
  const start = scc[0]!
  const previous = new Map<string, string>()
  const queue = [start]
  while (queue.length > 0) {
    const v = queue.shift()!
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue
      if (w === start) {
        const path = [start]
        for (let at: string | undefined = v; at !== undefined && at !== start; at = previous.get(at)) path.unshift(at)
        path.unshift(start)
        return path.map((f) => relative(LIB, f)).join(' → ')
      }
      if (!previous.has(w)) {
        previous.set(w, v)
        queue.push(w)
      }
    }
  }
  return relative(LIB, start)
}

function describeCycles(graph: ReadonlyMap<string, ReadonlySet<string>>, found: readonly string[][]): string[] {
  return found.map((scc) => `${scc.length} files: ${scc.map((f) => relative(LIB, f)).join(', ')}\n  e.g. ${exampleCycle(graph, scc)}`)
}

describe('import graph', () => {
  it('finds a cycle when there is one (the checker itself)', () => {
    const g = new Map<string, Set<string>>([
      ['/a', new Set(['/b'])],
      ['/b', new Set(['/c'])],
      ['/c', new Set(['/a'])],
      ['/d', new Set(['/a', '/d'])],
      ['/e', new Set(['/d'])],
    ])
    expect(cycles(g)).toEqual([['/a', '/b', '/c'], ['/d']])
    expect(cycles(new Map([['/a', new Set(['/b'])], ['/b', new Set<string>()]]))).toEqual([])
  })

  it('reads import type and export … from as edges', () => {
    const info = ts.preProcessFile("import type { A } from './a.js'\nexport { B } from './b.js'\nexport * from './c.js'\nconst d = await import('./d.js')\n", true, true)
    expect(info.importedFiles.map((f) => f.fileName)).toEqual(['./a.js', './b.js', './c.js', './d.js'])
  })

  const graph = importGraph(sources(LIB))

  it('no cycle passes through lib/admin or lib/control.ts', () => {
    const admin = (f: string): boolean => relative(LIB, f).startsWith('admin/') || relative(LIB, f) === 'control.ts'
    const found = cycles(graph).filter((scc) => scc.some(admin))
    expect(describeCycles(graph, found)).toEqual([])
  })

  it('lib/admin never imports the Balancer class or the Member class', () => {
    const offenders: string[] = []
    for (const [file, targets] of graph) {
      if (!relative(LIB, file).startsWith('admin/')) continue
      for (const t of targets) if (['balancer.ts', 'members/member.ts'].includes(relative(LIB, t))) offenders.push(`${relative(LIB, file)} → ${relative(LIB, t)}`)
    }
    expect(offenders).toEqual([])
  })

  it('lib/ has no cycle, types included', () => {
    expect(describeCycles(graph, cycles(graph))).toEqual([])
  })
})
