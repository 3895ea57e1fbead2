/**
 * The `sticky-balancer` command spawned as users run it, for tests: from bin/cli.ts through tsx
 * (or any other entry, such as the built dist/cli.js), with its output collected.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess, SpawnOptions } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onTestFinished } from 'vitest'
import { REPO_ROOT } from './tomcat.js'

/** bin/cli.ts, run through tsx. */
export const CLI_SOURCE = join(REPO_ROOT, 'bin', 'cli.ts')

/** A running (or exited) `sticky-balancer` process. */
export interface CliRun {
  readonly child: ChildProcess
  /** Everything it printed on stdout so far. */
  out(): string
  /** Everything it printed on stderr so far. */
  err(): string
  /** Its exit code (null when killed by a signal). */
  readonly exit: Promise<number | null>
}

/**
 * Spawns `sticky-balancer <args>` from bin/cli.ts (through tsx); killed with SIGKILL when the test
 * ends if it is still running. `options` are passed to `spawn` (`env`, `uid`, `gid`, `cwd`).
 */
export function cli(args: readonly string[], options: SpawnOptions & { entry?: string[] } = {}): CliRun {
  const { entry = ['--import', 'tsx', CLI_SOURCE], ...spawnOptions } = options
  const child = spawn(process.execPath, [...entry, ...args], { cwd: REPO_ROOT, ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d))
  child.stderr!.on('data', (d: Buffer) => (err += d))
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return { child, out: () => out, err: () => err, exit }
}

/** Waits for `listening on <url>` and returns the URL; throws with both outputs when it does not come. */
export async function listening(run: CliRun, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const m = /listening on (https?:\/\/\S+)/.exec(run.out())
    if (m) return m[1]!
    if (run.child.exitCode !== null) break
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`the CLI did not start\nstdout: ${run.out()}\nstderr: ${run.err()}`)
}

/** Waits until `predicate` holds on the collected output; throws with both outputs after `timeoutMs`. */
export async function outputMatches(run: CliRun, predicate: (out: string, err: string) => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate(run.out(), run.err())) {
    if (Date.now() > deadline) throw new Error(`the expected output did not come\nstdout: ${run.out()}\nstderr: ${run.err()}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Writes `text` to a new file `name` in a fresh temporary directory; returns its path. */
export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-cli-'))
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}
