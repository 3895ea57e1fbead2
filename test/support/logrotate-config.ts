/**
 * A logrotate configuration read as logrotate reads it, for the tests of the pages and files that
 * give one (logrotate itself is not installed where the tests run; `logrotate -d` is its own
 * check): file patterns and a `{ }` section of directives, each a directive logrotate knows
 * (logrotate(8), version 3), with its arguments checked where it takes a number, and the scripts
 * between `postrotate` (`prerotate`, …) and `endscript`.
 */

/** The directives of logrotate(8), with how many arguments each takes: [min, max]. */
const DIRECTIVES: Record<string, [number, number]> = {
  compress: [0, 0], nocompress: [0, 0], compresscmd: [1, 1], uncompresscmd: [1, 1], compressext: [1, 1], compressoptions: [1, 10],
  copy: [0, 0], nocopy: [0, 0], copytruncate: [0, 0], nocopytruncate: [0, 0], create: [0, 3], nocreate: [0, 0],
  createolddir: [0, 3], nocreateolddir: [0, 0], daily: [0, 0], weekly: [0, 1], monthly: [0, 0], yearly: [0, 0], hourly: [0, 0],
  dateext: [0, 0], nodateext: [0, 0], dateformat: [1, 1], dateyesterday: [0, 0], datehourago: [0, 0], delaycompress: [0, 0],
  nodelaycompress: [0, 0], extension: [1, 1], addextension: [1, 1], ifempty: [0, 0], notifempty: [0, 0], include: [1, 1],
  mail: [1, 1], nomail: [0, 0], mailfirst: [0, 0], maillast: [0, 0], maxage: [1, 1], minage: [1, 1], maxsize: [1, 1], minsize: [1, 1],
  missingok: [0, 0], nomissingok: [0, 0], olddir: [1, 4], noolddir: [0, 0], rotate: [1, 1], renamecopy: [0, 0], norenamecopy: [0, 0],
  sharedscripts: [0, 0], nosharedscripts: [0, 0], shred: [0, 0], noshred: [0, 0], shredcycles: [1, 1], size: [1, 1], start: [1, 1],
  su: [2, 2], tabooext: [1, 20], taboopat: [1, 20], ignoreduplicates: [0, 0], allowcompress: [0, 0],
}
const SCRIPTS = new Set(['postrotate', 'prerotate', 'firstaction', 'lastaction', 'preremove'])
const NUMERIC = new Set(['rotate', 'maxage', 'minage', 'shredcycles', 'start'])
const SIZE = new Set(['size', 'maxsize', 'minsize'])

/** One `patterns { … }` section. */
export interface LogrotateSection {
  readonly patterns: readonly string[]
  /** Each directive by name, with its arguments. */
  readonly directives: ReadonlyMap<string, readonly string[]>
  /** Each script by its directive (`postrotate`), its lines without indentation. */
  readonly scripts: ReadonlyMap<string, string>
}

/** The sections of a logrotate configuration; throws naming the line of the first thing logrotate would refuse. */
export function readLogrotateConfig(text: string): LogrotateSection[] {
  const sections: LogrotateSection[] = []
  const lines = text.split('\n')
  let section: { patterns: string[]; directives: Map<string, string[]>; scripts: Map<string, string> } | undefined
  for (let i = 0; i < lines.length; i++) {
    const at = `line ${i + 1}`
    const line = (lines[i] as string).trim()
    if (line === '' || line.startsWith('#')) continue
    if (section === undefined) {
      const open = /^(\S.*?)\s*\{$/.exec(line)
      if (!open) throw new Error(`${at}: expected "file patterns {", found ${JSON.stringify(line)}`)
      const patterns = (open[1] as string).split(/\s+/)
      for (const p of patterns) if (!p.startsWith('/')) throw new Error(`${at}: ${p} is not an absolute path`)
      section = { patterns, directives: new Map(), scripts: new Map() }
      continue
    }
    if (line === '}') {
      sections.push(section)
      section = undefined
      continue
    }
    const [name = '', ...args] = line.split(/\s+/)
    if (SCRIPTS.has(name)) {
      if (args.length > 0) throw new Error(`${at}: ${name} takes its script on the next lines`)
      const end = lines.findIndex((l, j) => j > i && l.trim() === 'endscript')
      if (end < 0) throw new Error(`${at}: ${name} without endscript`)
      section.scripts.set(name, lines.slice(i + 1, end).map((l) => l.trim()).join('\n'))
      i = end
      continue
    }
    const arity = DIRECTIVES[name]
    if (!arity) throw new Error(`${at}: unknown directive ${name}`)
    if (args.length < arity[0] || args.length > arity[1]) throw new Error(`${at}: ${name} takes ${arity[0]} to ${arity[1]} arguments`)
    if (NUMERIC.has(name) && !/^-?\d+$/.test(args[0] as string)) throw new Error(`${at}: ${name} takes a number`)
    if (SIZE.has(name) && !/^\d+[kMG]?$/.test(args[0] as string)) throw new Error(`${at}: ${name} takes a size (100k, 10M)`)
    if (name === 'create' && args[0] !== undefined && !/^0?[0-7]{3}$/.test(args[0])) throw new Error(`${at}: create's first argument is a mode`)
    section.directives.set(name, args)
  }
  if (section !== undefined) throw new Error('the section is not closed with }')
  return sections
}
