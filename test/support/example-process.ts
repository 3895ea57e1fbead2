/**
 * Runs an example's `server.mjs` as users do (`node server.mjs`, PORT=0) and waits for the line
 * `listening on http://…/testapp` it prints when it is ready.
 */
import { spawn } from 'node:child_process'
import { onTestFinished } from 'vitest'

/** Starts `script` with `env` in `cwd`; resolves with its base URL, rejects with its output if it does not start within 15 s. */
export function startExampleProcess(name: string, script: string, env: NodeJS.ProcessEnv, cwd?: string): Promise<string> {
  const child = spawn(process.execPath, [script], { ...(cwd ? { cwd } : {}), env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  onTestFinished(() => {
    child.kill('SIGTERM')
  })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${output}`)), 15_000)
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/\S+?)\/testapp/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}: ${output}`)))
  })
}
